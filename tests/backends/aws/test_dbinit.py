"""``db_mode: ecs-task`` as it must work on real AWS: the client verifies RDS's
certificate, a launch right after the role was created is retried, the task reads the
tenant's secret by its full ARN (so the secret comes first), one task-definition
revision serves every action, and destroy removes the role and the revisions.

moto runs no task: where a task's end matters, ``dbinit.wait_for`` is replaced by a
stopped task (exit 0), and the script itself is run here with ``sh``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import (
    ENV,
    BaseEnv,
    injected_error,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from wpfleet.backends.aws import dbinit
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.backends.base import TenantContext
from wpfleet.engine.plan import plan_apply
from wpfleet.engine.resource import Resource
from wpfleet.errors import ConfigError, ValidationError
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


def setup(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> tuple[AwsBackend, TenantContext, dict[str, Resource]]:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], db_mode="ecs-task")
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    backend.aws.sleep = lambda _s: None
    ctx = make_ctx(loaded, "alpha", store)
    return backend, ctx, {r.id: r for r in backend.resources(ctx)}


@pytest.fixture
def tasks_stop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    actions: list[str] = []

    def stopped(_t: object, _c: str, arn: str, action: str, _timeout: float) -> dict:
        actions.append(action)
        return {"taskArn": arn, "lastStatus": "STOPPED", "containers": [{"exitCode": 0}]}

    monkeypatch.setattr(dbinit, "wait_for", stopped)
    return actions


def test_client_verifies_the_rds_certificate(tmp_path: Path) -> None:
    """RDS presents a certificate signed by the RDS CA
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html); the
    task downloads the global bundle and the MySQL client verifies certificate and host
    name against it. No MySQL 8 client or RDS exists here, so a stand-in ``mysql`` on
    PATH records the options it was given (a mock, for that reason only)."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nRDS\n-----END CERTIFICATE-----\n")
    argv = tmp_path / "argv"
    fake = tmp_path / "bin" / "mysql"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\necho "$@" > {argv}\ncat /tmp/rds-ca.pem >> {argv}\ncat >/dev/null\n'
    )
    fake.chmod(0o755)
    env = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "RDS_CA_URL": bundle.as_uri(),
        "DB_HOST": "db.example", "DB_PORT": "3306", "DB_NAME": "a_db", "DB_GRANT": "a\\_db",
        "DB_USER": "a_user", "MASTER_USERNAME": "master", "MYSQL_PWD": "x",
        "TENANT_PASSWORD": "y", "WPFLEET_ACTION": "create-database",
    }  # fmt: skip
    subprocess.run(["sh", "-c", dbinit.SCRIPT], env=env, check=True, timeout=30)
    recorded = argv.read_text()
    assert "--ssl-mode=VERIFY_IDENTITY --ssl-ca=/tmp/rds-ca.pem -h db.example" in recorded
    assert "RDS" in recorded  # the bundle the client was given is the one downloaded
    assert dbinit.DB_INIT_IMAGE.startswith("mysql:8")
    assert dbinit.RDS_CA_BUNDLE_URL.startswith("https://truststore.pki.rds.amazonaws.com/")
    assert os.path.exists("/tmp/rds-ca.pem")


def test_task_definition_carries_the_bundle_url_and_full_secret_arns(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """ECS wants the secret's full ARN in ``valueFrom``
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html):
    without the tenant's secret there is no full ARN, so the task definition is refused
    instead of carrying a partial one."""
    backend, ctx, res = setup(tmp_path, base, store)
    t = backend.tenant(ctx)
    with pytest.raises(ValidationError, match="sit-alpha-db-credentials does not exist"):
        dbinit.task_definition(t)
    res["database/secret"].create()
    spec = dbinit.task_definition(backend.tenant(ctx))
    (container,) = spec["containerDefinitions"]
    assert container["image"] == dbinit.DB_INIT_IMAGE
    assert {"name": "RDS_CA_URL", "value": dbinit.RDS_CA_BUNDLE_URL} in container["environment"]
    for secret in container["secrets"]:
        arn = secret["valueFrom"].split(":")[6]
        assert arn.rsplit("-", 1)[-1].isalnum() and len(arn.rsplit("-", 1)[-1]) == 6


def test_database_step_waits_for_the_secret(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    _backend, _ctx, res = setup(tmp_path, base, store)
    steps = {s.id: s for s in plan_apply(list(res.values()), set())}
    assert "database/secret" in steps["database/database"].depends_on


UNASSUMABLE = (
    "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/sit-alpha-db-init-role' "
    "that was provided for this task. Please verify that the role being passed has the "
    "proper trust relationship and permissions and that your IAM user has permissions to "
    "pass this role."
)


def test_launch_is_retried_while_the_new_role_is_not_assumable(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, tasks_stop: list[str]
) -> None:
    """IAM is eventually consistent: a role used seconds after CreateRole may not be
    assumable yet (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency);
    RunTask then answers ClientException with the message above
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
    The first two launches get it."""
    left = {"n": 2}

    def fail(name: str, _params: dict[str, Any]) -> Any:
        if name == "ecs.RunTask" and left["n"]:
            left["n"] -= 1
            return injected_error("ClientException", 400, UNASSUMABLE)
        return None

    with recording() as rec:
        rec.fail = fail
        _backend, _ctx, res = setup(tmp_path, base, store)
        res["database/secret"].create()
        res["database/database"].create()
    assert rec.calls.count("ecs.RunTask") == 3
    assert tasks_stop == ["create-database"]


def test_one_revision_serves_every_action_and_destroy_removes_role_and_family(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, tasks_stop: list[str]
) -> None:
    with recording() as rec:
        _backend, _ctx, res = setup(tmp_path, base, store)
        res["database/secret"].create()
        res["database/database"].create()
        res["database/user"].create()
        res["database/user"].update({})
    assert rec.calls.count("ecs.RegisterTaskDefinition") == 1
    assert rec.calls.count("ecs.RunTask") == 3
    iam, ecs = base.client("iam"), base.client("ecs")
    assert iam.get_role(RoleName="sit-alpha-db-init-role")
    res["database/user"].delete()
    res["database/database"].delete()
    assert tasks_stop[-2:] == ["drop-user", "drop-database"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="sit-alpha-db-init-role")
    active = ecs.list_task_definitions(familyPrefix="sit-alpha-db-init", status="ACTIVE")
    assert active["taskDefinitionArns"] == []


def test_db_init_task_setting_is_gone(tmp_path: Path, base: BaseEnv) -> None:
    """It was never read: a fleet file that sets it is told so, not silently ignored."""
    with pytest.raises(ConfigError, match="db_init_task"):
        write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], db_init_task="x")
