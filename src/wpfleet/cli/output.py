"""Printing: tables for people on stdout, JSON for machines, progress on stderr."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from wpfleet.checks.verify import CheckOutcome
    from wpfleet.cli.app import Settings
    from wpfleet.engine.executor import StepEvent
    from wpfleet.engine.resource import Step
    from wpfleet.pipeline.batch import BatchItem

OP_STYLE = {
    "create": "green",
    "update": "yellow",
    "delete": "red",
    "adopt": "cyan",
    "noop": "dim",
}


class GuardedStream:
    """stdout/stderr that survive a reader going away (``wpfleet deploy | head -1``).

    Output is not the deployment: after the first EPIPE the stream swallows everything
    (its file descriptor is pointed at /dev/null, so the interpreter's last flush at exit
    does not fail either), and the command carries on and exits with its own status.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return int(self._inner.write(text))
            except (BrokenPipeError, ConnectionResetError):
                self._break()
            except OSError as exc:
                if exc.errno != errno.EPIPE:
                    raise
                self._break()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._inner.flush()
            except (BrokenPipeError, ConnectionResetError):
                self._break()

    def _break(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._inner.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """Run the CLI with ``GuardedStream`` around sys.stdout and sys.stderr."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, GuardedStream):
        sys.stdout = GuardedStream(sys.stdout)
    if not isinstance(sys.stderr, GuardedStream):
        sys.stderr = GuardedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def stdout() -> Console:
    from rich.console import Console

    # Piped output keeps whole URLs and ids: no 80-column squeeze when not a terminal.
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    stdout().print(t)


def steps_table(title: str, steps: Sequence[Step]) -> None:
    rows = []
    for s in steps:
        style = OP_STYLE.get(s.op.value, "")
        detail = _changes(s) if s.changes else s.description
        rows.append((f"[{style}]{s.op.value}[/]", s.id, detail))
    table(title, ["op", "step", "detail"], rows)


def _short(value: Any, width: int = 40) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _diff(path: str, old: Any, new: Any) -> list[str]:
    """Dotted paths of what differs, descending into mappings."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                out += _diff(f"{path}.{key}", old.get(key), new.get(key))
        return out
    return [f"{path}: {_short(old)} → {_short(new)}"]


def _changes(step: Step) -> str:
    """``field: old → new`` for each changed field of an update."""
    before, after = step.before or {}, step.after or {}
    parts: list[str] = []
    for key in step.changes:
        parts += _diff(key, before.get(key), after.get(key))
    return "; ".join(parts)


class Progress:
    """Step and check events as they happen, on stderr (text or JSON lines).

    Thread-safe: a batch reports many tenants at once.
    """

    def __init__(self, cfg: Settings, *, show_tenant: bool = False) -> None:
        self.json = cfg.log_format.value == "json"
        self.verbose = cfg.verbose
        self.show_tenant = show_tenant
        self._lock = threading.Lock()
        self._console = None if self.json else stderr()

    def _line(self, tenant: str, text: str, record: dict[str, Any]) -> None:
        with self._lock, contextlib.suppress(OSError, ValueError):  # never stops the work
            if self.json:
                record = {"ts": round(time.time(), 3), "tenant": tenant, **record}
                sys.stderr.write(json.dumps(record) + "\n")
                sys.stderr.flush()
            elif self._console is not None:
                prefix = f"[bold]{tenant:<14}[/] " if self.show_tenant else "  "
                self._console.print(prefix + text, highlight=False)

    def _quiet(self, ok: bool) -> bool:
        """In a batch, people see one line per tenant; details of success need -v."""
        return ok and self.show_tenant and not self.verbose and not self.json

    def step(self, tenant: str, event: StepEvent) -> None:
        if event.status == "started" and not self.verbose:
            return
        if self._quiet(event.status in ("done", "undone")):
            return
        mark = {
            "done": "[green]✓[/]",
            "failed": "[red]✗[/]",
            "undone": "[yellow]↺[/]",
            "undo-failed": "[red]![/]",
            "started": "·",
        }.get(event.status, "·")
        extra = f" [red]{event.error}[/]" if event.error else ""
        secs = f" [dim]{event.seconds:.2f}s[/]" if event.seconds else ""
        text = f"{mark} {event.op.value:<6} {event.step_id}{secs}{extra}"
        if event.status in ("undone", "undo-failed"):
            text = f"{mark} undo   {event.step_id}{secs}{extra}"
        self._line(
            tenant,
            text,
            {
                "event": "step",
                "step": event.step_id,
                "op": event.op.value,
                "status": event.status,
                "seconds": round(event.seconds, 3),
                "error": event.error,
            },
        )

    def check(self, tenant: str, outcome: CheckOutcome) -> None:
        if self._quiet(outcome.ok):
            return
        mark = "[green]✓[/]" if outcome.ok else "[red]✗[/]"
        detail = (
            f" [dim]{outcome.detail}[/]"
            if (outcome.detail and (not outcome.ok or self.verbose))
            else ""
        )
        self._line(
            tenant,
            f"{mark} check  {outcome.name}{detail}",
            {
                "event": "check",
                "check": outcome.name,
                "ok": outcome.ok,
                "detail": outcome.detail,
                "attempts": outcome.attempts,
            },
        )

    def tenant_done(self, item: BatchItem) -> None:
        if item.ok and item.outcome is not None:
            changes = len(item.outcome.changed)
            report = item.outcome.report
            checks = (
                f", checks {sum(o.ok for o in report.outcomes)}/{len(report.outcomes)}"
                if report
                else ""
            )
            text = f"[green]✓ deployed[/] {changes} change(s){checks} [dim]{item.seconds:.1f}s[/]"
        else:
            text = f"[red]✗ failed[/] {item.error}"
        self._line(
            item.tenant,
            text,
            {
                "event": "tenant",
                "ok": item.ok,
                "seconds": round(item.seconds, 3),
                "error": item.error,
            },
        )

    def note(self, tenant: str, text: str) -> None:
        self._line(tenant, text, {"event": "note", "message": text})
