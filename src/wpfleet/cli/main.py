"""The ``wpfleet`` command: one error boundary, one exit-code enum.

``main()`` maps every exception to an exit status in one place; the commands beneath it
raise ``WpfleetError`` and never call ``sys.exit`` themselves. Heavy modules (pydantic,
boto3, the backends) are imported inside commands so ``wpfleet --help`` stays fast.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from wpfleet.cli.app import app, hoist_global_options
from wpfleet.errors import ExitStatus, WpfleetError

#: command modules, in the order their commands are listed by ``--help``
COMMAND_MODULES = (
    "cmd_fleet",
    "cmd_platform",
    "cmd_deploy",
    "cmd_releases",
    "cmd_backup",
    "cmd_status",
    "cmd_drift",
    "cmd_credentials",
    "cmd_content",
    "cmd_ci",
    "cmd_tf",
    "cmd_metrics",
    "cmd_cost",
    "cmd_logs",
    "cmd_audit",
    "cmd_doctor",
)


def _load_commands() -> None:
    """Registration only: each module's own imports stay light."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"wpfleet.cli.{name}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit status (the console script exits with it). A
    closed stdout or stderr never stops a command (``output.guarded_streams``)."""
    from wpfleet.cli.output import guarded_streams

    with guarded_streams():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    _load_commands()
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    try:
        result = app(args=args, prog_name="wpfleet", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        _err("aborted")
        return ExitStatus.INTERRUPTED
    except TyperException as exc:  # typer's vendored click: usage errors
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err(str(exc))
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return ExitStatus.INTERRUPTED
    except WpfleetError as exc:
        _report(exc, as_json=_wants_json(args))
        return int(exc.status)
    except NotImplementedError as exc:
        _err(f"not supported: {exc}")
        return ExitStatus.USAGE
    except Exception as exc:  # a bug: say so, and how to report it
        _err(f"internal error: {type(exc).__name__}: {exc}")
        if verbose:
            traceback.print_exc()
        else:
            _err("run again with -v for a traceback, and please report it")
        return ExitStatus.ERROR
    return int(result) if isinstance(result, int) else ExitStatus.OK


def _err(text: str) -> None:
    print(f"wpfleet: {text}", file=sys.stderr)


def _wants_json(args: list[str]) -> bool:
    pairs = {"--output": "json", "-o": "json", "--log-format": "json"}
    for i, arg in enumerate(args):
        name, _, value = arg.partition("=")
        value = value or (args[i + 1] if i + 1 < len(args) else "")
        if pairs.get(name) == value:
            return True
    return False


def _report(exc: WpfleetError, *, as_json: bool = False) -> None:
    if as_json:
        record = {
            "error": exc.message,
            "hint": exc.hint,
            "exit_status": int(exc.status),
            "kind": type(exc).__name__,
        }
        print(json.dumps(record), file=sys.stderr)
        return
    _err(f"error: {exc.message}")
    if exc.hint:
        print(f"  hint: {exc.hint}", file=sys.stderr)


def run() -> None:  # pragma: no cover - console script entry
    sys.exit(main())


__all__ = ["app", "main", "run", "typer"]


if __name__ == "__main__":
    run()
