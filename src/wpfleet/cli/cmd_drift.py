"""``drift``: list what differs (exit 8), ``--fix`` it through the deploy pipeline,
``--prune`` orphans; calls ``services.drift`` (and ``services.orphans`` for --prune)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import ExitStatus

if TYPE_CHECKING:
    from wpfleet.services.drift import DriftResult
    from wpfleet.services.orphans import Orphan


def _value(v: Any, width: int = 60) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def render(result: DriftResult, title: str = "drift") -> None:
    from wpfleet.cli.output import stdout, table

    rows: list[tuple[str, ...]] = []
    for e in result.environment:
        rows.append((e.env, "(environment)", e.component, "platform up", e.detail))
    for t in result.tenants:
        if t.error:
            rows.append((t.env, t.tenant, "-", "error", t.error))
        for d in t.drifts:
            for f in d.fields or []:
                what = f"{f.path}: {_value(f.actual)} → {_value(f.desired)}" if f.path else "absent"
                rows.append((t.env, t.tenant, d.step, d.op, what))
    for o in result.orphans:
        what = ", ".join(o.found + [f"recorded {r}" for r in o.recorded])
        rows.append((o.env, o.tenant, "(orphan)", "prune", _value(what, 120)))
    if rows:
        table(title, ["env", "tenant", "resource", "fix", "actual → desired"], rows)
    else:
        checked = sum(1 for t in result.tenants if t.deployed)
        stdout().print(f"no drift ({checked} deployed tenant-environment(s) compared)")


def _ask(question: str, yes: bool) -> bool:
    return yes or typer.confirm(question, default=False)


@app.command()
def drift(
    ctx: typer.Context,
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="One tenant (default: all)."),
    fix: bool = typer.Option(False, "--fix", help="Re-apply through the deploy pipeline."),
    prune: bool = typer.Option(False, "--prune", help="Destroy orphans (wpfleet's only)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before --fix/--prune."),
) -> int:
    """Compare actual resources with the fleet file and the last release. Exit 8 when
    anything differs (after --fix/--prune: when anything still does)."""
    from wpfleet.cli.output import Progress, emit_json
    from wpfleet.services import drift as service
    from wpfleet.services import orphans as orphan_service

    cfg = settings(ctx)
    with cfg.workspace(events=Progress(cfg, show_tenant=True)) as ws:
        found = service.check(ws, env, tenant)
        if not (fix or prune):
            emit_json(found.as_dict()) if cfg.json else render(found)
            return ExitStatus.DRIFT_FOUND if found.found else ExitStatus.OK
        show = (lambda _r, _t: None) if cfg.json else render  # json: one document at the end
        show(found, "drift (to fix)")
        remaining = found
        if fix and (found.environment or any(t.drifted for t in found.tenants)):
            fixed = service.fix(ws, found, confirm=lambda _r: _ask("re-apply these?", yes))
            if fixed is not None and fixed.after is not None:
                remaining = fixed.after
                remaining.orphans = found.orphans
                show(remaining, "drift after --fix")
        if prune and found.orphans:
            pruned = orphan_service.prune(ws, found.orphans, confirm=_prune_question(yes))
            if pruned is not None:
                left = {k.split("/", 1)[1] for k in pruned.failed}
                remaining.orphans = [o for o in found.orphans if o.tenant in left]
                for key, why in pruned.failed.items():
                    typer.echo(f"prune {key} failed: {why}", err=True)
        if cfg.json:
            emit_json(remaining.as_dict())
        return ExitStatus.DRIFT_FOUND if remaining.found else ExitStatus.OK


def _prune_question(yes: bool) -> Any:
    def ask(orphans: list[Orphan]) -> bool:
        names = ", ".join(f"{o.tenant} ({o.env})" for o in orphans)
        return _ask(f"destroy everything wpfleet made for {names}?", yes)

    return ask
