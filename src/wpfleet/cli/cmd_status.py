"""``status`` (tenants x environments) and ``history`` (deployments, who and when)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from wpfleet.services.status import FleetStatus, TenantStatus

STATE_STYLE = {
    "healthy": "green",
    "deployed": "cyan",
    "unhealthy": "red",
    "not deployed": "dim",
    "unknown": "yellow",
}


@app.command()
def status(
    ctx: typer.Context,
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="One tenant (default: all)."),
    watch: bool = typer.Option(False, "--watch", "-w", help="Refresh in place (Ctrl-C ends)."),
    interval: float = typer.Option(5.0, "--interval", help="Seconds between refreshes."),
    http: bool = typer.Option(
        True, "--http/--no-http", help="Fetch each front page (--no-http: quicker, local)."
    ),
) -> int:
    """Tenants x environments: release, health, URL, last deployment, approvals, drift.
    Exit 10 when any tenant shown is unhealthy (or its health cannot be read)."""
    from wpfleet.services.status import fleet_status

    cfg = settings(ctx)
    if interval <= 0:
        raise UsageError("--interval must be more than 0 seconds", hint="--interval 5")
    with cfg.workspace() as ws:
        if not watch:
            result = fleet_status(ws, env, tenant, http=http)
            _print_status(result, cfg.output.value)
            return _exit(result)
        return _watch(lambda: fleet_status(ws, env, tenant, http=http), interval, cfg.output.value)


def _exit(result: FleetStatus) -> int:
    return int(ExitStatus.VERIFY_FAILED if result.unhealthy else ExitStatus.OK)


def _watch(read: Callable[[], FleetStatus], interval: float, fmt: str) -> int:
    """Rich Live over the table until Ctrl-C; ``$WPFLEET_STATUS_WATCH_MAX`` bounds the
    refreshes (tests). The exit status is that of the last refresh."""
    from rich.live import Live

    from wpfleet.cli.output import stdout

    limit = int(os.environ.get("WPFLEET_STATUS_WATCH_MAX", "0") or 0)
    result = read()
    shown = 1
    try:
        with Live(_status_table(result), console=stdout(), auto_refresh=False) as live:
            while not limit or shown < limit:
                time.sleep(interval)
                result = read()
                shown += 1
                live.update(_status_table(result), refresh=True)
    except KeyboardInterrupt:
        pass
    return _exit(result)


def _columns(r: TenantStatus, now: float, markup: bool) -> list[str]:
    """The row's cells; the state is a column of its own (scripts read it) and what the
    health check found (running/desired, targets, the page and its title) is ``detail``."""
    last = f"{r.deployment} {r.deployment_status}".strip()
    style = STATE_STYLE.get(r.state, "")
    return [
        r.tenant,
        r.env,
        f"[{style}]{r.state}[/]" if markup and style else r.state,
        r.url,
        r.release,
        f"{last} ({r.age(now)} ago)" if r.deployed_at else last,
        str(r.pending_approvals or ""),
        r.drift,
        r.detail,
    ]


COLUMNS = [
    "tenant", "env", "state", "url", "release", "last deployment", "approvals", "drift",
    "detail",
]  # fmt: skip


def _status_table(result: FleetStatus) -> Any:
    from rich.table import Table

    now = time.time()
    t = Table(title=f"fleet {result.fleet}", title_justify="left")
    whole = {  # copied by people and scripts: never cut, whatever the width
        "tenant": max((len(r.tenant) for r in result.rows), default=6),
        "env": max((len(r.env) for r in result.rows), default=3),
        "url": max((len(r.url) for r in result.rows), default=3),
    }
    for col in COLUMNS:
        t.add_column(col, min_width=whole.get(col), no_wrap=col in whole, overflow="fold")
    for r in result.rows:
        t.add_row(*_columns(r, now, markup=True))
    return t


def _print_status(result: FleetStatus, fmt: str) -> None:
    from wpfleet.cli.output import emit_json, stdout

    if fmt == "json":
        emit_json([r.as_dict() for r in result.rows])
    elif fmt == "md":
        now = time.time()
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for r in result.rows:
            cells = [c.replace("|", "\\|") for c in _columns(r, now, markup=False)]
            lines.append("| " + " | ".join(cells) + " |")
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        stdout().print(_status_table(result))


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
    """Deployments, promotions, rollbacks, holds, approvals and votes, restore points,
    restores and domain moves: who, when, why; or one deployment's journal (-d).

    With -o json: one list, newest first, each entry {event, at, when, tenant, env, who,
    why, ref, status, details} (event: "deployment" or the event's kind)."""
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
    if cfg.json:
        with cfg.workspace() as ws:
            emit_json(service.timeline(ws, tenant=tenant, env=env, limit=limit))
        return
    with cfg.workspace() as ws:
        deps = service.deployments(ws, tenant=tenant, env=env, limit=limit)
        events = history_events(ws, tenant, env)[:limit]
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
    """Approvals, votes, promotions, rollbacks, holds, restore points, restores, imports
    and domain moves: who, when, why."""
    from wpfleet.cli.output import table

    if found:
        table(
            "approvals, promotions, rollbacks, holds, restore points, domain moves",
            ["when", "event", "tenant", "env", "who", "why", "ref"],
            [
                (_when(e["at"]), e["kind"], e["tenant"], e["env"], e["actor"], e.get("why", ""),
                 e.get("ref") or e.get("release", ""))
                for e in found
            ],
        )  # fmt: skip
