"""Deployment locks: takeover rules against real processes and a real SQLite store."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wpfleet.engine.locks import LockManager, lock_key, pid_alive
from wpfleet.errors import ExitStatus, LockHeldError
from wpfleet.state.base import LockInfo
from wpfleet.state.sqlite import SqliteStore

HOST = socket.gethostname()
NOW = time.time()  # for "since": expiry is always taken from the clock at the test (a
# module-level "now + 600" had passed by the time a long, busy run reached the test)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


def seed(store: SqliteStore, *, host: str, pid: int, expires_at: float) -> LockInfo:
    holder = LockInfo("dev/acme", f"{host}:{pid}:feed", host, pid, NOW - 60, expires_at, "d-old")
    assert store.try_lock(holder) is None
    return holder


def finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_lock_key() -> None:
    assert lock_key("acme", "dev") == "dev/acme"


def test_acquire_release_and_context_manager(store: SqliteStore) -> None:
    with LockManager(store).acquire("dev/acme", "d-1") as held:
        info = store.get_lock("dev/acme")
        assert info is not None and info.owner == held.owner and info.deployment_id == "d-1"
        host, pid, rand = held.owner.split(":")
        assert (host, int(pid)) == (HOST, info.pid) and len(rand) >= 8
        assert held.taken_over_from is None
    assert store.get_lock("dev/acme") is None


def test_live_holder_on_this_host_is_refused(store: SqliteStore) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        holder = seed(store, host=HOST, pid=sleeper.pid, expires_at=time.time() + 600)
        with pytest.raises(LockHeldError) as err:
            LockManager(store).acquire("dev/acme", "d-new")
        message = str(err.value)
        for part in (HOST, str(sleeper.pid), "d-old", "since", "expires"):
            assert part in message
        assert err.value.hint and "wait" in err.value.hint
        assert err.value.status == ExitStatus.LOCK_HELD
        assert store.get_lock("dev/acme") == holder
    finally:
        sleeper.kill()
        sleeper.wait()


def test_dead_holder_on_this_host_is_taken_over_at_once(store: SqliteStore) -> None:
    holder = seed(store, host=HOST, pid=finished_pid(), expires_at=time.time() + 600)
    with LockManager(store).acquire("dev/acme", "d-new") as held:
        assert held.taken_over_from == holder
        lock = store.get_lock("dev/acme")
        assert lock is not None and lock.owner == held.owner and lock.deployment_id == "d-new"


def test_zombie_counts_as_dead() -> None:
    proc = subprocess.Popen(["true"])
    try:
        deadline = time.monotonic() + 5
        while pid_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not pid_alive(proc.pid)  # exited but not yet reaped: a zombie
        assert Path(f"/proc/{proc.pid}").exists()
    finally:
        proc.wait()


def test_dead_pid_on_another_host_waits_for_expiry(store: SqliteStore) -> None:
    seed(store, host="elsewhere", pid=finished_pid(), expires_at=time.time() + 600)
    with pytest.raises(LockHeldError, match="elsewhere"):
        LockManager(store).acquire("dev/acme")


def test_expired_lock_is_taken_over(store: SqliteStore) -> None:
    holder = seed(store, host="elsewhere", pid=1, expires_at=time.time() - 1)
    with LockManager(store).acquire("dev/acme") as held:
        assert held.taken_over_from == holder


def test_refresh_extends_and_detects_loss(store: SqliteStore) -> None:
    clock = [1000.0]
    manager = LockManager(store, ttl=10, clock=lambda: clock[0])
    held = manager.acquire("dev/acme", keepalive=False)
    clock[0] = 1005.0
    held.refresh()
    lock = store.get_lock("dev/acme")
    assert lock is not None and lock.expires_at == 1015.0
    # expired: another host takes it over; our refresh must notice, not steal it back
    clock[0] = 1020.0
    other = LockManager(store, ttl=10, clock=lambda: clock[0], host="other-host").acquire(
        "dev/acme", keepalive=False
    )
    with pytest.raises(LockHeldError, match="lost"):
        held.refresh()
    held.release()  # a lost lock's release leaves the new holder alone
    lock = store.get_lock("dev/acme")
    assert lock is not None and lock.owner == other.owner


def test_keepalive_holds_a_lock_past_its_ttl(store: SqliteStore) -> None:
    with LockManager(store, ttl=0.3).acquire("dev/acme") as held:
        time.sleep(0.6)
        lock = store.get_lock("dev/acme")
        assert lock is not None and lock.owner == held.owner
        assert lock.expires_at > time.time()  # refreshed: without it, expired 0.3 s ago
        assert not held.lost
    assert store.get_lock("dev/acme") is None


def test_keepalive_notices_a_takeover(store: SqliteStore) -> None:
    held = LockManager(store, ttl=0.15).acquire("dev/acme")
    store.release_lock("dev/acme", held.owner)  # as if it had expired and been taken over
    LockManager(store, ttl=60).acquire("dev/acme", keepalive=False)
    deadline = time.monotonic() + 5
    while not held.lost and time.monotonic() < deadline:
        time.sleep(0.02)
    assert held.lost
    held.release()
    assert store.get_lock("dev/acme") is not None  # the new holder keeps it


def _race(db: str, start: Any, done: Any, out: Any) -> None:
    store = SqliteStore(Path(db))
    start.wait(30)
    try:
        held = LockManager(store).acquire("dev/acme")
    except LockHeldError:
        out.put("refused")
        return
    out.put("won")
    done.wait(30)  # hold the lock until every racer has tried
    held.release()


@pytest.mark.parametrize("stale", [False, True], ids=["free", "expired-holder"])
def test_racing_processes_exactly_one_wins(tmp_path: Path, stale: bool) -> None:
    db = tmp_path / "state.db"
    store = SqliteStore(db)
    if stale:
        seed(store, host="elsewhere", pid=1, expires_at=time.time() - 1)
    ctx = multiprocessing.get_context("spawn")
    start, done, out = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(db), start, done, out)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = sorted(out.get(timeout=60) for _ in procs)
    done.set()
    for p in procs:
        p.join(30)
    assert results == ["refused", "refused", "refused", "won"]
