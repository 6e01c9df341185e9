"""``init`` and ``validate``: the fleet file."""

from __future__ import annotations

from pathlib import Path

import typer

from wpfleet.cli.app import app, settings


@app.command()
def init(
    ctx: typer.Context,
    example: str = typer.Option("local", "--example", "-e", help="local (the demo) or bbws."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing fleet file."),
) -> None:
    """Write an example fleet file (to --fleet, default ./fleet.yaml)."""
    from wpfleet.services import fleet

    path = fleet.init(settings(ctx).fleet, example, force=force)
    typer.echo(f"wrote {path} (example: {example}); next: wpfleet validate --fleet {path}")


@app.command()
def validate(ctx: typer.Context) -> None:
    """Check the fleet file: schema, names and their limits, ports, priorities.

    Reports every problem at once, each with the file, the path in it and the fix.
    """
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import fleet

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = fleet.validate(ws)
    if cfg.json:
        emit_json(
            {
                "ok": True,
                "fleet": str(Path(result.path)),
                "environments": result.environments,
                "tenants": result.tenants,
            }
        )
        return
    columns = ["env", "tenant", "host", "database", "target group"]
    table(f"{result.path}: valid", columns, result.names)
