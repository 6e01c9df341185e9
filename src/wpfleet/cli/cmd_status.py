"""``status`` (tenants x environments) and ``history`` (deployments, who and when)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import app, settings

if TYPE_CHECKING:
    from wpfleet.backends.base import TenantHealth
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Environment
    from wpfleet.state.base import Deployment, StateStore


def _env_status(loaded: LoadedFleet, env: Environment) -> list[dict[str, Any]]:
    from wpfleet.backends import get_backend
    from wpfleet.errors import WpfleetError
    from wpfleet.pipeline.context import tenant_context
    from wpfleet.state import open_store

    store = open_store(loaded, env)
    backend = get_backend(loaded, env, store)
    tenants = loaded.fleet.tenants_in(env.name)
    ctxs = [tenant_context(loaded, env.name, t.id, store) for t in tenants]
    try:
        health: dict[str, TenantHealth] = backend.health(ctxs)
        problem = ""
    except WpfleetError as exc:
        health, problem = {}, exc.message
    finally:
        backend.close()
    rows = []
    for ctx in ctxs:
        h = health.get(ctx.tenant.id)
        release = store.get_document(f"release/{env.name}/{ctx.tenant.id}") or {}
        if h is None:
            state = "unknown" if problem else "not deployed"
        elif not h.deployed:
            state = "not deployed"
        else:
            state = {True: "healthy", False: "unhealthy", None: "deployed"}[h.healthy]
        rows.append(
            {
                "tenant": ctx.tenant.id,
                "env": env.name,
                "state": state,
                "url": (h.url if h else "") or (backend.urls(ctx).get("url", "")),
                "release": release.get("id", ""),
                "deployment": release.get("deployment_id", ""),
                "detail": (h.detail if h else problem),
            }
        )
    return rows


STATE_STYLE = {"healthy": "green", "unhealthy": "red", "not deployed": "dim", "unknown": "yellow"}


@app.command()
def status(
    ctx: typer.Context,
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
) -> int:
    """Tenants x environments: health, URL, release."""
    from wpfleet.cli.output import emit_json, table

    cfg = settings(ctx)
    loaded = cfg.load()
    envs = [loaded.fleet.env(env)] if env else loaded.fleet.environments
    rows: list[dict[str, Any]] = []
    for e in envs:
        rows += _env_status(loaded, e)
    if cfg.json:
        emit_json(rows)
        return 0
    table(
        f"fleet {loaded.fleet.fleet}",
        ["tenant", "env", "state", "url", "release", "detail"],
        [
            (
                r["tenant"],
                r["env"],
                f"[{STATE_STYLE.get(r['state'], '')}]{r['state']}[/]",
                r["url"],
                r["release"],
                r["detail"],
            )
            for r in rows
        ],
    )
    return 0


def _stores(loaded: LoadedFleet, env: str | None) -> list[StateStore]:
    from wpfleet.state import open_store

    envs = [loaded.fleet.env(env)] if env else loaded.fleet.environments
    seen: dict[str, StateStore] = {}
    for e in envs:
        store = open_store(loaded, e)
        seen.setdefault(repr(e.state or loaded.fleet.state), store)
    return list(seen.values())


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

    cfg = settings(ctx)
    loaded = cfg.load()
    stores = _stores(loaded, env)
    if deployment:
        entries = [e for s in stores for e in s.journal(deployment)]
        if cfg.json:
            emit_json([e.as_dict() for e in entries])
            return
        table(
            f"journal of {deployment}",
            ["#", "when", "step", "op", "status", "error"],
            [(e.seq, _when(e.at), e.step_id, e.op, e.status, e.error) for e in entries],
        )
        return
    deps: list[Deployment] = []
    for s in stores:
        deps += s.list_deployments(tenant=tenant, env=env, limit=limit)
    deps.sort(key=lambda d: d.started_at, reverse=True)
    deps = deps[:limit]
    if cfg.json:
        emit_json([d.as_dict() for d in deps])
        return
    rows = []
    for d in deps:
        ops = d.summary.get("ops", {}) if d.summary else {}
        changes = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()) if k != "noop")
        rows.append(
            (
                d.id,
                d.tenant,
                d.env,
                d.kind,
                d.status,
                d.actor,
                _when(d.started_at),
                changes or "-",
                d.error,
            )
        )
    table(
        "history",
        ["deployment", "tenant", "env", "kind", "status", "who", "when", "changes", "error"],
        rows,
    )
    _events_table(loaded, tenant, env, limit)


def _events_table(loaded: LoadedFleet, tenant: str | None, env: str | None, limit: int) -> None:
    """Approvals, votes, promotions, rollbacks and holds: who, when, why."""
    from wpfleet.cli.output import table
    from wpfleet.services.releases import history_events
    from wpfleet.services.wslike import SimpleWorkspace

    with SimpleWorkspace(loaded) as ws:
        found = history_events(ws, tenant, env)[:limit]
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
