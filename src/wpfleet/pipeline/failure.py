"""How a failed deployment ends: its record says why and where, exactly what it changed
is undone (``wpfleet.engine.rollback`` decides what and how), and the error raised says
whether everything was undone (``rolled-back``) or not (``needs-attention``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NoReturn

from wpfleet.engine.executor import Executor, StepFailure, describe
from wpfleet.engine.resource import Resource
from wpfleet.errors import DeploymentFailed
from wpfleet.state.base import Deployment, StateStore


def fail_deployment(
    store: StateStore,
    deployment: Deployment,
    executor: Executor,
    resources: Sequence[Resource],
    exc: BaseException,
) -> NoReturn:
    """Record the failure, roll back what ``executor`` changed, raise ``DeploymentFailed``
    (or ``exc`` itself when nothing had changed and it was no step's failure)."""
    cause = describe(exc.error if isinstance(exc, StepFailure) else exc)
    where = f" at {exc.step_id}" if isinstance(exc, StepFailure) else ""
    deployment.error = f"{cause}{where}"
    deployment.finished_at = time.time()
    if not executor.changes:
        deployment.status = "failed"
        store.put_deployment(deployment)
        if not isinstance(exc, StepFailure):
            raise exc
        raise DeploymentFailed(
            f"deployment of {deployment.tenant} to {deployment.env} failed{where}: "
            f"{cause}; nothing had been changed",
            rolled_back=True,
            deployment_id=deployment.id,
            cause=cause,
        ) from None
    rollback = executor.rollback({r.id: r for r in resources})
    deployment.status = "rolled-back" if rollback.complete else "needs-attention"
    deployment.summary["rollback"] = {"undone": rollback.undone, "failed": rollback.failed}
    store.put_deployment(deployment)
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    raise DeploymentFailed(
        f"deployment of {deployment.tenant} to {deployment.env} failed{where}: {cause}; "
        + (
            "everything it changed was undone"
            if rollback.complete
            else "rollback incomplete for " + ", ".join(rollback.failed)
        ),
        rolled_back=rollback.complete,
        deployment_id=deployment.id,
        cause=cause,
    ) from None
