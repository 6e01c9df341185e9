from __future__ import annotations

import pytest

from wpfleet import naming
from wpfleet.errors import NameLimitError, ValidationError


def test_seed_names_for_goldencrust_in_sit() -> None:
    n = naming.tenant_names("goldencrust", "sit", "{tenant}.wpsit.kimmyai.io")
    assert n.host == "goldencrust.wpsit.kimmyai.io"
    assert n.service == "sit-goldencrust-service"
    assert n.task_family == "sit-goldencrust"
    assert n.target_group == "sit-goldencrust-tg"
    assert n.db_secret == "sit-goldencrust-db-credentials"
    assert n.database == "goldencrust_db"
    assert n.db_user == "goldencrust_user"
    assert n.secrets_policy == "sit-ecs-secrets-access-goldencrust"
    assert n.config_document == "config/sit/goldencrust.json"


def test_dashes_become_underscores_only_in_mysql_names() -> None:
    n = naming.tenant_names("sunset-bistro", "dev", "{tenant}.wpdev.localhost")
    assert n.database == "sunset_bistro_db"
    assert n.db_user == "sunset_bistro_user"
    assert n.target_group == "dev-sunset-bistro-tg"


@pytest.mark.parametrize(
    "bad",
    [
        "GoldenCrust",
        "golden_crust",
        "golden.crust",
        "gölden",
        "x'; DROP DATABASE mysql; --",
        "a$(rm -rf /)",
        "-lead",
        "trail-",
        "dou--ble",
        "9lives",
        "",
        "a b",
    ],
)
def test_unsafe_tenant_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        naming.tenant_names(bad, "dev", "{tenant}.wpdev.localhost")


def test_too_long_for_a_target_group_names_the_derived_name() -> None:
    tenant = "a" * 25  # prod-<25>-tg = 33 characters
    with pytest.raises(NameLimitError) as info:
        naming.tenant_names(tenant, "prod", "{tenant}.wp.kimmyai.io")
    assert f"prod-{tenant}-tg" in info.value.message
    assert "32" in info.value.message
    naming.tenant_names("a" * 24, "prod", "{tenant}.wp.kimmyai.io")  # the longest that fits


def test_mysql_user_limit_is_checked() -> None:
    n = naming.TenantNames("a" * 28, "d", "h")
    assert any("MySQL user" in p for p in n.problems())


@pytest.mark.parametrize("prio,ok", [(0, False), (1, True), (50_000, True), (50_001, False)])
def test_priority_range(prio: int, ok: bool) -> None:
    if ok:
        naming.check_priority(prio)
    else:
        with pytest.raises(ValidationError):
            naming.check_priority(prio)
