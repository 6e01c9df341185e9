"""The one polling helper: ask until an answer comes or a deadline passes, waiting
longer each time.

Guarantees (the verify runner, nginx reloads and the AWS installer rely on them):
- ``attempt`` is called at least once, even with a deadline of zero;
- the wait grows from ``first_delay`` by ``factor`` up to ``max_delay``, plus up to
  ``jitter`` (a fraction) so that many pollers do not ask in step;
- no wait ends past the deadline, and a last attempt is made at the deadline itself.

``clock`` and ``sleep`` are injectable so that tests drive time. This module imports
nothing else from wpfleet, so any layer may use it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    first_delay: float = 0.05
    max_delay: float = 2.0
    factor: float = 2.0
    jitter: float = 0.1

    def delay(self, round_no: int) -> float:
        """The wait after attempt ``round_no`` (1-based), jitter included."""
        base = min(self.max_delay, self.first_delay * self.factor ** (round_no - 1))
        return base + random.uniform(0, self.jitter * base)


def until(
    attempt: Callable[[], T | None],
    deadline: float,
    backoff: Backoff = Backoff(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T | None:
    """Call ``attempt`` until it returns something other than None (returned) or
    ``deadline`` seconds have passed (None is returned)."""
    end = clock() + deadline
    round_no = 1
    while True:
        answer = attempt()
        if answer is not None:
            return answer
        now = clock()
        if now >= end:
            return None
        sleep(min(backoff.delay(round_no), max(0.0, end - now)))
        round_no += 1


def wait_for(
    predicate: Callable[[], bool],
    deadline: float,
    backoff: Backoff = Backoff(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """``until`` for a yes/no question: True once ``predicate`` holds, False at the
    deadline."""
    answer = until(
        lambda: True if predicate() else None, deadline, backoff, clock=clock, sleep=sleep
    )
    return answer is True
