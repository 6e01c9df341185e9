"""Rollback: how a failed deployment decides what to undo, and undoes it.

The rule, in one place: every change this deployment recorded (and those it inherited
from a killed one) is undone, newest first —

- a create is undone by deleting what was created (and forgetting it as ours);
- an update is undone by restoring the exact state recorded before it (never torn down);
- an adoption is undone by restoring that state and releasing the resource;
- a delete, and a noop, cannot be undone and are skipped.

One undo failing does not stop the others; the result lists what was undone and what
was not (and why), so the deployment ends ``rolled-back`` or ``needs-attention``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from wpfleet.engine.events import EventSink, StepEvent, describe
from wpfleet.engine.faults import Faults
from wpfleet.engine.journal import Change
from wpfleet.engine.resource import Op, Resource
from wpfleet.state.base import StateStore

JournalWriter = Callable[..., None]


@dataclass
class RollbackResult:
    undone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.failed


def undoable(change: Change) -> bool:
    """Whether a change is undone at all (deletions and noops are not)."""
    return change.op not in (Op.NOOP, Op.DELETE)


@dataclass
class Undoer:
    """Undoes one change of one tenant in one environment, keeping ownership in step."""

    store: StateStore
    env: str
    tenant: str

    def undo(self, change: Change, resource: Resource) -> None:
        if change.op is Op.CREATE:
            resource.delete()
            if resource.standalone:
                self.store.forget_owned(self.env, self.tenant, resource.id)
        elif change.op is Op.UPDATE and change.before is not None:
            resource.undo_update(change.before)
        elif change.op is Op.ADOPT:
            if change.before is not None:
                resource.undo_update(change.before)
            self.store.forget_owned(self.env, self.tenant, resource.id)


def rollback(
    changes: Sequence[Change],
    resources: dict[str, Resource],
    undoer: Undoer,
    *,
    journal: JournalWriter,
    on_event: EventSink,
    faults: Faults,
) -> RollbackResult:
    """Undo every undoable change, newest first; journal and report each undo."""
    result = RollbackResult()
    for change in reversed(changes):
        resource = resources.get(change.step_id)
        if not undoable(change):
            continue
        started = time.monotonic()
        try:
            if resource is None:
                raise RuntimeError("no longer part of the tenant's resources")
            faults.at(f"undo:{change.step_id}")
            undoer.undo(change, resource)
        except Exception as exc:
            result.failed[change.step_id] = describe(exc)
            journal(change.step_id, change.op, "undo-failed", error=describe(exc))
            on_event(StepEvent(change.step_id, change.op, "undo-failed", 0, describe(exc)))
            continue
        result.undone.append(change.step_id)
        journal(change.step_id, change.op, "undone")
        on_event(StepEvent(change.step_id, change.op, "undone", time.monotonic() - started))
    return result
