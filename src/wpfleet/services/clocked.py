"""The pipeline the release and approval services use: the workspace's store, backend,
fault seams, events and actor, plus the clock approvals are judged by (injectable, so
tests evaluate windows, wait timers and expiry at any time they choose)."""

from __future__ import annotations

import time
from collections.abc import Callable

from wpfleet.config.models import Environment
from wpfleet.pipeline.deploy import DEFAULT_VERIFY_DEADLINE, Pipeline
from wpfleet.services.workspace import Workspace

Clock = Callable[[], float]


def pipeline(
    ws: Workspace,
    env: Environment,
    *,
    clock: Clock = time.time,
    verify_deadline: float | None = None,
) -> Pipeline:
    """A pipeline over the workspace's store and backend (the workspace closes them)."""
    from wpfleet.services.domainmove import WorkspaceRestorePoints

    return Pipeline(
        ws.loaded,
        env,
        store=ws.store(env),
        backend=ws.backend(env),
        faults=ws.faults,
        on_step=ws.events.step,
        on_check=ws.events.check,
        verify_deadline=DEFAULT_VERIFY_DEADLINE if verify_deadline is None else verify_deadline,
        who=ws.actor,
        clock=clock,
        restore_points=WorkspaceRestorePoints(ws, env),
    )
