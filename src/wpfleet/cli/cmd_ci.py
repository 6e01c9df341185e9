"""``ci generate`` and ``ci policy``: GitHub Actions from the fleet file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import ExitStatus

ci_app = typer.Typer(help="GitHub Actions workflows and the CI role's IAM policy.")
app.add_typer(ci_app, name="ci")


@ci_app.command("generate")
def generate(
    ctx: typer.Context,
    out: Path = typer.Option(Path(".github/workflows"), "--out", help="Workflow folder."),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 8 (drift found) when the folder differs."
    ),
) -> int:
    """Write the workflows (deploy, dispatch, promote, release, approve, drift)."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services.ci import generate_workflows

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = generate_workflows(ws, out, check=check)
    if cfg.json:
        emit_json({"out": str(out), "files": result.files, "written": result.written,
                   "changed": result.changed, "missing": result.missing,
                   "extra": result.extra, "up_to_date": result.up_to_date})  # fmt: skip
    elif check:
        for kind in ("changed", "missing", "extra"):
            for name in getattr(result, kind):
                typer.echo(f"{kind}: {out / name}", err=True)
        if not result.up_to_date:
            typer.echo("workflows differ from the fleet file: run `wpfleet ci generate`", err=True)
        else:
            typer.echo(f"{len(result.files)} workflow(s) up to date in {out}")
    else:
        typer.echo(f"{len(result.written)} of {len(result.files)} workflow(s) written to {out}")
    if check and not result.up_to_date:
        return int(ExitStatus.DRIFT_FOUND)  # what is committed differs from the fleet file
    return 0


@ci_app.command("policy")
def policy(
    ctx: typer.Context,
    env: str = typer.Option(..., "--env", "-e", help="Environment name."),
) -> None:
    """The least-privilege IAM policy of the environment's CI role (JSON)."""
    from wpfleet.services.ci import ci_policy

    with settings(ctx).workspace() as ws:
        document = ci_policy(ws, env)
    typer.echo(json.dumps(document, indent=2, sort_keys=False))
