"""Deployment services over a fake world: what they change, record and report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.fakes import World
from tests.services.factories import deployed, workspace, write_fleet
from wpfleet.engine.faults import Faults
from wpfleet.engine.resource import Op
from wpfleet.errors import BatchFailed, DeploymentFailed
from wpfleet.services import Recorder, Workspace, deployments
from wpfleet.services.history import deployments as history


def test_plan_then_deploy_then_unchanged(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        planned = deployments.plan(ws, ws.env("dev"), "alpha")
        assert {s.id: s.op for s in planned}["dev/alpha/site"] is Op.CREATE
        outcome = deployed(ws)
        assert outcome.report is not None and outcome.report.ok
        assert "dev/alpha/site" in world.things
        again = deployments.plan(ws, ws.env("dev"), "alpha")
        assert all(s.op is Op.NOOP for s in again)
        [last, *_] = history(ws, tenant="alpha")
        assert (last.status, last.actor) == ("succeeded", "tester")


def test_events_reach_the_sink(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        deployed(ws)
        assert isinstance(ws.events, Recorder)
        steps = ws.events.kinds("step")
        assert {(e.step_id, e.status) for e in steps} >= {("dev/alpha/site", "done")}
        assert [o.name for o in ws.events.kinds("check")] == ["site"]


def test_batch_deploys_every_tenant_and_reports_each(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path, tenants=("a1", "b2", "c3"))) as ws:
        result = deployments.deploy_many(ws, ws.env("dev"), concurrency=3)
        assert [i.tenant for i in result.items] == ["a1", "b2", "c3"]
        assert all(i.ok for i in result.items) and not result.failures
        result.raise_for_failures()
        assert sorted(i.tenant for i in ws.events.kinds("tenant")) == ["a1", "b2", "c3"]


def test_batch_failure_of_one_tenant_stops_no_other(tmp_path: Path) -> None:
    world = World()
    world.fail_on.add(("create", "dev/b2/site"))
    with workspace(write_fleet(tmp_path, tenants=("a1", "b2")), world) as ws:
        result = deployments.deploy_many(ws, ws.env("dev"))
        assert list(result.failures) == ["b2"]
        with pytest.raises(BatchFailed):
            result.raise_for_failures()
    assert "dev/a1/site" in world.things and "dev/b2/database" not in world.things


def test_injected_fault_rolls_back_through_the_workspace_seams(tmp_path: Path) -> None:
    world = World()
    ws = Workspace(
        write_fleet(tmp_path),
        actor="tester",
        faults=Faults(fail=frozenset({"dev/alpha/site"})),
        backend_factory=workspace(tmp_path / "fleet.yaml", world)._backend_factory,
    )
    with ws, pytest.raises(DeploymentFailed) as err:
        deployed(ws)
    assert err.value.rolled_back and world.things == {}


def test_adopt_stops_when_not_confirmed(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        seen = []
        assert deployments.adopt(ws, ws.env("dev"), "alpha", confirm=seen.append) is None
        assert seen and world.things == {}


def test_destroy_removes_what_deploy_made(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        deployed(ws)
        outcome = deployments.destroy(ws, ws.env("dev"), "alpha")
        assert {s.op for s in outcome.changed} == {Op.DELETE}
    assert world.things == {}


def test_verify_changes_nothing(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path), world) as ws:
        report = deployments.verify(ws, ws.env("dev"), "alpha", deadline=0.5)
        assert not report.ok and world.log == []
