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
    from wpfleet.backends import get_backend
    from wpfleet.cli.output import emit_json, table
    from wpfleet.errors import NotFoundError
    from wpfleet.pipeline.context import tenant_context
    from wpfleet.state import open_store

    cfg = settings(ctx)
    loaded = cfg.load()
    environment = loaded.fleet.env(env)
    store = open_store(loaded, environment)
    backend = get_backend(loaded, environment, store)
    try:
        if tenant:
            creds = backend.admin_credentials(tenant_context(loaded, env, tenant, store))
        else:
            found = backend.basic_auth_credentials()
            if found is None:
                raise NotFoundError(
                    f"{env} has no basic auth",
                    hint=f"for a tenant's admin login: wpfleet credentials TENANT --env {env}",
                )
            creds = found
    finally:
        backend.close()
    if cfg.json:
        emit_json({"username": creds.username, "password": creds.password, "url": creds.url})
        return
    what = f"{tenant} admin" if tenant else f"{env} basic auth"
    table(what, ["username", "password", "url"], [(creds.username, creds.password, creds.url)])
