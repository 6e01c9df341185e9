"""``history``: deployments (who, when, what changed, how it ended), journals, and one
timeline of every event beside them (``timeline``: ``history -o json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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


#: the keys of every ``timeline`` entry, whatever its event (``history -o json``)
ENTRY_KEYS = ("event", "at", "when", "tenant", "env", "who", "why", "ref", "status", "details")
_EVENT_FIELDS = {"kind", "at", "tenant", "env", "actor", "why", "ref"}


def timeline(
    ws: Workspace, *, tenant: str | None = None, env: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Every event the ``history`` table shows — deployments, promotions, rollbacks and
    holds, approval requests and votes, restore points, restores and imports, domain
    moves — newest first, the latest ``limit``, each in ONE shape (``ENTRY_KEYS``):
    ``event`` ("deployment" or the event's kind), ``who``, ``when`` (UTC, ISO 8601),
    ``why``, ``ref`` (deployment, request or restore point id, or release), ``status``
    (a deployment's; else ""), and ``details`` (the rest of the record)."""
    from wpfleet.services.releases import history_events

    entries = [_deployment_entry(d) for d in deployments(ws, tenant=tenant, env=env, limit=limit)]
    entries += [_event_entry(e) for e in history_events(ws, tenant, env)]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds") if at else ""


def _deployment_entry(d: Deployment) -> dict[str, Any]:
    details = d.as_dict()
    return {
        "event": "deployment", "at": d.started_at, "when": _when(d.started_at),
        "tenant": d.tenant, "env": d.env, "who": d.actor,
        "why": str((d.summary or {}).get("reason") or ""), "ref": d.id, "status": d.status,
        "details": details,
    }  # fmt: skip


def _event_entry(e: dict[str, Any]) -> dict[str, Any]:
    at = float(e.get("at") or 0.0)
    return {
        "event": str(e.get("kind", "")), "at": at, "when": _when(at),
        "tenant": e.get("tenant", ""), "env": e.get("env", ""), "who": e.get("actor", ""),
        "why": e.get("why", ""), "ref": e.get("ref") or e.get("release") or "", "status": "",
        "details": {k: v for k, v in e.items() if k not in _EVENT_FIELDS},
    }  # fmt: skip
