"""The pipeline: validate → database → infra → verify → dns → post, and its inverse.

One ``Pipeline`` serves one environment. ``plan`` and ``deploy`` go through the same
planning code; ``deploy`` executes it under the (tenant, env) lock, verifies, and rolls
back exactly what it changed when anything fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from wpfleet.approvals.policy import Request
from wpfleet.backends import get_backend
from wpfleet.backends.base import Backend, TenantContext
from wpfleet.checks.verify import CheckOutcome, VerifyReport, run_checks
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment
from wpfleet.engine.executor import Change, Executor, StepEvent
from wpfleet.engine.faults import Faults
from wpfleet.engine.journal import take_over_abandoned
from wpfleet.engine.locks import HeldLock, LockManager, lock_key
from wpfleet.engine.plan import plan_apply, plan_destroy
from wpfleet.engine.resource import PHASE_ORDER, Op, Phase, Resource, Step
from wpfleet.errors import (
    LockHeldError,
    VerifyFailedError,
)
from wpfleet.pipeline import releasing, site_address
from wpfleet.pipeline.config_document import ConfigDocument, release_id
from wpfleet.pipeline.context import new_deployment_id, tenant_context
from wpfleet.pipeline.failure import fail_deployment
from wpfleet.state import open_store
from wpfleet.state.base import Deployment, Json, StateStore

StepSink = Callable[[str, StepEvent], None]
CheckSink = Callable[[str, CheckOutcome], None]
DEFAULT_VERIFY_DEADLINE = 60.0


@dataclass
class Outcome:
    tenant: str
    env: str
    steps: list[Step] = field(default_factory=list)
    deployment: Deployment | None = None
    report: VerifyReport | None = None

    @property
    def changed(self) -> list[Step]:
        return [s for s in self.steps if s.op is not Op.NOOP]


class Pipeline:
    def __init__(
        self,
        loaded: LoadedFleet,
        env: Environment | str,
        *,
        store: StateStore | None = None,
        backend: Backend | None = None,
        faults: Faults | None = None,
        on_step: StepSink | None = None,
        on_check: CheckSink | None = None,
        verify_deadline: float = DEFAULT_VERIFY_DEADLINE,
        who: str = "",
        clock: Callable[[], float] = time.time,
        restore_points: site_address.RestorePoints | None = None,
    ) -> None:
        """``store`` and ``backend``, when given, belong to the caller (a ``Workspace``)
        and are not closed here. ``faults`` are the test seams (none by default: the
        caller reads ``$WPFLEET_INJECT_*``, the pipeline never does)."""
        self.loaded = loaded
        self.env = loaded.fleet.env(env) if isinstance(env, str) else env
        self.store = store or open_store(loaded, self.env)
        self.faults = faults or Faults()
        self.on_step = on_step or (lambda _t, _e: None)
        self.on_check = on_check or (lambda _t, _o: None)
        self.verify_deadline = verify_deadline
        self.who = who
        self.clock = clock  # approvals judge expiry, wait timers and windows by it
        self.restore_points = restore_points  # a domain move takes one (``site_address``)
        self._backend: Backend | None = backend
        self._owns_backend = backend is None
        self._backend_lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        """One backend per pipeline, shared by the tenants of a batch (thread-safe)."""
        with self._backend_lock:
            if self._backend is None:
                self._backend = get_backend(self.loaded, self.env, self.store)
            return self._backend

    def context(self, tenant_id: str, deployment_id: str = "") -> TenantContext:
        return tenant_context(
            self.loaded,
            self.env,
            tenant_id,
            self.store,
            deployment_id=deployment_id,
            who=self.who,
        )

    def resources(self, ctx: TenantContext, *, moving: bool = False) -> list[Resource]:
        """``moving``: with the steps of a domain move, when the tenant's URL changed."""
        moves = site_address.resources(ctx, self.backend, self.restore_points) if moving else []
        return [*self.backend.resources(ctx), *moves, ConfigDocument(ctx, self.backend)]

    # --- plan ----------------------------------------------------------------------------
    def plan(
        self, tenant_id: str, *, destroy: bool = False, adopt: bool = False, pin: Json | None = None
    ) -> list[Step]:
        ctx = releasing.pinned(self.context(tenant_id), pin)
        self.backend.preflight()
        owned = set(self.store.owned(self.env.name, tenant_id))
        resources = self.resources(ctx, moving=not destroy)
        if destroy:
            return plan_destroy(resources, owned)
        return plan_apply(resources, owned, adopt=adopt)

    # --- deploy --------------------------------------------------------------------------
    def deploy(
        self,
        tenant_id: str,
        *,
        adopt: bool = False,
        pin: Json | None = None,
        kind: str = "",
        request_id: str | None = None,
        reason: str = "",
        origin: Json | None = None,
    ) -> Outcome:
        """Deploy the fleet file's config, or ``pin`` (a release's config: promote,
        rollback). Where the environment has approvals, a deploy without an approved
        ``request_id`` records a pending request and raises exit 6."""
        deployment_id = new_deployment_id()
        ctx = releasing.pinned(self.context(tenant_id, deployment_id), pin)
        kind = kind or ("adopt" if adopt else "deploy")
        request = releasing.gate(
            self.store, ctx, lambda: self.plan(tenant_id, adopt=adopt, pin=pin), kind=kind,
            pin=pin, request_id=request_id, reason=reason, origin=origin, clock=self.clock,
        )  # fmt: skip
        try:
            return self._deploy_locked(ctx, kind, adopt, reason, origin, request)
        except BaseException:
            releasing.unclaim_unstarted(self.store, request, self.clock)
            raise

    def _deploy_locked(
        self,
        ctx: TenantContext,
        kind: str,
        adopt: bool,
        reason: str,
        origin: Json | None,
        request: Request | None,
    ) -> Outcome:
        tenant_id, deployment_id = ctx.tenant.id, ctx.deployment_id
        self.backend.preflight()
        key = lock_key(tenant_id, self.env.name)
        with LockManager(self.store).acquire(key, deployment_id) as lock:
            inherited, resumed_from = self._take_over_abandoned(tenant_id)
            deployment = Deployment(
                id=deployment_id,
                tenant=tenant_id,
                env=self.env.name,
                kind=kind,
                status="running",
                actor=ctx.actor,
                started_at=ctx.started_at,
                release={"id": release_id(ctx), "config": ctx.tenant.as_release_config(),
                         "origin": origin or {}},
                resumed_from=resumed_from,
                summary={"reason": reason, "approval": request.id if request else None},
            )  # fmt: skip
            self.store.put_deployment(deployment)
            outcome = Outcome(tenant_id, self.env.name, deployment=deployment)
            try:
                self._run(ctx, outcome, inherited, adopt, guard=lambda: _still_held(lock))
            finally:
                releasing.finish(self.store, request, deployment, self.clock)
            return outcome

    def _run(
        self,
        ctx: TenantContext,
        outcome: Outcome,
        inherited: list[Change],
        adopt: bool,
        guard: Callable[[], None],
    ) -> None:
        deployment = outcome.deployment
        assert deployment is not None
        resources: list[Resource] = []
        executor = Executor(
            self.store,
            deployment.id,
            self.env.name,
            ctx.tenant.id,
            on_event=lambda e: self.on_step(ctx.tenant.id, e),
            faults=self.faults,
            inherited=inherited,
            guard=guard,
        )
        try:
            resources = self.resources(ctx, moving=True)  # a refused move changed nothing
            owned = set(self.store.owned(self.env.name, ctx.tenant.id))
            outcome.steps = plan_apply(resources, owned, adopt=adopt)
            self._apply_phases(ctx, executor, outcome, resources, adopt=adopt)
        except BaseException as exc:
            releasing.record_failure(self.store, ctx, deployment)
            self._fail(deployment, outcome, executor, resources, exc)
        deployment.status = "succeeded"
        deployment.finished_at = time.time()
        deployment.summary = {**deployment.summary, **_summary(outcome)}
        self.store.put_deployment(deployment)
        releasing.record(self.store, ctx, deployment, passed=True, backend=self.backend)
        site_address.record(outcome.steps, deployment)

    def _apply_phases(
        self,
        ctx: TenantContext,
        executor: Executor,
        outcome: Outcome,
        resources: Sequence[Resource],
        *,
        adopt: bool = False,
    ) -> None:
        changed_before = False
        for phase in PHASE_ORDER:
            steps = [s for s in outcome.steps if s.phase is phase]
            if changed_before and steps:
                # earlier phases changed things this phase's desired state may derive from
                owned = set(self.store.owned(self.env.name, ctx.tenant.id))
                phase_resources = [r for r in resources if r.phase is phase]
                steps = plan_apply(phase_resources, owned, adopt=adopt)
                outcome.steps = [s for s in outcome.steps if s.phase is not phase] + steps
            executor.apply(steps)
            changed_before = changed_before or any(s.op is not Op.NOOP for s in steps)
            if self._verify_after(phase):
                outcome.report = self._verify(ctx, phase, outcome.report)
                if not outcome.report.ok:
                    failed = [o.name for o in outcome.report.outcomes if not o.ok]
                    raise VerifyFailedError(
                        f"verification failed for {ctx.tenant.id} in {self.env.name}: "
                        + ", ".join(failed),
                        hint=f"details: wpfleet verify {ctx.tenant.id} --env {self.env.name}",
                    )

    def _verify_after(self, phase: Phase) -> bool:
        """prod verifies after DNS; the others after INFRA, and their ``after_dns``
        checks (https through the public name) after DNS."""
        return phase is Phase.DNS or (phase is Phase.INFRA and not self.env.is_prod)

    def _fail(
        self,
        deployment: Deployment,
        outcome: Outcome,
        executor: Executor,
        resources: Sequence[Resource],
        exc: BaseException,
    ) -> NoReturn:
        deployment.summary = {**deployment.summary, **_summary(outcome)}
        fail_deployment(self.store, deployment, executor, resources, exc)

    def _take_over_abandoned(self, tenant_id: str) -> tuple[list[Change], str | None]:
        return take_over_abandoned(self.store, self.env.name, tenant_id)

    # --- verify --------------------------------------------------------------------------
    def _verify(
        self, ctx: TenantContext, phase: Phase | None = None, earlier: VerifyReport | None = None
    ) -> VerifyReport:
        """Run the checks due after ``phase`` (None: all), adding to ``earlier``."""
        checks = self.backend.checks(ctx)
        if phase is not None and not self.env.is_prod:
            checks = [c for c in checks if c.after_dns == (phase is Phase.DNS)]
        if earlier is not None and not checks:
            return earlier
        report = run_checks(
            self.faults.wrap_checks(checks),
            tenant=ctx.tenant.id,
            env=self.env.name,
            deployment_id=ctx.deployment_id,
            deadline=self.verify_deadline,
            on_progress=lambda o: self.on_check(ctx.tenant.id, o),
        )
        if earlier is not None:
            report.outcomes = earlier.outcomes + report.outcomes
            report.started_at = earlier.started_at
        self._save_report(report)
        return report

    def verify(self, tenant_id: str) -> VerifyReport:
        ctx = self.context(tenant_id)
        last = self.store.list_deployments(tenant=tenant_id, env=self.env.name, limit=1)
        if last:
            ctx.started_at = last[0].started_at
            ctx.deployment_id = last[0].id
        self.backend.preflight()
        return self._verify(ctx)

    def _save_report(self, report: VerifyReport) -> None:
        key = f"report/{report.env}/{report.tenant}/{report.deployment_id or 'adhoc'}"
        self.store.put_document(key, report.as_dict())
        path = self.loaded.state_dir / "reports" / (key.replace("/", "_") + ".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.as_dict(), indent=2), encoding="utf-8")

    # --- destroy -------------------------------------------------------------------------
    def destroy(self, tenant_id: str) -> Outcome:
        """Delete every resource of the tenant, dependents first (``pipeline.destroy``)."""
        from wpfleet.pipeline.destroy import destroy_tenant

        return destroy_tenant(self, tenant_id)

    def close(self) -> None:
        if self._backend is not None and self._owns_backend:
            self._backend.close()


def _still_held(lock: HeldLock) -> None:
    if lock.lost:
        raise LockHeldError(
            f"lock {lock.key} was lost to another deployment; stopping before the next change",
            hint="see `wpfleet history` for who holds it now",
        )


def _summary(outcome: Outcome) -> dict[str, object]:
    counts: dict[str, int] = {}
    for step in outcome.steps:
        counts[step.op.value] = counts.get(step.op.value, 0) + 1
    return {
        "ops": counts,
        "steps": [{"id": s.id, "op": s.op.value, "changes": s.changes} for s in outcome.steps],
        "verify_ok": outcome.report.ok if outcome.report else None,
    }


# --- functional entry points --------------------------------------------------------------
def deploy(
    loaded: LoadedFleet,
    env_name: str,
    tenant_id: str,
    *,
    actor: str = "",
    store: StateStore | None = None,
    adopt: bool = False,
    verify_deadline: float = DEFAULT_VERIFY_DEADLINE,
) -> Outcome:
    pipeline = Pipeline(loaded, env_name, store=store, who=actor, verify_deadline=verify_deadline)
    try:
        return pipeline.deploy(tenant_id, adopt=adopt)
    finally:
        pipeline.close()


def plan(
    loaded: LoadedFleet,
    env_name: str,
    tenant_id: str,
    *,
    store: StateStore | None = None,
    destroy: bool = False,
) -> list[Step]:
    pipeline = Pipeline(loaded, env_name, store=store)
    try:
        return pipeline.plan(tenant_id, destroy=destroy)
    finally:
        pipeline.close()


def destroy(
    loaded: LoadedFleet,
    env_name: str,
    tenant_id: str,
    *,
    actor: str = "",
    store: StateStore | None = None,
) -> Outcome:
    pipeline = Pipeline(loaded, env_name, store=store, who=actor)
    try:
        return pipeline.destroy(tenant_id)
    finally:
        pipeline.close()
