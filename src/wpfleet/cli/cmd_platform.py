"""``platform up|down|status``: what an environment's tenants share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wpfleet.cli.app import Settings, app, settings

if TYPE_CHECKING:
    from wpfleet.backends.base import PlatformStatus

platform_app = typer.Typer(help="Start, stop and inspect each environment's platform.")
app.add_typer(platform_app, name="platform")

ENV_OPTION = typer.Option(None, "--env", "-e", help="One environment (default: all local ones).")


def _run(cfg: Settings, env_name: str | None, action: str) -> list[PlatformStatus]:
    from wpfleet.backends import get_backend
    from wpfleet.state import open_store

    loaded = cfg.load()
    envs = (
        [loaded.fleet.env(env_name)]
        if env_name
        else [e for e in loaded.fleet.environments if e.backend == "local"]
    )
    out = []
    for env in envs:
        backend = get_backend(loaded, env, open_store(loaded, env))
        try:
            out.append(getattr(backend, f"platform_{action}")())
        finally:
            backend.close()
    return out


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
def up(
    ctx: typer.Context,
    env: str = ENV_OPTION,
    fix: bool = typer.Option(
        False,
        "--fix",
        help="aws: also apply the EFS file-system policy that tenant isolation needs "
        "(requires IAM authorization and an access point; see the README).",
    ),
) -> int:
    """Start the platform (idempotent: a running platform is left alone)."""
    cfg = settings(ctx)
    if fix:
        _fix(cfg, env)
    return _show(cfg, _run(cfg, env, "up"))


def _fix(cfg: Settings, env_name: str | None) -> None:
    """Repairs only aws base-resource settings (the EFS policy), before ``up``."""
    from wpfleet.backends import get_backend
    from wpfleet.cli.output import stdout
    from wpfleet.errors import UsageError
    from wpfleet.state import open_store

    loaded = cfg.load()
    env = loaded.fleet.env(env_name) if env_name else None
    if env is None or env.backend != "aws":
        raise UsageError("--fix repairs an aws environment's base resources: give --env NAME")
    backend = get_backend(loaded, env, open_store(loaded, env))
    try:
        for done in backend.platform_fix():  # type: ignore[attr-defined]
            stdout().print(done)
    finally:
        backend.close()


@platform_app.command("down")
def down(ctx: typer.Context, env: str = ENV_OPTION) -> int:
    """Stop the platform's processes (data is kept)."""
    cfg = settings(ctx)
    return _show(cfg, _run(cfg, env, "down"))


@platform_app.command("status")
def status(ctx: typer.Context, env: str = ENV_OPTION) -> int:
    """Which components run, and which isolation this machine cannot give."""
    from wpfleet.errors import ExitStatus

    cfg = settings(ctx)
    statuses = _run(cfg, env, "status")
    _show(cfg, statuses)
    return 0 if all(s.up for s in statuses) else int(ExitStatus.PLATFORM_DOWN)


@platform_app.command("bootstrap")
def bootstrap(
    ctx: typer.Context, env: str = typer.Option(..., "--env", "-e", help="Environment.")
) -> int:
    """Create what wpfleet owns in an environment before its first tenant: the state
    store's table and bucket (dynamodb), and the platform (aws: the basic-auth
    Lambda@Edge function and its viewer-request association; local: the processes)."""
    from wpfleet.backends import get_backend
    from wpfleet.cli.output import stdout
    from wpfleet.state import open_store

    cfg = settings(ctx)
    loaded = cfg.load()
    environment = loaded.fleet.env(env)
    store = open_store(loaded, environment)
    for made in store.bootstrap():
        stdout().print(f"created {made}")
    backend = get_backend(loaded, environment, store)
    try:
        status = backend.platform_up()
    finally:
        backend.close()
    return _show(cfg, [status])


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
    import shutil

    import yaml

    from wpfleet.backends import get_backend
    from wpfleet.cli.output import emit_json, stdout
    from wpfleet.errors import UsageError
    from wpfleet.state import open_store

    cfg = settings(ctx)
    loaded = cfg.load()
    environment = loaded.fleet.env(env)
    if environment.backend != "aws" or environment.aws is None:
        raise UsageError(f"{env} is not an aws environment", hint="discover is for backend: aws")
    backend = get_backend(loaded, environment, open_store(loaded, environment))
    try:
        found = backend.discover()  # type: ignore[attr-defined]
    finally:
        backend.close()
    current = environment.aws.model_dump(exclude_unset=True)
    merged = {**found.settings, **current}
    if cfg.json:
        emit_json({"env": env, "aws": merged, "found": found.settings, "missing": found.missing})
    else:
        stdout().print(yaml.safe_dump({"aws": merged}, sort_keys=False), highlight=False)
        for item in found.missing:
            stdout().print(f"[yellow]not found: {item}[/]")
    if write:
        raw = yaml.safe_load(loaded.path.read_text(encoding="utf-8"))
        for item in raw["environments"]:
            if item.get("name") == env:
                item["aws"] = {**found.settings, **(item.get("aws") or {})}
        shutil.copy2(loaded.path, loaded.path.with_name(loaded.path.name + ".bak"))
        loaded.path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        stdout().print(f"wrote {loaded.path} (previous version: {loaded.path.name}.bak)")
    return 0
