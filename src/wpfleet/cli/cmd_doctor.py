"""``doctor``: findings, each with its fix and the command that applies it."""

from __future__ import annotations

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import ExitStatus


@app.command()
def doctor(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = typer.Option(..., "--env", "-e", help="Environment."),
) -> int:
    """Why TENANT does not serve in ENV (503, 500, 401, tasks not starting, priority
    conflicts...): each cause with its fix. Exit 10 when anything was found."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import doctor as service

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        report = service.diagnose(ws, ws.env(env), tenant)
    if cfg.json:
        emit_json(report.as_dict())
    elif report.findings:
        rows = [(f.symptom, f.cause, f.fix, f.command or "-") for f in report.findings]
        table(f"doctor: {tenant} in {env}", ["symptom", "cause", "fix", "command"], rows)
    else:
        print(f"{tenant} in {env}: nothing found wrong")
    return int(ExitStatus.VERIFY_FAILED) if report.findings else 0
