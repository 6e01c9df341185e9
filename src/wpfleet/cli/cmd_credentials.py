"""``credentials``: reveal a secret on explicit request, and only here."""

from __future__ import annotations

import typer

from wpfleet.cli.app import app, settings


@app.command()
def credentials(
    ctx: typer.Context,
    tenant: str = typer.Argument(None, help="Tenant id: its WordPress admin login."),
    env: str = typer.Option(..., "--env", "-e"),
) -> None:
    """Reveal the environment's basic-auth login, or a tenant's WordPress admin login.

    This is the only command that prints a secret.
    """
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import credentials as service

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        revealed = service.reveal(ws, ws.env(env), tenant)
    creds = revealed.credentials
    if cfg.json:
        emit_json({"username": creds.username, "password": creds.password, "url": creds.url})
        return
    table(
        revealed.what,
        ["username", "password", "url"],
        [(creds.username, creds.password, creds.url)],
    )
