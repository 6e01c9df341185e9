"""The engine over an in-memory world: plan decisions, order, journal, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.fakes import FakeResource, World
from wpfleet.engine.executor import Executor, StepFailure, changes_from_journal
from wpfleet.engine.faults import Faults
from wpfleet.engine.plan import plan_apply, plan_destroy
from wpfleet.engine.resource import Op, Phase
from wpfleet.errors import ConflictError, InjectedFault
from wpfleet.state.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "state.db")


def chain(world: World) -> list[FakeResource]:
    return [
        FakeResource(world, "database/secret", Phase.DATABASE),
        FakeResource(world, "database/database", Phase.DATABASE),
        FakeResource(
            world, "database/user", Phase.DATABASE, ("database/secret", "database/database")
        ),
        FakeResource(world, "infra/vhost", Phase.INFRA, ("database/user",)),
    ]


def run(store: SqliteStore, resources: list[FakeResource], dep: str = "d1", **kw: object):
    steps = plan_apply(resources, set(store.owned("dev", "t")))
    ex = Executor(store, dep, "dev", "t", faults=Faults(), **kw)  # type: ignore[arg-type]
    ex.apply(steps)
    return steps, ex


def test_first_plan_creates_everything_and_second_is_all_noops(store: SqliteStore) -> None:
    world = World()
    steps, _ = run(store, chain(world))
    assert [s.op for s in steps] == [Op.CREATE] * 4
    again = plan_apply(chain(world), set(store.owned("dev", "t")))
    assert {s.op for s in again} == {Op.NOOP}


def test_dependencies_run_before_dependents(store: SqliteStore) -> None:
    world = World()
    run(store, chain(world))
    order = [rid for _, rid in world.log]
    assert order.index("database/user") > order.index("database/secret")
    assert order.index("database/user") > order.index("database/database")
    assert order[-1] == "infra/vhost"


def test_a_changed_desired_state_plans_one_update_naming_the_field(store: SqliteStore) -> None:
    world = World()
    run(store, chain(world))
    resources = chain(world)
    resources[3].want = {"v": 2}
    steps = plan_apply(resources, set(store.owned("dev", "t")))
    changed = [(s.id, s.op, s.changes) for s in steps if s.op is not Op.NOOP]
    assert changed == [("infra/vhost", Op.UPDATE, ["v"])]


def test_existing_resource_that_is_not_ours_is_a_conflict_before_any_change(
    store: SqliteStore,
) -> None:
    world = World()
    world.things["database/database"] = {"v": 1}  # made by someone else, no record
    world.things["infra/vhost"] = {"v": 1}
    with pytest.raises(ConflictError) as info:
        plan_apply(chain(world), set())
    assert "database/database" in str(info.value) and "infra/vhost" in str(info.value)
    assert world.log == []


def test_tagged_resource_of_someone_else_is_a_conflict_and_adopt_takes_it(
    store: SqliteStore,
) -> None:
    world = World()
    res = FakeResource(world, "infra/tg", taggable=True)
    world.things["infra/tg"] = {"v": 1}
    world.foreign.add("infra/tg")
    with pytest.raises(ConflictError):
        plan_apply([res], set())
    steps = plan_apply([res], set(), adopt=True)
    assert steps[0].op is Op.ADOPT
    Executor(store, "d1", "dev", "t", faults=Faults()).apply(steps)
    assert "infra/tg" in store.owned("dev", "t")


def test_failure_rolls_back_exactly_what_was_created(store: SqliteStore) -> None:
    world = World()
    world.fail_on.add(("create", "infra/vhost"))
    resources = chain(world)
    steps = plan_apply(resources, set())
    ex = Executor(store, "d1", "dev", "t", faults=Faults())
    with pytest.raises(StepFailure) as info:
        ex.apply(steps)
    assert info.value.step_id == "infra/vhost"
    result = ex.rollback({r.id: r for r in resources})
    assert result.complete
    assert world.things == {}
    assert store.owned("dev", "t") == {}
    statuses = [(e.step_id, e.status) for e in store.journal("d1")]
    assert ("infra/vhost", "failed") in statuses
    assert ("database/user", "undone") in statuses


def test_failed_update_is_restored_never_deleted(store: SqliteStore) -> None:
    world = World()
    run(store, chain(world))
    resources = chain(world)
    resources[2].want = {"v": 2}  # database/user changes
    resources[3].want = {"v": 2}  # and the vhost, which fails
    world.fail_on.add(("update", "infra/vhost"))
    steps = plan_apply(resources, set(store.owned("dev", "t")))
    ex = Executor(store, "d2", "dev", "t", faults=Faults())
    with pytest.raises(StepFailure):
        ex.apply(steps)
    ex.rollback({r.id: r for r in resources})
    assert world.things["database/user"] == {"v": 1}
    assert world.things["infra/vhost"] == {"v": 1}
    assert ("delete", "database/user") not in world.log


def test_injected_fault_before_a_step_changes_nothing_of_that_step(store: SqliteStore) -> None:
    world = World()
    resources = chain(world)
    ex = Executor(store, "d1", "dev", "t", faults=Faults(fail=frozenset({"database/user"})))
    with pytest.raises(StepFailure) as info:
        ex.apply(plan_apply(resources, set()))
    assert isinstance(info.value.error, InjectedFault)
    assert "database/user" not in world.things
    assert "infra/vhost" not in world.things  # its dependent never started


def test_failing_undo_is_reported_not_hidden(store: SqliteStore) -> None:
    world = World()
    resources = chain(world)
    ex = Executor(
        store,
        "d1",
        "dev",
        "t",
        faults=Faults(fail=frozenset({"infra/vhost", "undo:database/user"})),
    )
    with pytest.raises(StepFailure):
        ex.apply(plan_apply(resources, set()))
    result = ex.rollback({r.id: r for r in resources})
    assert not result.complete
    assert set(result.failed) == {"database/user"}
    assert "database/user" in world.things


def test_changes_of_a_killed_run_are_inherited_for_rollback(store: SqliteStore) -> None:
    world = World()
    resources = chain(world)
    ex = Executor(store, "d1", "dev", "t", faults=Faults(fail=frozenset({"infra/vhost"})))
    with pytest.raises(StepFailure):
        ex.apply(plan_apply(resources, set()))
    # d1 "died" here without rolling back; d2 inherits its journal
    inherited = changes_from_journal(store.journal("d1"))
    assert {c.step_id for c in inherited} == {
        "database/secret",
        "database/database",
        "database/user",
    }
    world.fail_on.add(("create", "infra/vhost"))
    ex2 = Executor(store, "d2", "dev", "t", faults=Faults(), inherited=inherited)
    with pytest.raises(StepFailure):
        ex2.apply(plan_apply(resources, set(store.owned("dev", "t"))))
    assert ex2.rollback({r.id: r for r in resources}).complete
    assert world.things == {}


def test_destroy_deletes_dependents_first_and_skips_absent(store: SqliteStore) -> None:
    world = World()
    run(store, chain(world))
    world.log.clear()
    resources = chain(world)
    del world.things["database/secret"]
    steps = plan_destroy(resources, set(store.owned("dev", "t")))
    assert {s.id: s.op for s in steps}["database/secret"] is Op.NOOP
    Executor(store, "d3", "dev", "t", faults=Faults()).apply(steps, reverse_dependencies=True)
    order = [rid for _, rid in world.log]
    assert order.index("infra/vhost") < order.index("database/user")
    assert order.index("database/user") < order.index("database/database")
    assert world.things == {}
    # deleted resources are forgotten; the record of the one already absent is cleared
    # by the pipeline once the whole destroy succeeded
    assert store.owned("dev", "t") == {"database/secret": {}}


def test_destroy_refuses_what_is_not_ours(store: SqliteStore) -> None:
    world = World()
    world.things["database/database"] = {"v": 1}
    with pytest.raises(ConflictError):
        plan_destroy(chain(world), set())
    assert "database/database" in world.things


def test_guard_stops_before_the_next_change(store: SqliteStore) -> None:
    world = World()
    resources = chain(world)
    calls: list[int] = []

    def guard() -> None:
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("lock lost")

    ex = Executor(store, "d1", "dev", "t", faults=Faults(), guard=guard, concurrency=1)
    with pytest.raises(StepFailure) as info:
        ex.apply(plan_apply(resources, set()))
    assert "lock lost" in str(info.value)
    assert len(world.things) == 2
    assert ex.rollback({r.id: r for r in resources}).complete
    assert world.things == {}
