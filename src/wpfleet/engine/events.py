"""What the engine reports as it works: one ``StepEvent`` per step start/end/undo, and
``describe`` for a one-line reason (journal, terminal, event stream alike)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wpfleet.engine.resource import Op
from wpfleet.errors import WpfleetError


@dataclass(frozen=True)
class StepEvent:
    """Progress report: ``status`` is started, done, failed, undone or undo-failed."""

    step_id: str
    op: Op
    status: str
    seconds: float = 0.0
    error: str = ""


EventSink = Callable[[StepEvent], None]


def describe(error: BaseException) -> str:
    """A one-line reason fit for a journal or a terminal: never a traceback."""
    if isinstance(error, WpfleetError):
        return error.message
    return f"{type(error).__name__}: {error}"
