"""``platform up|down|status|bootstrap|discover``: what an environment's tenants share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wpfleet.cli.app import Settings, app, settings

if TYPE_CHECKING:
    from wpfleet.context import PlatformStatus

platform_app = typer.Typer(help="Start, stop and inspect each environment's platform.")
app.add_typer(platform_app, name="platform")

ENV_OPTION = typer.Option(None, "--env", "-e", help="One environment (default: all local ones).")


def _show(cfg: Settings, statuses: list[PlatformStatus]) -> int:
    from wpfleet.cli.output import emit_json, stdout, table

    if cfg.json:
        emit_json(
            [
                {
                    "env": s.env,
                    "up": s.up,
                    "components": [vars(c) for c in s.components],
                    "limitations": s.limitations,
                }
                for s in statuses
            ]
        )
    else:
        rows = [
            (s.env, c.name, "running" if c.running else "stopped", c.detail)
            for s in statuses
            for c in s.components
        ]
        table("platform", ["env", "component", "state", "detail"], rows)
        for s in statuses:
            for limit in s.limitations:
                stdout().print(f"[yellow]{s.env}: {limit}[/]")
    return 0


@platform_app.command("up")
def up(ctx: typer.Context, env: str = ENV_OPTION) -> int:
    """Start the platform (idempotent: a running platform is left alone)."""
    from wpfleet.services import platform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        return _show(cfg, platform.up(ws, env))


@platform_app.command("down")
def down(ctx: typer.Context, env: str = ENV_OPTION) -> int:
    """Stop the platform's processes (data is kept)."""
    from wpfleet.services import platform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        return _show(cfg, platform.down(ws, env))


@platform_app.command("status")
def status(ctx: typer.Context, env: str = ENV_OPTION) -> int:
    """Which components run, and which isolation this machine cannot give."""
    from wpfleet.errors import ExitStatus
    from wpfleet.services import platform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        statuses = platform.status(ws, env)
    _show(cfg, statuses)
    return 0 if all(s.up for s in statuses) else int(ExitStatus.PLATFORM_DOWN)


@platform_app.command("bootstrap")
def bootstrap(
    ctx: typer.Context, env: str = typer.Option(..., "--env", "-e", help="Environment.")
) -> int:
    """Create what wpfleet owns in an environment before its first tenant: the state
    store's table and bucket (dynamodb), and the platform (aws: the basic-auth
    Lambda@Edge function and its viewer-request association; local: the processes)."""
    from wpfleet.cli.output import stdout
    from wpfleet.services import platform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        result = platform.bootstrap(ws, ws.env(env))
    for made in result.created:
        stdout().print(f"created {made}")
    return _show(cfg, [result.status])


@platform_app.command("discover")
def discover(
    ctx: typer.Context,
    env: str = typer.Option(..., "--env", "-e", help="An aws environment."),
    write: bool = typer.Option(
        False,
        "--write",
        help="Fill the values into the fleet file (kept: what is already set; a copy of "
        "the old file is left as FLEET.bak; comments are not kept).",
    ),
) -> int:
    """Find an aws environment's base resources by the seeds' names and tags.

    Needs only region, profile and account_id in the environment's aws: block; prints
    the whole block (read only), or writes it into the fleet file with --write.
    """
    import yaml

    from wpfleet.cli.output import emit_json, stdout
    from wpfleet.services import platform

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        found = platform.discover(ws, ws.env(env), write=write)
    if cfg.json:
        emit_json({"env": env, "aws": found.merged, "found": found.found, "missing": found.missing})
    else:
        stdout().print(yaml.safe_dump({"aws": found.merged}, sort_keys=False), highlight=False)
        for item in found.missing:
            stdout().print(f"[yellow]not found: {item}[/]")
    if found.written is not None:
        path = found.written
        stdout().print(f"wrote {path} (previous version: {path.name}.bak)")
    return 0
