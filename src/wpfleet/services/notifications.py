"""Notifications: tell people what happened, never at the cost of what happened.

Every service that has news (a deployment ended, an approval was asked for or given,
drift was found, a cost anomaly seen) calls :func:`notify` with an environment and an
:class:`~wpfleet.notify.Event`. The environment's ``notify:`` wins over the fleet's (an
environment that declares one is configured on its own, not merged). A channel that is
down, slow or misconfigured is logged (``logging`` and a workspace note) and never
raises: a notification is a side effect of a deployment, never part of it.

Messages are built here from names, statuses, ids and URLs only: never a credential,
a secret's value or a connection string (``Event.safe_detail`` also drops any key that
looks secret, should a caller slip one in).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from wpfleet.notify import Delivery, Event, EventKind, send

if TYPE_CHECKING:
    from wpfleet.config.models import Environment, Notify
    from wpfleet.pipeline.deploy import Outcome
    from wpfleet.services.workspace import Workspace

log = logging.getLogger("wpfleet.notify")


def channels(ws: Workspace, env: Environment) -> Notify | None:
    """The environment's ``notify:`` when it has one, else the fleet's (or None)."""
    return env.notify if env.notify is not None else ws.fleet.notify


def event(
    ws: Workspace,
    env: Environment,
    kind: EventKind,
    summary: str,
    *,
    tenant: str = "",
    url: str = "",
    detail: dict[str, str] | None = None,
) -> Event:
    """An event of this workspace's fleet and actor (for callers outside this module:
    the approvals and drift services)."""
    return Event(
        kind,
        fleet=ws.fleet.fleet,
        env=env.name,
        summary=summary,
        tenant=tenant,
        url=url,
        actor=ws.actor,
        detail=dict(detail or {}),
    )


def notify(ws: Workspace, env: Environment, news: Event) -> list[Delivery]:
    """Send ``news`` to the environment's channels; log each failed delivery. Never raises."""
    try:
        deliveries = send(news, channels(ws, env))
    except Exception as exc:  # a bug in a channel must not fail the caller either
        log.warning("notification %s not sent: %s", news.kind, type(exc).__name__)
        return [Delivery("internal", "", False, type(exc).__name__)]
    for d in deliveries:
        if not d.ok:
            text = f"notification {news.kind} via {d.channel} ({d.target}) failed: {d.error}"
            log.warning("%s", text)
            with contextlib.suppress(Exception):  # the sink's failure is not ours to raise
                ws.events.note(news.tenant, text)
    return deliveries


def deployment_ended(
    ws: Workspace,
    env: Environment,
    tenant: str,
    *,
    outcome: Outcome | None = None,
    error: BaseException | None = None,
) -> list[Delivery]:
    """The deployment of ``tenant`` ended: succeeded (``outcome``) or failed (``error``).
    A failure whose record says ``rolled-back`` is told as a rollback."""
    from wpfleet.errors import DeploymentFailed

    detail: dict[str, str] = {}
    if outcome is not None and outcome.deployment is not None:
        dep = outcome.deployment
        detail = {"deployment": dep.id, "release": str(dep.release.get("id", ""))}
        changed = len(outcome.changed)
        kind, summary = EventKind.deployment_succeeded, f"deployed ({changed} change(s))"
    elif isinstance(error, DeploymentFailed):
        detail = {"deployment": error.deployment_id, "cause": error.cause}
        status = _status_of(ws, env, error.deployment_id)
        if status == "rolled-back":
            kind, summary = EventKind.deployment_rolled_back, "failed and rolled back"
        else:
            kind, summary = EventKind.deployment_failed, f"failed ({status or 'not changed'})"
    else:
        kind = EventKind.deployment_failed
        summary = f"failed: {type(error).__name__}"
    url = _url(ws, env, tenant)
    return notify(ws, env, event(ws, env, kind, summary, tenant=tenant, url=url, detail=detail))


def approval_requested(ws: Workspace, env: Environment, tenant: str, error: BaseException) -> None:
    """Tell the approvers once, when a deployment opened a request (not at every retry)."""
    from wpfleet.approvals.flow import AwaitingApproval

    if isinstance(error, AwaitingApproval) and error.created:
        summary = f"approval requested: {error.request_id}"
        detail = {"request": error.request_id, "approve": error.hint or ""}
        notify(ws, env, event(ws, env, EventKind.approval_requested, summary, tenant=tenant,
                              url=_url(ws, env, tenant), detail=detail))  # fmt: skip


def approval_decided(
    ws: Workspace, env: Environment, tenant: str, request_id: str, decision: str, verdict: str
) -> None:
    """One approver's vote, and where the request stands after it."""
    summary = f"{decision} by {ws.actor}: request {request_id} is {verdict}"
    detail = {"request": request_id, "decision": decision, "verdict": verdict}
    notify(ws, env, event(ws, env, EventKind.approval_decided, summary, tenant=tenant,
                          detail=detail))  # fmt: skip


def drift_found(ws: Workspace, env: Environment, drifted: list[str], orphans: list[str]) -> None:
    """Drift of an environment's tenants (and orphans), in one message."""
    parts = [f"{len(drifted)} tenant(s) drifted"] + (
        [f"{len(orphans)} orphan(s)"] if orphans else []
    )
    detail = {"drifted": ", ".join(drifted), "orphans": ", ".join(orphans)}
    notify(ws, env, event(ws, env, EventKind.drift_found, "; ".join(parts), detail=detail))


def worth_telling(error: BaseException) -> bool:
    """A deployment's failure is news; a refusal before it began (bad input, a lock held,
    approvals missing) is told to whoever ran it, on the spot, and is not."""
    from wpfleet.errors import DeploymentFailed, WpfleetError

    if isinstance(error, DeploymentFailed):
        return True
    return isinstance(error, Exception) and not isinstance(error, WpfleetError)


def _status_of(ws: Workspace, env: Environment, deployment_id: str) -> str:
    try:
        found = ws.store(env).get_deployment(deployment_id)
    except Exception:
        return ""
    return found.status if found is not None else ""


def _url(ws: Workspace, env: Environment, tenant: str) -> str:
    """The tenant's public URL, or "" when it cannot be known (never raises)."""
    try:
        return ws.backend(env).urls(ws.tenant(env, tenant)).get("url", "")
    except Exception:
        return ""
