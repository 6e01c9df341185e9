"""``plan``, ``deploy``, ``verify``, ``destroy``, ``adopt``: each parses, calls one
service of ``wpfleet.services.deployments``, and renders what it returns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from wpfleet.cli.app import Settings, app, settings, workspace
from wpfleet.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.engine.resource import Step
    from wpfleet.pipeline.batch import BatchItem
    from wpfleet.pipeline.deploy import Outcome
    from wpfleet.reports.verification import Format
    from wpfleet.services.deployments import BatchResult
    from wpfleet.services.workspace import Workspace

ENV = typer.Option(..., "--env", "-e", help="Environment name (dev, sit, prod...).")
TENANT = typer.Argument(None, help="Tenant id, as in the fleet file.", show_default=False)


def _format(fmt: str, option: str, *, also: tuple[str, ...] = ()) -> Format:
    """A report format, checked before anything runs (``also``: accepted, given as json)."""
    from wpfleet.reports.verification import FORMATS

    for known in FORMATS:
        if fmt == known:
            return known
    if fmt in also:
        return "json"
    valid = ", ".join([*also, *FORMATS])
    raise UsageError(f"{option} {fmt!r} is not a report format", hint=f"one of: {valid}")


def _outcome_json(outcome: Outcome) -> dict[str, object]:
    return {
        "tenant": outcome.tenant,
        "env": outcome.env,
        "deployment": outcome.deployment.as_dict() if outcome.deployment else None,
        "steps": [s.as_dict() for s in outcome.steps],
        "verify": outcome.report.as_dict() if outcome.report else None,
    }


@app.command()
def plan(
    ctx: typer.Context,
    tenant: str = TENANT,
    env: str = ENV,
    destroy: bool = typer.Option(False, "--destroy", help="Plan a destroy instead."),
) -> None:
    """Dry run: the steps deploy (or destroy) would take, decided exactly as they would be."""
    from wpfleet.cli.output import emit_json, steps_table
    from wpfleet.services import deployments

    if not tenant:
        raise UsageError("plan needs a TENANT", hint="wpfleet plan goldencrust --env dev")
    cfg = settings(ctx)
    with cfg.workspace() as ws:
        steps = deployments.plan(ws, ws.env(env), tenant, destroy=destroy)
    if cfg.json:
        emit_json({"tenant": tenant, "env": env, "steps": [s.as_dict() for s in steps]})
        return
    changes = sum(1 for s in steps if s.op.value != "noop")
    steps_table(f"plan: {tenant} in {env} ({changes} change(s))", steps)
    for s in steps:
        if s.id == "infra/site-address" and s.op.value != "noop" and s.before and s.after:
            typer.echo(
                f"domain move: {s.before['url']} → {s.after['url']}: a restore point first, "
                "then the site's content is rewritten to the new URL and proved"
            )


@app.command()
def deploy(
    ctx: typer.Context,
    tenant: str = TENANT,
    env: str = ENV,
    all_tenants: bool = typer.Option(False, "--all", help="Every tenant of the environment."),
    concurrency: int = typer.Option(4, "--concurrency", "-j", min=1, help="Batch parallelism."),
    verify_deadline: float = typer.Option(60.0, "--verify-deadline", help="Seconds."),
    report: Path = typer.Option(None, "--report", help="Also write the verify report here."),
    report_format: str = typer.Option("json", "--report-format", help="json, junit, markdown."),
    resume: str = typer.Option(None, "--resume", help="Run an approved request (its id)."),
    who: str = typer.Option(None, "--as", help="Who deploys (default: $WPFLEET_ACTOR, login)."),
) -> int:
    """Deploy: validate -> database -> infra -> verify -> dns -> post. Safe to re-run.
    Into an environment with approvals: records a request and exits 6 until approved."""
    from wpfleet.cli.output import Progress
    from wpfleet.services import deployments

    if resume:
        return _resume(settings(ctx), resume, who, verify_deadline)
    if all_tenants and tenant:
        raise UsageError("give a TENANT or --all, not both")
    if not all_tenants and not tenant:
        raise UsageError("name a TENANT or pass --all", hint="wpfleet deploy goldencrust --env dev")
    fmt = _format(report_format, "--report-format")
    cfg = settings(ctx)
    progress = Progress(cfg)
    with workspace(cfg, who, progress) as ws:
        environment = ws.env(env)
        if not all_tenants:
            outcome = deployments.deploy(ws, environment, tenant, verify_deadline=verify_deadline)
            _write_report(outcome, report, fmt)
            _finish_single(cfg, ws, environment, outcome)
            return 0
        progress.show_tenant = len(ws.tenant_ids(environment)) > 1
        batch = deployments.deploy_many(
            ws, environment, concurrency=concurrency, verify_deadline=verify_deadline
        )
    _print_batch(cfg, batch)
    for tenant_id, notes in batch.promotions.items():
        for note in notes if not cfg.json else []:
            typer.echo(f"{tenant_id}: {note}")
    for tenant_id, error in batch.promotion_failures.items():
        typer.echo(f"{tenant_id}: auto-promotion failed: {error}", err=True)
    _all_pending(batch.items)
    batch.raise_for_failures()
    return 0


def _all_pending(items: list[BatchItem]) -> None:
    """Every tenant that did not deploy is waiting for approval: exit 6, not 9."""
    from wpfleet.errors import ApprovalPendingError

    waiting = [i for i in items if not i.ok]
    if waiting and all(i.status == ExitStatus.APPROVAL_PENDING for i in waiting):
        raise ApprovalPendingError(
            f"{len(waiting)} tenant(s) wait for approval: "
            + ", ".join(sorted(i.tenant for i in waiting)),
            hint="`wpfleet pending` lists the requests",
        )


def _resume(cfg: Settings, request: str, who: str | None, verify_deadline: float) -> int:
    from wpfleet.cli.output import Progress
    from wpfleet.services import approvals

    with workspace(cfg, who, Progress(cfg)) as ws:
        outcome = approvals.resume(ws, request, verify_deadline=verify_deadline)
    _print_outcome(cfg, outcome)
    return 0


def _finish_single(cfg: Settings, ws: Workspace, env: Environment, outcome: Outcome) -> None:
    """Print the deploy's outcome, then ``auto_promote: true`` on ``env`` carries the
    release just verified to the next environment (which may itself wait for approval:
    then this says so, exit 0). With -o json the promotion is the outcome's
    ``auto_promotion``, in the shape ``deploy --all`` gives each tenant; a failed
    promotion is still raised (its exit code) after the JSON."""
    from wpfleet.cli.output import emit_json
    from wpfleet.errors import WpfleetError
    from wpfleet.services import releases

    if not cfg.json:
        _print_outcome(cfg, outcome)
    notes: list[str] = []
    shape: dict[str, object] = {"to": None, "attempted": False, "notes": notes, "error": None}
    failure: WpfleetError | None = None
    if env.auto_promote:
        nxt = releases.following(ws, env)
        shape.update(to=nxt.name if nxt else None, attempted=True)
        try:
            notes.extend(releases.auto_promote(ws, env, outcome.tenant))
        except WpfleetError as exc:
            shape["error"], failure = exc.message, exc
    if cfg.json:
        emit_json({**_outcome_json(outcome), "auto_promotion": shape})
    else:
        for note in notes:
            typer.echo(note)
    if failure is not None:
        raise failure


def _write_report(outcome: Outcome, path: Path | None, fmt: Format) -> None:
    if path is None or outcome.report is None:
        return
    from wpfleet.reports.verification import write

    write(outcome.report, fmt, path)


def _print_outcome(cfg: Settings, outcome: Outcome) -> None:
    from wpfleet.cli.output import emit_json, stdout

    if cfg.json:
        emit_json(_outcome_json(outcome))
        return
    d = outcome.deployment
    changed = len(outcome.changed)
    what = f"{changed} change(s)" if changed else "no changes (all noop)"
    checks = ""
    if outcome.report is not None:
        passed = sum(1 for o in outcome.report.outcomes if o.ok)
        checks = f", checks {passed}/{len(outcome.report.outcomes)} passed"
    ident = f" [dim]{d.id}[/]" if d else ""
    stdout().print(f"[green]{outcome.tenant} in {outcome.env}: ok[/] — {what}{checks}{ident}")


def _print_batch(cfg: Settings, batch: BatchResult) -> None:
    from wpfleet.cli.output import emit_json, table

    items = batch.items
    if cfg.json:
        emit_json(
            [
                {
                    "tenant": i.tenant,
                    "ok": i.ok,
                    "seconds": round(i.seconds, 2),
                    "error": i.error,
                    "exit_status": int(i.status),
                    "result": _outcome_json(i.outcome) if i.outcome else None,
                    "auto_promotion": batch.promotion(i.tenant),
                }
                for i in items
            ]
        )
        return
    rows = [
        (
            i.tenant,
            "[green]ok[/]" if i.ok else f"[red]failed ({int(i.status)})[/]",
            f"{len(i.outcome.changed)} change(s)" if i.outcome else i.error,
            f"{i.seconds:.1f}s",
        )
        for i in items
    ]
    ok = sum(1 for i in items if i.ok)
    table(f"summary: {ok}/{len(items)} ok", ["tenant", "result", "detail", "time"], rows)


@app.command()
def verify(
    ctx: typer.Context,
    tenant: str = TENANT,
    env: str = ENV,
    fmt: str = typer.Option("table", "--format", help="table, json, junit or markdown."),
    report: Path = typer.Option(None, "--report", help="Write the report to this file."),
    deadline: float = typer.Option(30.0, "--deadline", help="Seconds to keep polling."),
) -> int:
    """Run the checks alone (nothing is changed) and report them."""
    from wpfleet.reports.verification import render, write
    from wpfleet.services import deployments

    if not tenant:
        raise UsageError("verify needs a TENANT", hint="wpfleet verify goldencrust --env dev")
    as_text = _format(fmt, "--format", also=("table",))
    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = deployments.verify(ws, ws.env(env), tenant, deadline=deadline)
    if report is not None:
        write(result, as_text, report)
    if fmt == "table" and not cfg.json:
        from wpfleet.cli.output import table

        rows = [
            ("[green]pass[/]" if o.ok else "[red]FAIL[/]", o.name, o.attempts, o.detail)
            for o in result.outcomes
        ]
        table(f"verify: {tenant} in {env}", ["result", "check", "attempts", "detail"], rows)
    else:
        typer.echo(render(result, as_text))
    return 0 if result.ok else int(ExitStatus.VERIFY_FAILED)


@app.command()
def destroy(
    ctx: typer.Context,
    tenant: str = TENANT,
    env: str = ENV,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> int:
    """Remove everything wpfleet created for the tenant in the environment."""
    from wpfleet.cli.output import Progress
    from wpfleet.services import deployments

    if not tenant:
        raise UsageError("destroy needs a TENANT")
    cfg = settings(ctx)
    if not yes:
        typer.confirm(f"destroy {tenant} in {env}, including its database and files?", abort=True)
    with cfg.workspace(Progress(cfg)) as ws:
        outcome = deployments.destroy(ws, ws.env(env), tenant)
    if cfg.json:
        from wpfleet.cli.output import emit_json

        emit_json(_outcome_json(outcome))
    else:
        typer.echo(f"{tenant} in {env}: destroyed ({len(outcome.changed)} resource(s) removed)")
    return 0


@app.command()
def adopt(
    ctx: typer.Context,
    tenant: str = TENANT,
    env: str = ENV,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> int:
    """Take over a tenant created before wpfleet: shows what, then tags and records it."""
    from wpfleet.cli.output import Progress, steps_table
    from wpfleet.services import deployments

    if not tenant:
        raise UsageError("adopt needs a TENANT")
    cfg = settings(ctx)

    def confirm(steps: list[Step]) -> bool:
        steps_table(f"adopt: {tenant} in {env}", steps)
        if not any(s.op.value == "adopt" for s in steps):
            typer.echo("nothing to adopt: every existing resource is already wpfleet's")
        if not yes:
            typer.confirm("take these over and deploy the rest?", abort=True)
        return True

    with cfg.workspace(Progress(cfg)) as ws:
        outcome = deployments.adopt(ws, ws.env(env), tenant, confirm=confirm)
    assert outcome is not None  # confirm never says no: it aborts
    _print_outcome(cfg, outcome)
    return 0
