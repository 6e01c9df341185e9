"""Executing a plan: dependency order, concurrency, a journal, and exact rollback.

Guarantees:
- a journal entry (status ``started``, with the state ``before``) is written before every
  change, so a run killed half-way can be completed or undone by the next one;
- a resource is recorded as ours before it is created, so a half-made resource left by a
  killed run is recognised as ours (and never as a conflict) by the next run;
- independent steps run concurrently; a step starts only after everything it depends
  on has succeeded (for deletions: after everything that depends on it is gone);
- on failure nothing new starts, running steps finish, and exactly what this deployment
  changed is undone in reverse order: created → deleted, updated → restored (never torn
  down), adopted → released.

The journal is ``wpfleet.engine.journal``; what is undone, and how, is
``wpfleet.engine.rollback``; this module runs steps and records their changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from wpfleet.engine.events import EventSink, StepEvent, describe
from wpfleet.engine.faults import Faults
from wpfleet.engine.journal import Change, Journal, changes_from_journal
from wpfleet.engine.resource import Op, Resource, Step
from wpfleet.engine.rollback import RollbackResult, Undoer, rollback
from wpfleet.state.base import StateStore

__all__ = [
    "Change",
    "EventSink",
    "Executor",
    "RollbackResult",
    "StepEvent",
    "StepFailure",
    "changes_from_journal",
    "describe",
]

DEFAULT_CONCURRENCY = 4


@dataclass
class StepFailure(Exception):
    step_id: str
    error: BaseException

    def __str__(self) -> str:
        return f"{self.step_id}: {describe(self.error)}"


class Executor:
    """Runs the steps of one deployment of one tenant in one environment."""

    def __init__(
        self,
        store: StateStore,
        deployment_id: str,
        env: str,
        tenant: str,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_event: EventSink | None = None,
        faults: Faults | None = None,
        inherited: Iterable[Change] = (),
        guard: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.deployment_id = deployment_id
        self.env = env
        self.tenant = tenant
        self.concurrency = concurrency
        self.on_event = on_event or (lambda _e: None)
        self.faults = faults or Faults()  # the seams are read by the caller, never here
        self.changes: list[Change] = list(inherited)
        #: called before every change; raises to stop (e.g. the lock was lost)
        self.guard = guard or (lambda: None)
        self.journal = Journal(store, deployment_id)
        self._lock = threading.Lock()

    # --- journal -----------------------------------------------------------------------
    def _journal(self, step_id: str, op: Op, status: str, **extra: object) -> None:
        self.journal.append(step_id, op, status, **extra)

    # --- apply ---------------------------------------------------------------------------
    def apply(self, steps: Sequence[Step], *, reverse_dependencies: bool = False) -> None:
        """Run the non-noop steps; raise ``StepFailure`` after in-flight steps finish."""
        todo = {s.id: s for s in steps if s.op is not Op.NOOP}
        deps = _dependencies(steps, todo, reverse_dependencies)
        done: set[str] = set()
        failure: StepFailure | None = None
        running: dict[Future[None], Step] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            while todo or running:
                if failure is None:
                    for step in [s for s in todo.values() if deps[s.id] <= done]:
                        del todo[step.id]
                        running[pool.submit(self._run_step, step)] = step
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    step = running.pop(future)
                    error = future.exception()
                    if error is None:
                        done.add(step.id)
                    elif failure is None:
                        failure = StepFailure(step.id, error)
        if failure is not None:
            raise failure
        if todo:  # a dependency cycle or a dependency on a failed step
            raise StepFailure(next(iter(todo)), RuntimeError("unsatisfiable dependencies"))

    def _run_step(self, step: Step) -> None:
        resource = _resource(step)
        started = time.monotonic()
        self.faults.at(step.id)
        self.guard()
        self._journal(step.id, step.op, "started", before=step.before)
        with self._lock:
            self.changes.append(Change(step.id, step.op, step.before))
        self.on_event(StepEvent(step.id, step.op, "started"))
        try:
            self._perform(step, resource)
            self.faults.at(f"{step.id}@after")
        except BaseException as exc:
            self._journal(step.id, step.op, "failed", error=describe(exc))
            self.on_event(
                StepEvent(step.id, step.op, "failed", time.monotonic() - started, describe(exc))
            )
            raise
        self._journal(step.id, step.op, "done", after=step.after)
        self.on_event(StepEvent(step.id, step.op, "done", time.monotonic() - started))

    def _perform(self, step: Step, resource: Resource) -> None:
        if step.op is Op.CREATE:
            self._own(resource)
            resource.create()
            self._own(resource)
        elif step.op is Op.UPDATE:
            resource.update(resource.desired())
        elif step.op is Op.ADOPT:
            self._own(resource)
            if step.changes:
                resource.update(resource.desired())
        elif step.op is Op.DELETE:
            resource.delete()
            self.store.forget_owned(self.env, self.tenant, resource.id)

    def _own(self, resource: Resource) -> None:
        if resource.standalone:
            data = resource.ownership_data()
            self.store.record_owned(self.env, self.tenant, resource.id, data)

    # --- rollback ------------------------------------------------------------------------
    def rollback(self, resources: dict[str, Resource]) -> RollbackResult:
        """Undo every recorded change, newest first (see ``wpfleet.engine.rollback``)."""
        return rollback(
            self.changes,
            resources,
            Undoer(self.store, self.env, self.tenant),
            journal=self._journal,
            on_event=self.on_event,
            faults=self.faults,
        )


def _resource(step: Step) -> Resource:
    if step.resource is None:
        raise RuntimeError(f"step {step.id} has no resource")
    return step.resource


def _dependencies(
    steps: Sequence[Step], todo: dict[str, Step], reverse: bool
) -> dict[str, set[str]]:
    """Step id -> ids it must wait for (only those that are in ``todo``)."""
    deps: dict[str, set[str]] = {sid: set() for sid in todo}
    for step in steps:
        for dep in step.depends_on:
            if reverse:
                if dep in deps and step.id in todo:
                    deps[dep].add(step.id)
            elif step.id in deps and dep in todo:
                deps[step.id].add(dep)
    return deps
