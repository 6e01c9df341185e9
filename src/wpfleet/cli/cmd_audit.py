"""``audit isolation``: each tenant's isolation, proven by trying; exit 10 on a breach."""

from __future__ import annotations

import typer

from wpfleet.cli.app import app, settings

audit_app = typer.Typer(help="Audits that prove properties of the fleet.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("isolation")
def isolation(
    ctx: typer.Context,
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
) -> None:
    """Each tenant's database, files, PHP pool (local) or IAM, EFS and security groups
    (aws) reach nothing of another's. Exit 10 on any breach; -o json for machines."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import audit as service

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        report = service.isolation(ws, env)
    if cfg.json:
        emit_json(report.as_dict())
    else:
        for name, found in report.findings.items():
            rows = [
                (f.tenant, f.check, "[green]held[/]" if f.ok else "[red]BREACH[/]", f.detail)
                for f in found
            ]
            table(f"isolation in {name}", ["tenant", "check", "result", "detail"], rows)
        for name, why in report.skipped.items():
            print(f"{name}: not audited: {why}")
    if not report.ok:
        raise service.IsolationBreach(report)
