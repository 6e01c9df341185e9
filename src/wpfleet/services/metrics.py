"""``metrics``: DORA-style deployment metrics from history (``reports.metrics``).

Read from the deployment records of every store the fleet uses, so they agree with
``wpfleet history``. ``env`` narrows the per-environment and per-tenant figures to one
environment; lead time always spans the whole promotion chain (the fleet file's order
of environments, dev → … → prod), because it is a distance between two of them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from wpfleet.errors import UsageError
from wpfleet.reports.metrics import MetricsReport, compute

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace
    from wpfleet.state.base import Deployment

#: how many records one store is asked for: far above any real window
HISTORY_LIMIT = 100_000
MAX_DAYS = 3660


def report(
    ws: Workspace, *, days: int = 30, env: str | None = None, now: float | None = None
) -> MetricsReport:
    """The metrics over the ``days`` before ``now`` (default: this moment)."""
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(
            f"--days {days} is out of range", hint=f"give a number of days from 1 to {MAX_DAYS}"
        )
    chain = [e.name for e in ws.fleet.environments]
    scope = ws.envs(env)  # a wrong name is a NotFoundError listing the valid ones
    at = time.time() if now is None else now
    history = _history(ws)
    result = compute(history, chain, days, at)
    if env is not None:
        whole_chain = result.lead_times
        result = compute([d for d in history if d.env == env], chain, days, at)
        result.lead_times = whole_chain
    result.by_env = {e.name: result.by_env[e.name] for e in scope if e.name in result.by_env}
    return result


def _history(ws: Workspace) -> list[Deployment]:
    """Every deployment record of every store, each once (environments may share one)."""
    seen: dict[str, Deployment] = {}
    for store in ws.stores(ws.envs()):
        for d in store.list_deployments(limit=HISTORY_LIMIT):
            seen.setdefault(d.id, d)
    return list(seen.values())
