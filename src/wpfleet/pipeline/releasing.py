"""What the pipeline does about releases and approvals, kept out of ``deploy.py``.

- ``pinned``: a deployment of a given release (promote, rollback) deploys that release's
  config instead of the fleet file's (a promotion pins only the image: code moves up,
  the target keeps its own sizes and names);
- ``gate``: an environment with ``approvals:`` records a pending request and stops
  (exit 6), or admits an approved request exactly once;
- ``record``: every finished deployment records its release and whether it passed.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

from wpfleet.approvals import flow
from wpfleet.approvals.book import ApprovalBook
from wpfleet.approvals.policy import Request
from wpfleet.backends.base import Backend, TenantContext
from wpfleet.engine.resource import Step
from wpfleet.errors import UsageError, WpfleetError
from wpfleet.pipeline.config_document import release_id
from wpfleet.releases.book import ReleaseBook
from wpfleet.state.base import Deployment, StateStore

#: the fields of a resolved tenant that a release pins (its ``as_release_config``)
PINNABLE = ("name", "image", "cpu", "memory", "desired_count", "admin_email", "admin_user")


def pinned(ctx: TenantContext, pin: dict[str, Any] | None) -> TenantContext:
    """``ctx`` with the pinned release config applied (unknown keys are refused)."""
    if not pin:
        return ctx
    unknown = sorted(set(pin) - set(PINNABLE))
    if unknown:
        raise UsageError(f"a release cannot pin {', '.join(unknown)}")
    ctx.tenant = dataclasses.replace(ctx.tenant, **pin)
    return ctx


def gate(
    store: StateStore,
    ctx: TenantContext,
    plan: Callable[[], list[Step]],
    *,
    kind: str,
    pin: dict[str, Any] | None,
    request_id: str | None,
    reason: str,
    origin: dict[str, Any] | None,
    clock: Callable[[], float],
) -> Request | None:
    """None when the environment needs no approval; else the admitted request, or
    ``AwaitingApproval`` (exit 6) / ``ApprovalRefused`` (stale, lapsed, rejected)."""
    policy = ctx.env.approvals
    if policy is None:
        if request_id:
            raise UsageError(f"{ctx.env.name} has no approvals: deploy it without --resume")
        return None
    ask = flow.Ask(
        tenant=ctx.tenant.id,
        env=ctx.env.name,
        kind=kind,
        release_id=release_id(ctx),
        plan_hash=flow.plan_hash(plan()),
        actor=ctx.actor,
        reason=reason,
        from_env=(origin or {}).get("env", ""),
        pin=pin or {},
        origin=origin or {},
    )
    if not request_id:
        flow.require(store, policy, ask, clock)
    return flow.admit(store, policy, request_id, ask, ctx.deployment_id, clock)


def record(
    store: StateStore,
    ctx: TenantContext,
    deployment: Deployment,
    passed: bool,
    backend: Backend | None = None,
) -> None:
    """The release of a finished deployment, and whether it passed verification (with
    the digest of the image its task runs, where the backend knows it)."""
    digest = _digest(backend, ctx) if passed and backend is not None else None
    ReleaseBook(store).record(
        tenant=deployment.tenant,
        env=deployment.env,
        release_id=deployment.release.get("id", release_id(ctx)),
        config=deployment.release.get("config", ctx.tenant.as_release_config()),
        deployment_id=deployment.id,
        actor=deployment.actor,
        passed=passed,
        kind=deployment.kind,
        reason=str(deployment.summary.get("reason", "")),
        origin=deployment.release.get("origin") or {},
        image_digest=digest,
    )


def record_failure(store: StateStore, ctx: TenantContext, deployment: Deployment) -> None:
    """The failed run, recorded as not passed; never in the way of the rollback that
    follows (a store error here is the lesser problem)."""
    with contextlib.suppress(Exception):  # the rollback must run whatever happens here
        record(store, ctx, deployment, passed=False)


def unclaim_unstarted(
    store: StateStore, request: Request | None, clock: Callable[[], float]
) -> None:
    """An approved request claimed by a deploy that stopped before it started (platform
    down, lock held): give the claim back, so that ``--resume`` can run it later."""
    if request is None or store.get_deployment(request.deployment_id) is not None:
        return
    ApprovalBook(store, clock).unclaim(request)


def _digest(backend: Backend, ctx: TenantContext) -> str | None:
    """Never fails a deployment that passed: a digest that cannot be read is None."""
    try:
        return backend.image_digest(ctx)
    except WpfleetError:
        return None


def finish(
    store: StateStore,
    request: Request | None,
    deployment: Deployment,
    clock: Callable[[], float],
) -> None:
    if request is not None:
        ok = deployment.status == "succeeded"
        flow.finish(store, request, ok, f"deployment {deployment.id}: {deployment.status}", clock)
