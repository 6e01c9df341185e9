"""status (columns, exit rule) and drift (found, stored, fixed, orphans pruned) over the
fake world of the service tests; the real backends: tests/backends/aws/test_drift_aws.py and
tests/e2e/test_drift_local.py."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from tests.engine.fakes import World
from tests.services.factories import deployed, workspace, write_fleet
from wpfleet.services import drift, orphans, status


def test_status_columns_release_age_approvals_and_drift_flag(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        outcome = deployed(ws)
        store = ws.store(ws.env("dev"))
        store.put_document(
            "approvals/requests/a-1",
            {"tenant": "alpha", "env": "dev", "status": "pending", "expires_at": time.time() + 60},
        )
        store.put_document(
            "approvals/requests/a-2",
            {"tenant": "alpha", "env": "dev", "status": "pending", "expires_at": time.time() - 1},
        )
        store.put_document("drift/dev/alpha", {"at": time.time(), "drifted": True, "error": ""})
        result = status.fleet_status(ws, "dev", "alpha")
    [row] = result.rows
    assert outcome.deployment is not None
    assert (row.deployment, row.deployment_status) == (outcome.deployment.id, "succeeded")
    assert row.release and row.deployed_at and row.age().endswith("s")
    assert (row.pending_approvals, row.drift) == (1, "drifted")  # the lapsed one not counted
    assert result.unhealthy == []


def test_status_unhealthy_rows_decide_the_exit(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        deployed(ws)
        world.things["dev/alpha/site"] = {"v": 1}
        assert status.fleet_status(ws, "dev").unhealthy == []
        ws.backend(ws.env("dev")).health = lambda ctxs: {  # type: ignore[method-assign]
            c.tenant.id: status_health(c.tenant.id) for c in ctxs if c.tenant.id == "alpha"
        }
        bad = status.fleet_status(ws, "dev").unhealthy
    assert [(r.tenant, r.state) for r in bad] == [("alpha", "unhealthy")]


def status_health(tid: str):  # type: ignore[no-untyped-def]
    from wpfleet.context import TenantHealth

    return TenantHealth(tid, True, False, "", "0/1 running")


def test_drift_lists_both_values_is_stored_and_fix_repairs(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        deployed(ws)
        assert not drift.check(ws, "dev").found  # bravo is not deployed: not drift
        world.things["dev/alpha/site"] = {"v": 2}  # changed behind wpfleet's back
        del world.things["dev/alpha/database"]  # and one deleted
        found = drift.check(ws, "dev")
        assert found.found
        [alpha] = [t for t in found.tenants if t.deployed]
        by_step = {d.step: d for d in alpha.drifts}
        assert by_step["dev/alpha/site"].op == "update"
        [f] = by_step["dev/alpha/site"].fields
        assert (f.path, f.actual, f.desired) == ("v", 2, 1)
        assert by_step["dev/alpha/database"].op == "create"
        assert ws.store(ws.env("dev")).get_document("drift/dev/alpha")["drifted"] is True
        assert status.fleet_status(ws, "dev", "alpha").rows[0].drift == "drifted"
        assert drift.fix(ws, found, confirm=lambda _r: False) is None
        assert world.things["dev/alpha/site"] == {"v": 2}  # refused: nothing changed
        fixed = drift.fix(ws, found)
        assert fixed is not None and fixed.after is not None and not fixed.after.found
        assert world.things["dev/alpha/site"] == {"v": 1}
        assert status.fleet_status(ws, "dev", "alpha").rows[0].drift == "clean"


def test_orphans_found_by_records_and_pruned_through_destroy(tmp_path: Path) -> None:
    world = World()
    path = write_fleet(tmp_path)
    with workspace(path, world) as ws:
        deployed(ws, tenant="bravo")
    doc = yaml.safe_load(path.read_text())
    doc["tenants"] = [t for t in doc["tenants"] if t["id"] != "bravo"]
    path.write_text(yaml.safe_dump(doc))
    with workspace(path, world) as ws:
        found = drift.check(ws, "dev")
        assert [(o.tenant, o.env) for o in found.orphans] == [("bravo", "dev")]
        assert found.found
        assert orphans.prune(ws, found.orphans, confirm=lambda _o: False) is None
        assert "dev/bravo/site" in world.things
        pruned = orphans.prune(ws, found.orphans)
        assert pruned is not None and not pruned.failed
        assert "dev/bravo/site" not in world.things and "dev/bravo/database" not in world.things
        assert not drift.check(ws, "dev").orphans
