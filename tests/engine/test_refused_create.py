"""A CREATE whose create call was refused ("already exists") made nothing, so nothing
of it may be undone: the rollback of a re-deploy that planned CREATE on a stale read
(AWS ListSecrets is eventually consistent) must not delete the secret a running site
uses. The rule is the engine's, so it holds for every resource on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.fakes import FakeResource, World
from wpfleet.engine.executor import Executor, StepFailure, changes_from_journal
from wpfleet.engine.faults import Faults
from wpfleet.engine.plan import plan_apply
from wpfleet.engine.resource import Fact, Op, Phase
from wpfleet.errors import ConflictError
from wpfleet.state.sqlite import SqliteStore


class StaleRead(FakeResource):
    """Reads nothing (a stale listing) although the thing exists; its create is refused
    the way Secrets Manager refuses a name that is taken (ResourceExistsException)."""

    def read(self) -> Fact | None:
        return None

    def create(self) -> None:
        if self.id in self.world.things:
            raise ConflictError(f"{self.id}: ResourceExistsException: it already exists")
        super().create()


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "state.db")


def resources(world: World) -> list[FakeResource]:
    return [
        StaleRead(world, "database/secret", Phase.DATABASE),
        FakeResource(world, "infra/vhost", Phase.INFRA, ("database/secret",)),
    ]


def test_refused_create_is_never_undone(store: SqliteStore) -> None:
    world = World()
    world.things["database/secret"] = {"v": 1}  # made by an earlier deployment
    res = resources(world)
    steps = plan_apply(res, set())
    assert next(s for s in steps if s.id == "database/secret").op is Op.CREATE
    ex = Executor(store, "d1", "dev", "t", faults=Faults())
    with pytest.raises(StepFailure) as info:
        ex.apply(steps)
    assert isinstance(info.value.error, ConflictError)
    assert ex.changes == []
    result = ex.rollback({r.id: r for r in res})
    assert result.complete
    assert world.things["database/secret"] == {"v": 1}
    assert ("delete", "database/secret") not in world.log
    statuses = [(e.step_id, e.status) for e in store.journal("d1")]
    assert statuses == [("database/secret", "started"), ("database/secret", "refused")]
    # a later run that inherits this journal (as after a kill) has nothing to undo either
    assert changes_from_journal(store.journal("d1")) == []
    assert store.owned("dev", "t") == {}  # the ownership record is put back


def test_refused_create_keeps_an_ownership_record_that_was_there(store: SqliteStore) -> None:
    world = World()
    world.things["database/secret"] = {"v": 1}
    store.record_owned("dev", "t", "database/secret", {"name": "s"})
    ex = Executor(store, "d1", "dev", "t", faults=Faults())
    with pytest.raises(StepFailure):
        ex.apply(plan_apply(resources(world), {"database/secret"}))
    assert "database/secret" in store.owned("dev", "t")


def test_a_create_that_failed_otherwise_is_still_undone(store: SqliteStore) -> None:
    """Only a refusal proves nothing was made; any other failure may leave a half-made
    resource, which the rollback removes as before."""
    world = World()
    res = resources(world)
    world.fail_on.add(("create", "infra/vhost"))
    ex = Executor(store, "d1", "dev", "t", faults=Faults())
    with pytest.raises(StepFailure):
        ex.apply(plan_apply(res, set()))
    assert [c.step_id for c in ex.changes] == ["database/secret", "infra/vhost"]
    assert ex.rollback({r.id: r for r in res}).complete
    assert world.things == {}
