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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from wpfleet.engine.faults import Faults
from wpfleet.engine.resource import Op, Resource, State, Step
from wpfleet.errors import WpfleetError
from wpfleet.state.base import JournalEntry, StateStore

DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class StepEvent:
    """Progress report: ``status`` is started, done, failed, undone or undo-failed."""

    step_id: str
    op: Op
    status: str
    seconds: float = 0.0
    error: str = ""


EventSink = Callable[[StepEvent], None]


@dataclass
class Change:
    """A change this deployment made (or inherited from a killed one): what undo needs."""

    step_id: str
    op: Op
    before: State | None


@dataclass
class StepFailure(Exception):
    step_id: str
    error: BaseException

    def __str__(self) -> str:
        return f"{self.step_id}: {describe(self.error)}"


@dataclass
class RollbackResult:
    undone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.failed


def describe(error: BaseException) -> str:
    """A one-line reason fit for a journal or a terminal: never a traceback."""
    if isinstance(error, WpfleetError):
        return error.message
    return f"{type(error).__name__}: {error}"


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
        self._seq = self._next_seq()
        self._lock = threading.Lock()

    # --- journal -------------------------------------------------------------------------
    def _next_seq(self) -> int:
        entries = self.store.journal(self.deployment_id)
        return (entries[-1].seq + 1) if entries else 0

    def _journal(self, step_id: str, op: Op, status: str, **extra: object) -> None:
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
        """Undo every recorded change, newest first. Deletions cannot be undone."""
        result = RollbackResult()
        for change in reversed(self.changes):
            resource = resources.get(change.step_id)
            if change.op in (Op.NOOP, Op.DELETE):
                continue
            started = time.monotonic()
            try:
                if resource is None:
                    raise RuntimeError("no longer part of the tenant's resources")
                self.faults.at(f"undo:{change.step_id}")
                self._undo(change, resource)
            except Exception as exc:
                result.failed[change.step_id] = describe(exc)
                self._journal(change.step_id, change.op, "undo-failed", error=describe(exc))
                self.on_event(StepEvent(change.step_id, change.op, "undo-failed", 0, describe(exc)))
                continue
            result.undone.append(change.step_id)
            self._journal(change.step_id, change.op, "undone")
            self.on_event(
                StepEvent(change.step_id, change.op, "undone", time.monotonic() - started)
            )
        return result

    def _undo(self, change: Change, resource: Resource) -> None:
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


def changes_from_journal(entries: Iterable[JournalEntry]) -> list[Change]:
    """Changes a killed deployment made (or may have made) and did not undo."""
    entries = list(entries)
    undone = {e.step_id for e in entries if e.status in ("undone",)}
    seen: dict[str, Change] = {}
    for entry in entries:
        if entry.status == "started" and entry.step_id not in undone:
            seen.setdefault(entry.step_id, Change(entry.step_id, Op(entry.op), entry.before))
    return list(seen.values())
