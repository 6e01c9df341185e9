"""The journal: a line before and after every change, so that a run killed half-way
can be undone (or completed) by the next one.

``Journal`` numbers and writes the lines of one deployment; ``changes_from_journal``
reads back what a killed deployment changed (or may have changed) and did not undo;
``take_over_abandoned`` marks such deployments and hands their changes to the next.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from wpfleet.engine.resource import Op, State
from wpfleet.state.base import JournalEntry, StateStore


@dataclass
class Change:
    """A change this deployment made (or inherited from a killed one): what undo needs."""

    step_id: str
    op: Op
    before: State | None


class Journal:
    """The journal of one deployment: thread-safe, numbered on from what is there."""

    def __init__(self, store: StateStore, deployment_id: str) -> None:
        self.store = store
        self.deployment_id = deployment_id
        entries = store.journal(deployment_id)
        self._seq = (entries[-1].seq + 1) if entries else 0
        self._lock = threading.Lock()

    def append(self, step_id: str, op: Op, status: str, **extra: object) -> None:
        """One line: ``status`` is started, done, failed, undone or undo-failed."""
        with self._lock:
            seq = self._seq
            self._seq += 1
        entry = JournalEntry(
            deployment_id=self.deployment_id,
            seq=seq,
            step_id=step_id,
            op=op.value,
            status=status,
            at=time.time(),
            before=extra.get("before"),  # type: ignore[arg-type]
            after=extra.get("after"),  # type: ignore[arg-type]
            error=str(extra.get("error", "")),
        )
        self.store.append_journal(entry)


def changes_from_journal(entries: Iterable[JournalEntry]) -> list[Change]:
    """Changes a killed deployment made (or may have made) and did not undo."""
    entries = list(entries)
    undone = {e.step_id for e in entries if e.status in ("undone",)}
    seen: dict[str, Change] = {}
    for entry in entries:
        if entry.status == "started" and entry.step_id not in undone:
            seen.setdefault(entry.step_id, Change(entry.step_id, Op(entry.op), entry.before))
    return list(seen.values())


def take_over_abandoned(
    store: StateStore, env: str, tenant: str
) -> tuple[list[Change], str | None]:
    """A deployment still 'running' while we hold the lock was killed: inherit its
    changes so that a failure now undoes them too (no half-made tenant is left).
    Returns the inherited changes and the id of the deployment resumed from."""
    inherited: list[Change] = []
    resumed: str | None = None
    for old in store.list_deployments(tenant=tenant, env=env, limit=20):
        if old.status != "running":
            continue
        inherited = changes_from_journal(store.journal(old.id)) + inherited
        old.status = "abandoned"
        old.finished_at = time.time()
        old.error = "process died; resumed by a later deployment"
        store.put_deployment(old)
        resumed = resumed or old.id
    return inherited, resumed
