"""Destroying a tenant in an environment: the inverse of deploy, without rollback."""

from __future__ import annotations

import time

from wpfleet.engine.executor import Executor, StepFailure, describe
from wpfleet.engine.journal import take_over_abandoned
from wpfleet.engine.locks import LockManager, lock_key
from wpfleet.engine.plan import plan_destroy
from wpfleet.errors import DeploymentFailed
from wpfleet.pipeline.context import new_deployment_id
from wpfleet.pipeline.deploy import Outcome, Pipeline, _summary
from wpfleet.state.base import Deployment


def destroy_tenant(p: Pipeline, tenant_id: str) -> Outcome:
    """Delete what wpfleet owns of the tenant under its lock, dependents first; a
    failure half-way leaves the deployment ``needs-attention`` (deletions are not undone)."""
    deployment_id = new_deployment_id()
    ctx = p.context(tenant_id, deployment_id)
    p.backend.preflight()
    with LockManager(p.store).acquire(lock_key(tenant_id, p.env.name), deployment_id):
        take_over_abandoned(p.store, p.env.name, tenant_id)
        deployment = Deployment(
            id=deployment_id,
            tenant=tenant_id,
            env=p.env.name,
            kind="destroy",
            status="running",
            actor=ctx.actor,
            started_at=ctx.started_at,
        )
        p.store.put_deployment(deployment)
        outcome = Outcome(tenant_id, p.env.name, deployment=deployment)
        executor = Executor(
            p.store,
            deployment_id,
            p.env.name,
            tenant_id,
            on_event=lambda e: p.on_step(tenant_id, e),
            faults=p.faults,
        )
        try:
            owned = set(p.store.owned(p.env.name, tenant_id))
            outcome.steps = plan_destroy(p.resources(ctx), owned)
            executor.apply(outcome.steps, reverse_dependencies=True)
        except BaseException as exc:
            deployment.status = "needs-attention" if executor.changes else "failed"
            deployment.error = describe(exc.error if isinstance(exc, StepFailure) else exc)
            deployment.finished_at = time.time()
            p.store.put_deployment(deployment)
            if not executor.changes or not isinstance(exc, StepFailure):
                raise
            raise DeploymentFailed(
                f"destroy of {tenant_id} in {p.env.name} stopped at {exc.step_id}: "
                f"{deployment.error}",
                rolled_back=False,
                deployment_id=deployment_id,
            ) from None
        for rid in p.store.owned(p.env.name, tenant_id):  # already absent ones
            p.store.forget_owned(p.env.name, tenant_id, rid)
        p.store.delete_document(f"release/{p.env.name}/{tenant_id}")
        deployment.status = "succeeded"
        deployment.finished_at = time.time()
        deployment.summary = _summary(outcome)
        p.store.put_deployment(deployment)
        return outcome
