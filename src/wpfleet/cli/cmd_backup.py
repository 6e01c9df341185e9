"""``backup create|list|restore`` and ``content clone``: parse, call ONE service, render."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from wpfleet.cli.app import app, settings, workspace
from wpfleet.cli.cmd_content import content_app
from wpfleet.errors import UsageError

backup_app = typer.Typer(help="Restore points: content kept before every overwrite.")
app.add_typer(backup_app, name="backup")

ENV = typer.Option(..., "--env", "-e", help="Environment name.")
AS = typer.Option(None, "--as", help="Who is acting (default: $WPFLEET_ACTOR, login).")


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


@backup_app.command("create")
def create(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = ENV,
    reason: str = typer.Option("manual", "--reason", "-m"),
    who: str = AS,
) -> None:
    """Take a restore point now: database dump + manifest + wp-content archive."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services import backups

    cfg = settings(ctx)
    with workspace(cfg, who) as ws:
        doc = backups.create(ws, ws.env(env), tenant, reason=reason)
    if cfg.json:
        emit_json(doc)
        return
    rows = sum(doc["rows"].values())
    typer.echo(f"{tenant} in {env}: restore point {doc['id']} ({len(doc['rows'])} tables, "
               f"{rows} rows)")  # fmt: skip


@backup_app.command("list")
def list_cmd(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = ENV,
) -> None:
    """Restore points of a tenant in an environment, newest first."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import backups

    cfg = settings(ctx)
    with workspace(cfg) as ws:
        found = backups.points(ws, ws.env(env), tenant)
    if cfg.json:
        emit_json(found)
        return
    table(
        f"restore points of {tenant} in {env}",
        ["id", "when", "who", "why", "release", "rows"],
        [(p["id"], _when(p["at"]), p["actor"], p["reason"], p["release_id"],
          sum(p["rows"].values())) for p in found],
    )  # fmt: skip


@backup_app.command("restore")
def restore(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    point: str = typer.Argument(..., help="Restore point id (`wpfleet backup list`)."),
    env: str = ENV,
    who: str = AS,
) -> None:
    """Put a restore point back (a restore point of what is there now is taken first)."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services import backups

    cfg = settings(ctx)
    with workspace(cfg, who) as ws:
        done = backups.restore(ws, ws.env(env), tenant, point)
    if cfg.json:
        emit_json(done)
        return
    typer.echo(f"{tenant} in {env}: restored {point} ({done['restored']['rows']} rows); "
               f"before it: {done['restore_point_before']}")  # fmt: skip


@content_app.command("clone")
def clone(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    source: str = typer.Option(..., "--from", help="Environment to copy from."),
    target: str = typer.Option(..., "--to", help="Environment to overwrite."),
    allow_upward: bool = typer.Option(False, "--allow-upward", help="Content moving UP."),
    who: str = AS,
) -> None:
    """Copy a site's content between environments: URLs rewritten, proved, after a
    restore point of the target. Content moves down; up needs --allow-upward."""
    from wpfleet.cli.output import emit_json
    from wpfleet.errors import ValidationError
    from wpfleet.services import backups

    cfg = settings(ctx)
    with workspace(cfg, who) as ws:
        dst = ws.env(target)
        if dst.approvals is not None:
            raise ValidationError(
                f"{target} requires approvals: its content changes only through an approved "
                f"promotion (wpfleet promote {tenant} --to {target} --with-content)"
            )
        done = backups.clone(ws, tenant, ws.env(source), dst, upward=allow_upward)
    if cfg.json:
        emit_json(done)
        return
    typer.echo(f"{tenant}: content of {source} cloned over {target} "
               f"({done['loaded']['rows']} rows, {done['loaded']['files']} files); "
               f"restore point before: {done['restore_point_before']}")  # fmt: skip


@content_app.command("export")
def export_cmd(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = ENV,
    out: Path = typer.Option(None, "--out", "-O", help="Directory (default: ./TENANT-ENV)."),
) -> None:
    """Database (streamed, compressed), wp-content archive and manifest of one site."""
    from wpfleet.services import backups

    cfg = settings(ctx)
    target = out or Path(f"{tenant}-{env}")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty", hint="give a new directory with --out")
    with workspace(cfg) as ws:
        manifest = backups.export_site(backups.site_access(ws, ws.env(env), tenant), target)
    typer.echo(f"{tenant} in {env}: exported to {target} ({len(manifest.rows)} tables, "
               f"{sum(manifest.rows.values())} rows, {manifest.dump_bytes} bytes)")  # fmt: skip


@content_app.command("import")
def import_cmd(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = ENV,
    source: Path = typer.Option(..., "--from", help="An export directory."),
    who: str = AS,
) -> None:
    """Load an export into the site: checked, shadow tables, proved, one RENAME; a restore
    point first; a dump from another host is moved to this one."""
    from wpfleet.errors import ValidationError
    from wpfleet.services import backups

    cfg = settings(ctx)
    with workspace(cfg, who) as ws:
        target = ws.env(env)
        if target.approvals is not None:
            raise ValidationError(f"{env} requires approvals: content is not imported there")
        done = backups.import_site(ws, target, tenant, source, why=f"import of {source}")
    typer.echo(f"{tenant} in {env}: imported {source} ({done['loaded']['rows']} rows); "
               f"restore point before: {done['restore_point_before']}")  # fmt: skip
