"""``status`` (tenants x environments) and ``history`` (deployments, who and when)."""

from __future__ import annotations

import time
from typing import Any

import typer

from wpfleet.cli.app import app, settings

STATE_STYLE = {"healthy": "green", "unhealthy": "red", "not deployed": "dim", "unknown": "yellow"}


@app.command()
def status(
    ctx: typer.Context,
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
) -> int:
    """Tenants x environments: health, URL, release."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services.status import fleet_status

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = fleet_status(ws, env)
    if cfg.json:
        emit_json([r.as_dict() for r in result.rows])
        return 0
    table(
        f"fleet {result.fleet}",
        ["tenant", "env", "state", "url", "release", "detail"],
        [
            (
                r.tenant,
                r.env,
                f"[{STATE_STYLE.get(r.state, '')}]{r.state}[/]",
                r.url,
                r.release,
                r.detail,
            )
            for r in result.rows
        ],
    )
    return 0


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


@app.command()
def history(
    ctx: typer.Context,
    tenant: str = typer.Argument(None, help="Tenant id (default: every tenant)."),
    env: str = typer.Option(None, "--env", "-e"),
    limit: int = typer.Option(20, "--limit", "-n"),
    deployment: str = typer.Option(None, "--deployment", "-d", help="Show one journal."),
) -> None:
    """Deployments: who, when, what changed, how it ended; or one deployment's journal."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import history as service
    from wpfleet.services.releases import history_events

    cfg = settings(ctx)
    if deployment:
        with cfg.workspace() as ws:
            entries = service.journal(ws, deployment, env=env)
        if cfg.json:
            emit_json([e.as_dict() for e in entries])
            return
        table(
            f"journal of {deployment}",
            ["#", "when", "step", "op", "status", "error"],
            [(e.seq, _when(e.at), e.step_id, e.op, e.status, e.error) for e in entries],
        )
        return
    with cfg.workspace() as ws:
        deps = service.deployments(ws, tenant=tenant, env=env, limit=limit)
        events = history_events(ws, tenant, env)[:limit]
    if cfg.json:
        emit_json([d.as_dict() for d in deps])
        return
    rows = []
    for d in deps:
        ops = d.summary.get("ops", {}) if d.summary else {}
        changes = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()) if k != "noop")
        when = _when(d.started_at)
        rows.append(
            (d.id, d.tenant, d.env, d.kind, d.status, d.actor, when, changes or "-", d.error)
        )
    table(
        "history",
        ["deployment", "tenant", "env", "kind", "status", "who", "when", "changes", "error"],
        rows,
    )
    _events_table(events)


def _events_table(found: list[dict[str, Any]]) -> None:
    """Approvals, votes, promotions, rollbacks and holds: who, when, why."""
    from wpfleet.cli.output import table

    if found:
        table(
            "approvals, promotions, rollbacks, holds",
            ["when", "event", "tenant", "env", "who", "why", "ref"],
            [
                (_when(e["at"]), e["kind"], e["tenant"], e["env"], e["actor"], e.get("why", ""),
                 e.get("ref") or e.get("release", ""))
                for e in found
            ],
        )  # fmt: skip
