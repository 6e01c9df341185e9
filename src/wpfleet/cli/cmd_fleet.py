"""``init`` and ``validate``: the fleet file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import UsageError

EXAMPLES = ("local", "bbws")


def example_text(name: str) -> str:
    if name not in EXAMPLES:
        raise UsageError(f"no example {name!r}", hint=f"choose one of: {', '.join(EXAMPLES)}")
    return resources.files("wpfleet").joinpath(f"examples/{name}.yaml").read_text("utf-8")


@app.command()
def init(
    ctx: typer.Context,
    example: str = typer.Option("local", "--example", "-e", help="local (the demo) or bbws."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing fleet file."),
) -> None:
    """Write an example fleet file (to --fleet, default ./fleet.yaml)."""
    from wpfleet.config.load import fleet_path

    cfg = settings(ctx)
    path = fleet_path(cfg.fleet)
    text = example_text(example)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path} (example: {example}); next: wpfleet validate --fleet {path}")


@app.command()
def validate(ctx: typer.Context) -> None:
    """Check the fleet file: schema, names and their limits, ports, priorities.

    Reports every problem at once, each with the file, the path in it and the fix.
    """
    from wpfleet import naming
    from wpfleet.cli.output import emit_json, table

    cfg = settings(ctx)
    loaded = cfg.load()
    fleet = loaded.fleet
    rows = []
    for env in fleet.environments:
        for tenant in fleet.tenants_in(env.name):
            names = naming.tenant_names(tenant.id, env.name, env.domain)
            rows.append((env.name, tenant.id, names.host, names.database, names.target_group))
    if cfg.json:
        emit_json(
            {
                "ok": True,
                "fleet": str(Path(loaded.path)),
                "environments": [e.name for e in fleet.environments],
                "tenants": [t.id for t in fleet.tenants],
            }
        )
        return
    table(f"{loaded.path}: valid", ["env", "tenant", "host", "database", "target group"], rows)
