"""The Typer application and its global options."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from wpfleet.errors import EXIT_STATUS_HELP

if TYPE_CHECKING:
    from wpfleet.config.load import LoadedFleet
    from wpfleet.services.events import Events
    from wpfleet.services.workspace import Workspace


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"  # a Markdown table (status); other commands print their table


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _exit_codes_help() -> str:
    rows = "\n".join(f"{int(code):>3}  {text}" for code, text in EXIT_STATUS_HELP.items())
    return f"Exit codes:\n\n\b\n{rows}"


HELP = (
    "Run a fleet of WordPress tenants across dev -> sit -> prod: one command per intent, "
    "safe to re-run, that proves its work. The options below may also follow the command."
)

app = typer.Typer(
    help=HELP,
    epilog=_exit_codes_help(),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    fleet: str | None
    output: OutputFormat
    log_format: LogFormat
    verbose: int
    actor: str | None = None

    @property
    def json(self) -> bool:
        return self.output is OutputFormat.json

    def load(self) -> LoadedFleet:
        from wpfleet.config.load import load_fleet

        return load_fleet(self.fleet)

    def workspace(self, events: Events | None = None) -> Workspace:
        """The one ``Workspace`` a command hands to its service (use it in ``with``)."""
        from wpfleet.services.workspace import Workspace

        return Workspace(self.fleet, actor=self.actor, events=events)


@app.callback()
def _global(
    ctx: typer.Context,
    fleet: str = typer.Option(
        None,
        "--fleet",
        "-f",
        help="Fleet file (default ./fleet.yaml, or $WPFLEET_FLEET).",
        show_default=False,
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.table,
        "--output",
        "-o",
        help="table, json, or md (status only).",
    ),
    log_format: LogFormat = typer.Option(
        LogFormat.text, "--log-format", help="Progress and logs on stderr as text or json lines."
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More detail."),
    actor: str = typer.Option(
        None, "--as", help="Who is acting, for history (default $WPFLEET_ACTOR, else you)."
    ),
) -> None:
    path = fleet or os.environ.get("WPFLEET_FLEET")
    ctx.obj = Settings(path, output, log_format, verbose, actor)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


# --- global options after the command ------------------------------------------------------
GLOBAL_WITH_VALUE = ("--fleet", "-f", "--output", "-o", "--log-format")
_ATTACHED = re.compile(r"(--fleet|--output|--log-format)=.*|-[fo].+|-v+|--verbose")


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """Move global options that follow the command to just before it, so that
    ``wpfleet deploy goldencrust --env dev --fleet fleet.yaml`` works as it does in
    aws-cli and kubectl (click only knows a group's options before its command). No
    command uses these names, so nothing is taken from a command's own options; nothing
    after ``--`` is touched."""
    args = list(args)
    i = 0
    while i < len(args) and args[i].startswith("-"):  # options before the command
        i += 2 if args[i] in GLOBAL_WITH_VALUE else 1
    if i >= len(args):
        return args
    head, command, moved, rest = args[:i], args[i], [], []
    i += 1
    while i < len(args):
        token = args[i]
        if token == "--":
            rest += args[i:]
            break
        if token in GLOBAL_WITH_VALUE and i + 1 < len(args):
            moved += args[i : i + 2]
            i += 2
            continue
        (moved if _ATTACHED.fullmatch(token) else rest).append(token)
        i += 1
    return [*head, *moved, command, *rest]
