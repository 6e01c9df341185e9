"""``logs``: a tenant's logs (CloudWatch on aws; nginx and PHP logs on local)."""

from __future__ import annotations

import contextlib
import json
import signal
import time

import typer

from wpfleet.cli.app import app, settings


@app.command()
def logs(
    ctx: typer.Context,
    tenant: str = typer.Argument(..., help="Tenant id."),
    env: str = typer.Option(..., "--env", "-e", help="Environment."),
    since: str = typer.Option("10m", "--since", help="How far back: 90s, 10m, 2h, 1d."),
    follow: bool = typer.Option(False, "--follow", "-F", help="Keep printing new lines."),
    grep: str = typer.Option(None, "--grep", help="Only lines containing this term."),
) -> None:
    """A tenant's log lines, oldest first; json lines with -o json."""
    from wpfleet.services import logs as service

    cfg = settings(ctx)

    def show(line: service.LogLine) -> None:
        if cfg.json:
            data = {"at": line.at, "source": line.source, "message": line.message}
            print(json.dumps(data), flush=True)
        else:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(line.at))
            print(f"{when} {line.source} {line.message}", flush=True)

    if follow and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # started by a script in the background, SIGINT arrives ignored: Ctrl-C (or
        # `kill -INT`) must still end a follow cleanly
        signal.signal(signal.SIGINT, signal.default_int_handler)
    with cfg.workspace() as ws, contextlib.suppress(KeyboardInterrupt):
        service.read(ws, ws.env(env), tenant, show, since=since, grep=grep, follow=follow)
