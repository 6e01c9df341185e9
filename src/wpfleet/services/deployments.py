"""Deployments: plan, deploy (one tenant or a batch), adopt, destroy and verify.

Each function takes a ``Workspace`` and an ``Environment`` resolved once by the caller
(``ws.env(name)``), runs the pipeline with the workspace's store, backend, actor, fault
seams and event sink, and returns what happened. None of them prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wpfleet.errors import BatchFailed, WpfleetError

if TYPE_CHECKING:
    from wpfleet.checks.verify import VerifyReport
    from wpfleet.config.models import Environment
    from wpfleet.engine.resource import Step
    from wpfleet.pipeline.batch import BatchItem
    from wpfleet.pipeline.deploy import Outcome, Pipeline
    from wpfleet.services.workspace import Workspace

DEFAULT_VERIFY_DEADLINE = 60.0
DEFAULT_CONCURRENCY = 4


def pipeline(ws: Workspace, env: Environment, *, verify_deadline: float | None = None) -> Pipeline:
    """A pipeline over the workspace's store and backend (the workspace closes them)."""
    from wpfleet.services import clocked

    return clocked.pipeline(ws, env, verify_deadline=verify_deadline)


def plan(ws: Workspace, env: Environment, tenant: str, *, destroy: bool = False) -> list[Step]:
    """The steps deploy (or destroy) would take, decided exactly as they would be."""
    return pipeline(ws, env).plan(tenant, destroy=destroy)


def deploy(
    ws: Workspace,
    env: Environment,
    tenant: str,
    *,
    verify_deadline: float | None = None,
) -> Outcome:
    """Deploy one tenant: validate → database → infra → verify → dns → post. The end
    (success, failure, rollback) is notified (``services.notifications``)."""
    return _notified(ws, env, pipeline(ws, env, verify_deadline=verify_deadline).deploy)(tenant)


def _notified(
    ws: Workspace, env: Environment, action: Callable[[str], Outcome]
) -> Callable[[str], Outcome]:
    """``action``, telling the environment's channels how it ended (never failing it)."""
    from wpfleet.services import notifications

    def run(tenant: str) -> Outcome:
        try:
            outcome = action(tenant)
        except BaseException as exc:
            if notifications.worth_telling(exc):
                notifications.deployment_ended(ws, env, tenant, error=exc)
            notifications.approval_requested(ws, env, tenant, exc)
            raise
        notifications.deployment_ended(ws, env, tenant, outcome=outcome)
        return outcome

    return run


@dataclass
class BatchResult:
    """One item per tenant, in the order given; a failure never stopped the others."""

    env: str
    items: list[BatchItem]
    #: ``auto_promote``: per tenant that passed, what its promotion did (notes)
    promotions: dict[str, list[str]] = field(default_factory=dict)
    #: ... and those whose promotion failed (a short soak, a failed deploy there)
    promotion_failures: dict[str, str] = field(default_factory=dict)
    #: the environment auto-promotion carries releases to (None: no auto_promote)
    promote_to: str | None = None

    def promotion(self, tenant: str) -> dict[str, object]:
        """What auto-promotion did for ``tenant``, in one shape for every tenant
        (``deploy --all -o json``): ``to`` (None when the environment does not
        auto-promote), ``attempted`` (False for a tenant that did not pass), ``notes``
        and ``error`` (None unless its promotion failed)."""
        attempted = tenant in self.promotions or tenant in self.promotion_failures
        return {"to": self.promote_to, "attempted": attempted,
                "notes": list(self.promotions.get(tenant, [])),
                "error": self.promotion_failures.get(tenant)}  # fmt: skip

    @property
    def failures(self) -> dict[str, str]:
        found = {i.tenant: i.error for i in self.items if not i.ok}
        return {**found, **{t: f"auto-promotion: {e}" for t, e in self.promotion_failures.items()}}

    def raise_for_failures(self) -> None:
        """Raise ``BatchFailed`` (exit status: partial failure) when any tenant failed."""
        if self.failures:
            raise BatchFailed(self.failures)


def deploy_many(
    ws: Workspace,
    env: Environment,
    tenants: Sequence[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    verify_deadline: float | None = None,
    promote: bool = True,
) -> BatchResult:
    """Deploy ``tenants`` (default: every tenant of ``env``) in parallel, each on its own;
    ``ws.events.tenant_done`` hears of each as it finishes. With ``auto_promote`` on
    ``env`` (and ``promote``), each tenant that passed is then promoted as a single deploy
    would be (``auto_promote_passed``)."""
    from wpfleet.pipeline.batch import run_batch

    targets = list(tenants) if tenants is not None else ws.tenant_ids(env)
    pipe = pipeline(ws, env, verify_deadline=verify_deadline)
    items = run_batch(
        pipe,
        targets,
        _notified(ws, env, pipe.deploy),
        concurrency=concurrency,
        on_done=ws.events.tenant_done,
    )
    result = BatchResult(env.name, items)
    if promote:
        auto_promote_passed(ws, env, result)
    return result


def auto_promote_passed(ws: Workspace, env: Environment, result: BatchResult) -> None:
    """``auto_promote: true``: promote each tenant of the batch that PASSED (never one that
    failed or waits for approval), one after the other, by the single deploy's rules: a
    hold skips it, a short soak or a failed promotion is that tenant's failure only."""
    from wpfleet.services import releases

    if not env.auto_promote:
        return
    nxt = releases.following(ws, env)
    result.promote_to = nxt.name if nxt else None
    for item in result.items:
        if not item.ok or item.outcome is None:
            continue
        try:
            result.promotions[item.tenant] = releases.auto_promote(ws, env, item.tenant)
        except WpfleetError as exc:
            result.promotion_failures[item.tenant] = exc.message


def adopt(
    ws: Workspace,
    env: Environment,
    tenant: str,
    *,
    confirm: Callable[[list[Step]], bool] = lambda _steps: True,
) -> Outcome | None:
    """Take over a tenant made before wpfleet: plan the adoption, let ``confirm`` see the
    plan (False: stop, nothing changed, None returned), then tag, record and deploy."""
    pipe = pipeline(ws, env)
    steps = pipe.plan(tenant, adopt=True)
    if not confirm(steps):
        return None
    return _notified(ws, env, lambda t: pipe.deploy(t, adopt=True))(tenant)


def destroy(ws: Workspace, env: Environment, tenant: str) -> Outcome:
    """Remove everything wpfleet created for the tenant in ``env``, after a restore
    point of its content (``wpfleet backup restore`` brings it back after a redeploy)."""
    from wpfleet.services import backups

    ws.tenant(env, tenant)  # a bad tenant or environment is refused before anything
    backups.before_destroy(ws, env, tenant)
    return pipeline(ws, env).destroy(tenant)


def verify(
    ws: Workspace, env: Environment, tenant: str, *, deadline: float | None = None
) -> VerifyReport:
    """Run the checks alone (nothing is changed) against the last deployment."""
    return pipeline(ws, env, verify_deadline=deadline).verify(tenant)
