"""The StateStore contract (state/base.py), run against every implementation."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from wpfleet.errors import ValidationError
from wpfleet.state.base import Deployment, JournalEntry, LockInfo, StateStore

from .stores import StoreSpec


def dep(
    id: str, tenant: str = "acme", env: str = "dev", at: float = 1000.0, **kw: Any
) -> Deployment:
    fields: dict[str, Any] = {"kind": "deploy", "status": "running", "actor": "ci", **kw}
    return Deployment(id=id, tenant=tenant, env=env, started_at=at, **fields)


def lock(key: str = "dev/acme", owner: str = "h:1:aa", expires: float = 2000.0) -> LockInfo:
    return LockInfo(
        key=key, owner=owner, host=owner.split(":")[0], pid=int(owner.split(":")[1]),
        acquired_at=1000.0, expires_at=expires, deployment_id=f"d-{owner}",
    )  # fmt: skip


# --- deployments ------------------------------------------------------------------------
def test_deployment_round_trips_every_field(store: StateStore) -> None:
    d = dep(
        "d1",
        finished_at=1234.5,
        release={"image": "wordpress:6", "config": {"cpu": 256, "ratio": 0.25}, "tags": []},
        error="boom",
        resumed_from="d0",
        summary={"created": 3, "ok": True, "none": None},
    )
    store.put_deployment(d)
    got = store.get_deployment("d1")
    assert got == d
    assert isinstance(got.started_at, float) and isinstance(got.release["config"]["cpu"], int)
    assert store.get_deployment("nope") is None


def test_put_deployment_replaces(store: StateStore) -> None:
    store.put_deployment(dep("d1"))
    store.put_deployment(dep("d1", status="succeeded", finished_at=1001.0))
    got = store.get_deployment("d1")
    assert got is not None and got.status == "succeeded" and got.finished_at == 1001.0
    assert [d.id for d in store.list_deployments()] == ["d1"]


def test_list_deployments_newest_first_and_filtered(store: StateStore) -> None:
    store.put_deployment(dep("a-dev-1", "a", "dev", 100.0))
    store.put_deployment(dep("b-dev-1", "b", "dev", 300.0))
    store.put_deployment(dep("a-sit-1", "a", "sit", 200.0))
    store.put_deployment(dep("a-dev-2", "a", "dev", 400.0))
    assert [d.id for d in store.list_deployments()] == ["a-dev-2", "b-dev-1", "a-sit-1", "a-dev-1"]
    assert [d.id for d in store.list_deployments(tenant="a")] == ["a-dev-2", "a-sit-1", "a-dev-1"]
    assert [d.id for d in store.list_deployments(env="dev")] == ["a-dev-2", "b-dev-1", "a-dev-1"]
    assert [d.id for d in store.list_deployments(tenant="a", env="dev")] == ["a-dev-2", "a-dev-1"]
    assert [d.id for d in store.list_deployments(env="dev", limit=2)] == ["a-dev-2", "b-dev-1"]
    assert store.list_deployments(tenant="zzz") == []


# --- journal ----------------------------------------------------------------------------
def entry(dep_id: str, seq: int, status: str = "started", **kw: Any) -> JournalEntry:
    return JournalEntry(dep_id, seq, f"step/{seq}", "create", status, at=10.0 + seq, **kw)


def test_journal_in_seq_order_per_deployment(store: StateStore) -> None:
    for seq in (2, 0, 1):
        store.append_journal(entry("d1", seq))
    store.append_journal(entry("d2", 0))
    got = store.journal("d1")
    assert [e.seq for e in got] == [0, 1, 2]
    assert got[0] == entry("d1", 0)
    assert [e.deployment_id for e in store.journal("d2")] == ["d2"]
    assert store.journal("none") == []


def test_journal_keeps_every_line_of_a_step_in_append_order(store: StateStore) -> None:
    before = {"version": 3, "weights": [0.5, 1.5], "nested": {"a": None}}
    store.append_journal(entry("d1", 5, "started", before=before))
    store.append_journal(entry("d1", 5, "failed", error="timeout", after={"x": 1}))
    got = store.journal("d1")
    assert [e.status for e in got] == ["started", "failed"]
    assert got[0].before == before and got[1].after == {"x": 1} and got[1].error == "timeout"


# --- locks ------------------------------------------------------------------------------
def test_free_lock_is_taken(store: StateStore) -> None:
    assert store.get_lock("dev/acme") is None
    assert store.try_lock(lock()) is None
    assert store.get_lock("dev/acme") == lock()


def test_held_lock_returns_holder_and_changes_nothing(store: StateStore) -> None:
    store.try_lock(lock(owner="h:1:aa"))
    assert store.try_lock(lock(owner="h:2:bb")) == lock(owner="h:1:aa")
    assert store.get_lock("dev/acme") == lock(owner="h:1:aa")


def test_takeover_only_from_the_named_owner(store: StateStore) -> None:
    store.try_lock(lock(owner="h:1:aa"))
    # a takeover decided against a holder that is no longer there must not win
    assert store.try_lock(lock(owner="h:3:cc"), replace_owner="h:9:zz") == lock(owner="h:1:aa")
    assert store.get_lock("dev/acme") == lock(owner="h:1:aa")
    assert store.try_lock(lock(owner="h:2:bb"), replace_owner="h:1:aa") is None
    assert store.get_lock("dev/acme") == lock(owner="h:2:bb")
    # replace_owner on a free key simply takes it
    assert store.try_lock(lock("sit/acme", owner="h:4:dd"), replace_owner="h:1:aa") is None


def test_release_only_by_owner(store: StateStore) -> None:
    store.try_lock(lock(owner="h:1:aa"))
    store.release_lock("dev/acme", "h:2:bb")
    assert store.get_lock("dev/acme") == lock(owner="h:1:aa")
    store.release_lock("dev/acme", "h:1:aa")
    assert store.get_lock("dev/acme") is None
    store.release_lock("dev/acme", "h:1:aa")  # releasing a free lock is harmless
    assert store.try_lock(lock(owner="h:2:bb")) is None


def test_refresh_only_by_owner(store: StateStore) -> None:
    store.try_lock(lock(owner="h:1:aa", expires=2000.0))
    assert store.refresh_lock("dev/acme", "h:2:bb", 9999.0) is False
    assert store.get_lock("dev/acme") == lock(owner="h:1:aa", expires=2000.0)
    assert store.refresh_lock("dev/acme", "h:1:aa", 3000.5) is True
    assert store.get_lock("dev/acme") == lock(owner="h:1:aa", expires=3000.5)
    store.release_lock("dev/acme", "h:1:aa")
    assert store.refresh_lock("dev/acme", "h:1:aa", 4000.0) is False
    assert store.get_lock("dev/acme") is None


def test_locks_are_per_key(store: StateStore) -> None:
    assert store.try_lock(lock("dev/acme", "h:1:aa")) is None
    assert store.try_lock(lock("sit/acme", "h:2:bb")) is None
    assert store.get_lock("sit/acme") == lock("sit/acme", "h:2:bb")


# --- ownership --------------------------------------------------------------------------
def test_ownership_records(store: StateStore) -> None:
    store.record_owned("dev", "acme", "database/user", {"user": "acme_dev", "n": 1.5})
    store.record_owned("dev", "acme", "database/db", {"name": "acme"})
    store.record_owned("dev", "other", "database/db", {"name": "other"})
    store.record_owned("sit", "acme", "database/db", {"name": "acme-sit"})
    store.record_owned("dev", "acme", "database/db", {"name": "acme2"})  # replaces
    assert store.owned("dev", "acme") == {
        "database/user": {"user": "acme_dev", "n": 1.5},
        "database/db": {"name": "acme2"},
    }
    store.forget_owned("dev", "acme", "database/user")
    store.forget_owned("dev", "acme", "not/there")
    assert store.owned("dev", "acme") == {"database/db": {"name": "acme2"}}
    assert store.owned("sit", "acme") == {"database/db": {"name": "acme-sit"}}
    assert store.owned("prod", "acme") == {}


# --- allocations ------------------------------------------------------------------------
def test_allocate_first_free_skipping_others_and_taken(store: StateStore) -> None:
    assert store.allocate("sit", "priority", "a", range(10, 20), set()) == 10
    assert store.allocate("sit", "priority", "b", range(10, 20), {11, 12}) == 13
    assert store.allocate("sit", "priority", "c", range(10, 20), {11}) == 12
    assert store.allocations("sit", "priority") == {"a": 10, "b": 13, "c": 12}


def test_existing_allocation_is_kept(store: StateStore) -> None:
    assert store.allocate("sit", "priority", "a", [50, 51], set()) == 50
    # even when it is now "taken" or no longer a candidate
    assert store.allocate("sit", "priority", "a", [60, 61], {50}) == 50
    assert store.allocations("sit", "priority") == {"a": 50}


def test_allocations_are_scoped_by_env_and_kind(store: StateStore) -> None:
    assert store.allocate("sit", "priority", "a", [10, 11], set()) == 10
    assert store.allocate("prod", "priority", "b", [10, 11], set()) == 10
    assert store.allocate("sit", "uid", "b", [10, 11], set()) == 10
    assert store.allocations("prod", "priority") == {"b": 10}


def test_allocation_exhausted_raises_and_changes_nothing(store: StateStore) -> None:
    store.allocate("sit", "priority", "a", [10, 11], set())
    with pytest.raises(ValidationError, match="no free priority"):
        store.allocate("sit", "priority", "b", [10, 11], {11})
    assert store.allocations("sit", "priority") == {"a": 10}


def test_released_allocation_is_reused(store: StateStore) -> None:
    store.allocate("sit", "priority", "a", [10, 11], set())
    store.allocate("sit", "priority", "b", [10, 11], set())
    store.release_allocation("sit", "priority", "a")
    store.release_allocation("sit", "priority", "ghost")
    assert store.allocations("sit", "priority") == {"b": 11}
    assert store.allocate("sit", "priority", "c", [10, 11], set()) == 10


def _allocate_in_child(spec: StoreSpec, tenant: str, ready: Any, start: Any, out: Any) -> None:
    """Connect, report ready, wait for the start signal, allocate; every outcome (a value
    or an error's repr) goes to ``out`` so that the parent never waits in vain."""
    try:
        store = spec.open()
        store.allocations("sit", "warm-up")  # connect first, so that the calls below race
    except Exception as exc:
        ready.put(tenant)
        out.put((tenant, repr(exc)))
        return
    ready.put(tenant)
    start.wait(30)
    try:
        out.put((tenant, store.allocate("sit", "priority", tenant, range(100, 200), set())))
    except Exception as exc:
        out.put((tenant, repr(exc)))
    finally:
        store.close()


def test_concurrent_processes_get_distinct_values(store_spec: StoreSpec) -> None:
    if store_spec.kind == "memory":
        pytest.skip("an in-memory store lives in one process")
    # fork is unsafe next to moto's threads; a forkserver imports the stores once
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["wpfleet.state.sqlite", "wpfleet.state.dynamodb"])
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    tenants = [f"t{i}" for i in range(10)]
    procs = [
        ctx.Process(target=_allocate_in_child, args=(store_spec, t, ready, start, out))
        for t in tenants
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    start.set()
    results = dict(out.get(timeout=60) for _ in tenants)
    for p in procs:
        p.join(30)
    assert sorted(results) == tenants
    values = list(results.values())
    assert all(isinstance(v, int) for v in values), values
    assert len(set(values)) == 10 and set(values) <= set(range(100, 200))
    reader = store_spec.open()
    assert reader.allocations("sit", "priority") == results
    reader.close()


# --- documents --------------------------------------------------------------------------
def test_documents(store: StateStore) -> None:
    doc = {"tenant": "acme", "cpu": 256, "ratio": 0.5, "tags": ["a", "ü"], "x": None}
    store.put_document("config/dev/acme.json", doc)
    store.put_document("config/dev/beta.json", {"tenant": "beta"})
    store.put_document("config/dev2/acme.json", {"tenant": "other"})
    store.put_document("reports/dev/acme.json", {"ok": True})
    assert store.get_document("config/dev/acme.json") == doc
    assert store.get_document("missing") is None
    assert store.list_documents("config/dev/") == {
        "config/dev/acme.json": doc,
        "config/dev/beta.json": {"tenant": "beta"},
    }
    assert set(store.list_documents("config/")) == {
        "config/dev/acme.json", "config/dev/beta.json", "config/dev2/acme.json",
    }  # fmt: skip
    assert len(store.list_documents("")) == 4
    store.put_document("config/dev/beta.json", {"tenant": "beta", "v": 2})
    assert store.get_document("config/dev/beta.json") == {"tenant": "beta", "v": 2}
    store.delete_document("config/dev/acme.json")
    store.delete_document("config/dev/acme.json")  # deleting twice is harmless
    assert store.get_document("config/dev/acme.json") is None
    assert list(store.list_documents("config/dev/")) == ["config/dev/beta.json"]


def test_put_document_if_absent_writes_once(store: StateStore) -> None:
    assert store.put_document_if_absent("votes/r1/alice", {"decision": "approve", "n": 1})
    assert not store.put_document_if_absent("votes/r1/alice", {"decision": "reject"})
    assert store.get_document("votes/r1/alice") == {"decision": "approve", "n": 1}
    assert store.put_document_if_absent("votes/r1/bob", {"decision": "reject"})
    store.delete_document("votes/r1/alice")
    assert store.put_document_if_absent("votes/r1/alice", {"decision": "reject"})
    assert store.get_document("votes/r1/alice") == {"decision": "reject"}


def _claim_in_child(spec: StoreSpec, who: str, ready: Any, start: Any, out: Any) -> None:
    try:
        store = spec.open()
        store.get_document("warm-up")
    except Exception as exc:
        ready.put(who)
        out.put((who, repr(exc)))
        return
    ready.put(who)
    start.wait(30)
    try:
        out.put((who, store.put_document_if_absent("claims/r1", {"by": who})))
    except Exception as exc:
        out.put((who, repr(exc)))
    finally:
        store.close()


def test_put_document_if_absent_one_winner_across_processes(tmp_path: Any) -> None:
    """Ten processes race for one key of one SQLite file: exactly one wins, and the
    document is the winner's. (S3's conditional write is atomic by AWS's contract; moto's
    emulation of it is not under concurrency, so the race runs on SQLite only.)"""
    spec = StoreSpec("sqlite", path=str(tmp_path / ".wpfleet" / "state.db"))
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["wpfleet.state.sqlite"])
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    names = [f"p{i}" for i in range(10)]
    procs = [ctx.Process(target=_claim_in_child, args=(spec, n, ready, start, out)) for n in names]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    start.set()
    results = dict(out.get(timeout=60) for _ in names)
    for p in procs:
        p.join(30)
    winners = [n for n, won in results.items() if won is True]
    assert len(winners) == 1, results
    assert all(won is False for n, won in results.items() if n not in winners), results
    reader = spec.open()
    assert reader.get_document("claims/r1") == {"by": winners[0]}
    reader.close()
