"""``pending``, ``approve``, ``reject``, ``promote``, ``rollback``, ``releases``,
``release unhold``: parse, call ONE service, render."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer

from wpfleet.cli.app import Settings, app, settings, workspace

if TYPE_CHECKING:
    from wpfleet.pipeline.deploy import Outcome

AS = typer.Option(None, "--as", help="Who is acting (default: $WPFLEET_ACTOR, CI actor, login).")
REASON = typer.Option("", "--reason", "-m", help="Why: kept in history.")

release_app = typer.Typer(help="Release holds.", no_args_is_help=True)
app.add_typer(release_app, name="release")


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def print_outcome(cfg: Settings, outcome: Outcome, notes: list[str] | None = None) -> None:
    from wpfleet.cli.cmd_deploy import _print_outcome

    _print_outcome(cfg, outcome)
    if not cfg.json:
        for note in notes or []:
            typer.echo(note)


@app.command()
def pending(
    ctx: typer.Context,
    tenant: str = typer.Argument(None, help="Tenant id (default: all)."),
    env: str = typer.Option(None, "--env", "-e"),
) -> None:
    """Approval requests that are open, with what each still waits for."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import approvals

    cfg = settings(ctx)
    with workspace(cfg, None) as ws:
        rows = approvals.pending(ws, tenant, env)
    if cfg.json:
        emit_json([r.as_dict() for r in rows])
        return
    table(
        "pending approvals",
        ["request", "tenant", "env", "kind", "release", "by", "approved", "state", "expires"],
        [
            (r.request.id, r.request.tenant, r.request.env, r.request.kind, r.request.release_id,
             r.request.requested_by,
             f"{len(r.evaluation.approved_by)}/{r.evaluation.required} "
             + ",".join(r.evaluation.approved_by),
             f"{r.evaluation.verdict}: {r.evaluation.reason}", _when(r.request.expires_at))
            for r in rows
        ],
    )  # fmt: skip


def _vote(ctx: typer.Context, request: str, who: str | None, decision: str, comment: str) -> int:
    from wpfleet.cli.output import Progress, emit_json
    from wpfleet.services import approvals

    cfg = settings(ctx)
    with workspace(cfg, who, Progress(cfg)) as ws:
        result = approvals.vote(ws, request, decision, comment)
    row = result.row
    if cfg.json:
        emit_json({**row.as_dict(), "note": result.note, "deployment": (
            result.outcome.deployment.as_dict()
            if result.outcome and result.outcome.deployment else None)})  # fmt: skip
    else:
        ev = row.evaluation
        typer.echo(
            f"{result.vote.approver} {decision}d {request}: {ev.verdict} "
            f"({len(ev.approved_by)}/{ev.required}) {ev.reason}"
        )
        if result.outcome is not None:
            print_outcome(cfg, result.outcome)
        if result.note:
            typer.echo(result.note)
    if decision == "approve" and result.outcome is None and row.evaluation.verdict != "rejected":
        return 6  # still pending: the request has not run
    return 0


@app.command()
def approve(
    ctx: typer.Context,
    request: str = typer.Argument(..., help="Request id (`wpfleet pending`)."),
    who: str = AS,
    comment: str = typer.Option("", "--comment", "-c"),
) -> int:
    """Approve a request. The approval that satisfies the policy also runs it (exit 0);
    exit 6 while it still waits (more approvals, the wait timer, a window)."""
    return _vote(ctx, request, who, "approve", comment)


@app.command()
def reject(
    ctx: typer.Context,
    request: str = typer.Argument(..., help="Request id (`wpfleet pending`)."),
    who: str = AS,
    comment: str = typer.Option("", "--comment", "-c"),
) -> int:
    """Reject a request: it will never run."""
    return _vote(ctx, request, who, "reject", comment)


@app.command()
def promote(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    to: str = typer.Option(..., "--to", help="Target environment."),
    source: str = typer.Option(None, "--from", help="Source (must be the one before --to)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change."),
    with_content: bool = typer.Option(
        False, "--with-content", help="Also clone the source's content (restore point first)."
    ),
    who: str = AS,
    reason: str = REASON,
) -> int:
    """Deploy into --to the release that last PASSED in the environment before it."""
    from wpfleet.cli.output import Progress, emit_json, steps_table
    from wpfleet.services import releases

    cfg = settings(ctx)
    with workspace(cfg, who, Progress(cfg)) as ws:
        result = releases.promote(
            ws, tenant, to, source, dry_run=dry_run, with_content=with_content, reason=reason
        )
    plan = result.plan
    head = (f"promote {tenant}: {plan.source.name} release {plan.run['release_id']} "
            f"(passed {_when(plan.run['at'])}) → {plan.target.name}")  # fmt: skip
    if cfg.json:
        emit_json({"source": plan.source.name, "target": plan.target.name,
                   "release": plan.release, "pin": plan.pin, "diff": plan.diff,
                   "steps": [s.as_dict() for s in plan.steps], "notes": result.notes,
                   "deployment": result.outcome.deployment.as_dict()
                   if result.outcome and result.outcome.deployment else None})  # fmt: skip
        return 0
    typer.echo(head)
    for key, (old, new) in plan.diff.items():
        typer.echo(f"  {key}: {old!r} → {new!r}")
    if dry_run:
        steps_table(f"would change in {plan.target.name}", plan.steps)
        return 0
    if result.outcome is not None:
        print_outcome(cfg, result.outcome, result.notes)
    return 0


@app.command()
def rollback(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = typer.Option(..., "--env", "-e"),
    to: str = typer.Option(None, "--to", help="Release id (default: the last good one)."),
    with_content: bool = typer.Option(
        False, "--with-content", help="Also restore the content kept while it ran."
    ),
    who: str = AS,
    reason: str = REASON,
) -> int:
    """Redeploy the last good (or the named) release and hold the environment."""
    from wpfleet.cli.output import Progress
    from wpfleet.services import releases

    cfg = settings(ctx)
    with workspace(cfg, who, Progress(cfg)) as ws:
        result = releases.rollback(ws, tenant, env, to, with_content=with_content, reason=reason)
    print_outcome(cfg, result.outcome, result.notes)
    return 0


@app.command("releases")
def releases_cmd(ctx: typer.Context, tenant: str = typer.Argument(..., help="Tenant id.")) -> None:
    """A tenant's releases per environment: passed, current, held."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import releases

    cfg = settings(ctx)
    with workspace(cfg, None) as ws:
        found = releases.releases(ws, tenant)
    if cfg.json:
        emit_json(found)
        return
    rows = []
    for env, rels in found.items():
        for r in rels:
            flags = [f for f, on in (("current", r["current"]), ("held", r["held"])) if on]
            origin = r.get("origin") or {}
            rows.append((env, r["id"], r["image"], "yes" if r["passed"] else "NO", r["runs"],
                         " ".join(flags), origin.get("env", ""), r["created_by"],
                         _when(r["created_at"])))  # fmt: skip
    table(
        f"releases of {tenant}",
        ["env", "release", "image", "passed", "runs", "now", "from", "by", "first"],
        rows,
    )


@release_app.command("unhold")
def unhold(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = typer.Option(..., "--env", "-e"),
    who: str = AS,
    reason: str = REASON,
) -> None:
    """Lift a rollback's hold: promotion (and auto-promotion) may deploy there again."""
    from wpfleet.services import releases

    cfg = settings(ctx)
    with workspace(cfg, who) as ws:
        held = releases.unhold(ws, tenant, env, reason=reason)
    typer.echo(f"{tenant} in {env}: " + ("hold lifted" if held else "was not held"))
