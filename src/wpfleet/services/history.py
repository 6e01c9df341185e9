"""``history``: deployments (who, when, what changed, how it ended) and journals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace
    from wpfleet.state.base import Deployment, JournalEntry


def deployments(
    ws: Workspace, *, tenant: str | None = None, env: str | None = None, limit: int = 20
) -> list[Deployment]:
    """The latest ``limit`` deployments across the stores of ``env`` (default: all),
    newest first; environments sharing a store are read once."""
    found: list[Deployment] = []
    for store in ws.stores(ws.envs(env)):
        found += store.list_deployments(tenant=tenant, env=env, limit=limit)
    found.sort(key=lambda d: d.started_at, reverse=True)
    return found[:limit]


def journal(ws: Workspace, deployment_id: str, *, env: str | None = None) -> list[JournalEntry]:
    """Every journal entry of one deployment, in order."""
    return [e for s in ws.stores(ws.envs(env)) for e in s.journal(deployment_id)]
