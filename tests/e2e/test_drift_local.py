"""``drift`` and ``status`` on the real local stack: a vhost and a pool edited by hand
are drift (exit 8, both values shown), ``drift --fix`` re-applies them through the
deploy pipeline, and a second drift is clean; ``status`` exits 10 when a tenant is down."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Fleet
from wpfleet.errors import ExitStatus

pytestmark = pytest.mark.stack


def _paths(fleet: Fleet):  # type: ignore[no-untyped-def]
    from wpfleet.backends.local.paths import EnvPaths
    from wpfleet.config.load import load_fleet

    return EnvPaths.for_env(load_fleet(fleet.path), "dev")


def test_hand_edited_vhost_and_pool_are_drift_and_fixed(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "alpha", "--env", "dev").code == 0
    clean = fleet.cli("-o", "json", "drift", "--env", "dev")
    assert clean.code == ExitStatus.OK, clean.out + clean.err

    paths = _paths(fleet)
    vhost = paths.vhosts / "alpha.conf"
    original_vhost = vhost.read_text()
    vhost.write_text(original_vhost.replace("server {", "server {\n    autoindex on;", 1))
    [pool] = [p for p in paths.pools.glob("*.conf") if "alpha" in p.name]
    original_pool = pool.read_text()
    edited = re.sub(r"pm\.max_children = \d+", "pm.max_children = 99", original_pool)
    assert edited != original_pool
    pool.write_text(edited)

    found = fleet.cli("-o", "json", "drift", "--env", "dev")
    assert found.code == ExitStatus.DRIFT_FOUND, found.err
    doc = found.json()
    assert isinstance(doc, dict)
    [alpha] = [t for t in doc["tenants"] if t["tenant"] == "alpha"]
    steps = {d["step"]: d for d in alpha["drifts"]}
    assert set(steps) == {"infra/vhost", "infra/pool"}
    vhost_fields = {f["path"]: f for f in steps["infra/vhost"]["fields"]}
    assert vhost_fields["hash"]["actual"] != vhost_fields["hash"]["desired"]
    assert any("autoindex on" in str(f["actual"]) for f in steps["infra/vhost"]["fields"])
    assert any("max_children = 99" in str(f["actual"]) for f in steps["infra/pool"]["fields"])
    table = fleet.cli("drift", "--env", "dev")
    assert "infra/vhost" in table.out and "→" in table.out

    fixed = fleet.cli("drift", "--env", "dev", "--fix", "--yes")
    assert fixed.code == ExitStatus.OK, fixed.out + fixed.err
    assert vhost.read_text() == original_vhost and pool.read_text() == original_pool
    assert fleet.http("dev", "alpha", "/")[0] == 200
    again = fleet.cli("drift", "--env", "dev")
    assert again.code == ExitStatus.OK, again.out
    rows = fleet.cli("-o", "json", "status", "--env", "dev", "--tenant", "alpha").json()
    assert isinstance(rows, list) and rows[0]["drift"] == "clean"


def test_status_exits_10_when_a_shown_tenant_is_down(fleet: Fleet) -> None:
    assert fleet.cli("deploy", "bravo", "--env", "dev").code == 0
    ok = fleet.cli("status", "--env", "dev", "--tenant", "bravo")
    assert ok.code == ExitStatus.OK, ok.out
    md = fleet.cli("-o", "md", "status", "--env", "dev", "--tenant", "bravo")
    assert md.out.startswith("| tenant | env | state |") and "| bravo | dev | healthy" in md.out
    vhost = _paths(fleet).vhosts / "bravo.conf"
    vhost.unlink()  # removed by hand: a deployed tenant that is not there is unhealthy
    down = fleet.cli("-o", "json", "status", "--env", "dev", "--tenant", "bravo")
    assert down.code == ExitStatus.VERIFY_FAILED == 10, down.out
    rows = down.json()
    assert isinstance(rows, list) and rows[0]["state"] == "unhealthy", rows
    assert fleet.cli("deploy", "bravo", "--env", "dev").code == 0
    watch = fleet.cli(
        "status", "--env", "dev", "--watch", "--interval", "0.05",
        env={"WPFLEET_STATUS_WATCH_MAX": "2"},
    )  # fmt: skip
    assert watch.code == ExitStatus.OK and "bravo" in watch.out
