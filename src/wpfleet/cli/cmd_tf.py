"""``tf export``: Terraform modules and per-tenant roots for teams that want HCL."""

from __future__ import annotations

from pathlib import Path

import typer

from wpfleet.cli.app import app, settings

tf_app = typer.Typer(help="Terraform generated from the fleet file.")
app.add_typer(tf_app, name="tf")


@tf_app.command("export")
def export(
    ctx: typer.Context,
    out: Path = typer.Option(Path("terraform"), "--out", help="Output folder."),
    no_state: bool = typer.Option(
        False, "--no-state", help="Do not read config documents (no import blocks)."
    ),
) -> None:
    """Modules ecs-tenant, database, dns-cloudfront; one root per tenant and environment."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services.iac import export_terraform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = export_terraform(ws, out, documents={} if no_state else None)
    if cfg.json:
        emit_json({"out": str(out), "files": result.files, "written": result.written,
                   "imported": result.imported, "warnings": result.warnings})  # fmt: skip
        return
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"{len(result.written)} of {len(result.files)} file(s) written to {out}")
    for item in result.imported:
        typer.echo(f"import blocks: {item} (deployed by wpfleet)")
