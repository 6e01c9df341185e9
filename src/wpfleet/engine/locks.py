"""Per-(tenant, env) deployment locks with an owner and an expiry.

A lock names its holder (``host:pid:random``), the deployment it serves and when it
expires, so a run killed half-way never blocks the next one for long:

- a free key is taken;
- an EXPIRED lock is taken over;
- a lock whose holder ran on THIS host and whose process is gone (or a zombie) is taken
  over at once, without waiting for the expiry;
- any other lock is refused with ``LockHeldError`` naming the holder and what to do.

Takeovers go through ``StateStore.try_lock(replace_owner=...)``, which succeeds only if the
stale holder still holds the key: of two runs racing to take over, exactly one wins.
PID reuse can make a dead holder look alive; then the expiry still frees the lock.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from wpfleet.errors import LockHeldError
from wpfleet.state.base import LockInfo, StateStore

log = logging.getLogger(__name__)

#: how many stale holders one ``acquire`` walks through before giving up (each takeover
#: that loses a race re-reads the new holder).
MAX_TAKEOVER_ATTEMPTS = 3


def lock_key(tenant: str, env: str) -> str:
    """The lock key of one tenant in one environment."""
    return f"{env}/{tenant}"


def pid_alive(pid: int) -> bool:
    """True when ``pid`` is a running (non-zombie) process on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False  # no /proc (not Linux) or the process just went: trust kill()
    # the command name (2nd field) may contain spaces and parentheses: state follows the last ')'
    fields = stat[stat.rfind(")") + 1 :].split()
    return bool(fields) and fields[0] in ("Z", "X")


class HeldLock:
    """A lock this process holds; releases it on ``with`` exit. Safe to release twice.

    With a keepalive (the default of ``LockManager.acquire``) a daemon thread refreshes
    the expiry every ``ttl / 3`` seconds, so a deployment longer than ``ttl`` keeps its
    lock while its process lives; a killed process stops refreshing and its lock expires.
    ``lost`` turns True if a refresh finds the lock taken over.
    """

    def __init__(
        self, manager: LockManager, info: LockInfo, taken_over_from: LockInfo | None
    ) -> None:
        self._manager = manager
        self.info = info
        self.key = info.key
        self.owner = info.owner
        self.taken_over_from = taken_over_from
        self.released = False
        self.lost = False
        self._stop = threading.Event()
        self._keepalive: threading.Thread | None = None

    def start_keepalive(self, interval: float) -> None:
        """Refresh every ``interval`` seconds in a daemon thread until released."""
        self._keepalive = threading.Thread(
            target=self._keep_alive, args=(interval,), name=f"lock {self.key}", daemon=True
        )
        self._keepalive.start()

    def _keep_alive(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
            except LockHeldError as exc:
                self.lost = True
                log.error("%s", exc)
                return
            except Exception as exc:  # a transient store error: the next beat retries
                log.warning("could not refresh lock %s: %s", self.key, exc)

    def refresh(self) -> None:
        """Push the expiry ``ttl`` seconds ahead; raises ``LockHeldError`` when the lock
        was lost (it expired and another run took it over)."""
        expires = self._manager.clock() + self._manager.ttl
        if not self._manager.store.refresh_lock(self.key, self.owner, expires):
            holder = self._manager.store.get_lock(self.key)
            raise LockHeldError(
                f"lock {self.key} was lost: " + (describe(holder) if holder else "it is free"),
                hint="this run held the lock past its expiry; re-run the command",
            )

    def release(self) -> None:
        self._stop.set()
        if self._keepalive is not None and self._keepalive is not threading.current_thread():
            self._keepalive.join()
        if not self.released:
            self._manager.store.release_lock(self.key, self.owner)
            self.released = True

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class LockManager:
    """Acquires locks in ``store`` for this process; ``ttl`` is the expiry in seconds."""

    def __init__(
        self,
        store: StateStore,
        ttl: float = 900.0,
        *,
        clock: Callable[[], float] = time.time,
        host: str | None = None,
        is_alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self.host = host or socket.gethostname()
        self.is_alive = is_alive

    def new_owner(self) -> str:
        return f"{self.host}:{os.getpid()}:{secrets.token_hex(6)}"

    def acquire(self, key: str, deployment_id: str = "", *, keepalive: bool = True) -> HeldLock:
        """Take ``key`` or take it over from a stale holder; raises ``LockHeldError``.
        ``keepalive`` refreshes the expiry in the background until the lock is released."""
        held = self._take(key, deployment_id)
        if keepalive:
            held.start_keepalive(self.ttl / 3)
        return held

    def _take(self, key: str, deployment_id: str) -> HeldLock:
        now = self.clock()
        info = LockInfo(
            key=key,
            owner=self.new_owner(),
            host=self.host,
            pid=os.getpid(),
            acquired_at=now,
            expires_at=now + self.ttl,
            deployment_id=deployment_id,
        )
        stale: LockInfo | None = None
        for _ in range(MAX_TAKEOVER_ATTEMPTS):
            holder = self.store.try_lock(info, replace_owner=stale.owner if stale else None)
            if holder is None:
                return HeldLock(self, info, taken_over_from=stale)
            if not self.is_stale(holder, self.clock()):
                raise held_error(holder)
            stale = holder
        raise LockHeldError(
            f"lock {key} changed hands {MAX_TAKEOVER_ATTEMPTS} times while taking it over",
            hint="other runs are fighting over this tenant; wait a moment and re-run",
        )

    def is_stale(self, holder: LockInfo, now: float) -> bool:
        """Expired, or held by a process of this host that no longer runs."""
        if holder.expires_at <= now:
            return True
        return holder.host == self.host and not self.is_alive(holder.pid)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe(holder: LockInfo) -> str:
    """Who holds a lock, in words a user can act on."""
    dep = f"deployment {holder.deployment_id}" if holder.deployment_id else "a run"
    return (
        f"held by {dep} on host {holder.host} (pid {holder.pid}) since "
        f"{_when(holder.acquired_at)}, expires {_when(holder.expires_at)}"
    )


def held_error(holder: LockInfo) -> LockHeldError:
    return LockHeldError(
        f"lock {holder.key} is {describe(holder)}",
        hint=(
            "wait for that run to finish (`wpfleet history` shows it); if it is stuck, stop "
            f"process {holder.pid} on {holder.host}: a lock whose process is gone is taken "
            f"over at once on that host, and from anywhere after {_when(holder.expires_at)}"
        ),
    )
