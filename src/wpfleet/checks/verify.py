"""The verify runner: ask every check, then re-ask only the failing ones until they all
pass or the deadline comes.

Guarantees:
- every check is asked at least once, even with a deadline of zero;
- a check that passed is never asked again (checks are cheap but not free);
- the wait between rounds grows exponentially (``first_delay`` doubling up to
  ``max_delay``, plus up to 10 % jitter so that a fleet of runs does not poll in step),
  and is cut short so that no sleep ends past the deadline; a last round is asked at the
  deadline itself;
- a check that raises counts as failed with ``"ExceptionType: message"`` as its detail:
  no traceback reaches a report;
- ``on_progress`` is called after every attempt of every check, with its outcome so far;
  an error there (a closed terminal) changes nothing about the verification.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from wpfleet.checks.base import Check, failure_detail
from wpfleet.checks.poll import Backoff, until


@dataclass
class CheckOutcome:
    """A check's last answer; ``seconds`` is the time from the start of the run to that
    answer (for a passing check: how long the tenant took to pass it)."""

    name: str
    ok: bool
    detail: str
    attempts: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VerifyReport:
    tenant: str
    env: str
    deployment_id: str
    started_at: float  # wall-clock epoch seconds
    finished_at: float
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.outcomes) and all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "env": self.env,
            "deployment_id": self.deployment_id,
            "ok": self.ok,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "seconds": round(self.finished_at - self.started_at, 3),
            "passed": len(self.outcomes) - len(self.failed),
            "failed": len(self.failed),
            "outcomes": [o.as_dict() for o in self.outcomes],
        }


def iso(ts: float) -> str:
    """Epoch seconds as an ISO-8601 UTC timestamp."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def ask(check: Check) -> tuple[bool, str]:
    """One attempt; an exception is a failed answer, reported without its traceback."""
    try:
        result = check.run()
        return bool(result.ok), str(result.detail)  # even a detail that cannot be text
    except Exception as exc:  # a check must not crash verify: its error is its answer
        return False, failure_detail(exc)


def run_checks(
    checks: Sequence[Check],
    *,
    tenant: str,
    env: str,
    deployment_id: str = "",
    deadline: float = 60.0,
    first_delay: float = 0.05,
    max_delay: float = 2.0,
    on_progress: Callable[[CheckOutcome], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> VerifyReport:
    """Ask ``checks`` until all pass or ``deadline`` seconds have passed; see the module
    docstring for the guarantees. ``clock``/``sleep`` drive the polling (inject fakes in
    tests), ``now`` stamps the report."""
    started_at, start = now(), clock()
    outcomes = [CheckOutcome(c.name, False, "not asked yet", 0, 0.0) for c in checks]

    def ask_round(indexes: list[int]) -> None:
        for i in indexes:
            ok, detail = ask(checks[i])
            o = outcomes[i]
            o.ok, o.detail, o.attempts = ok, detail, o.attempts + 1
            o.seconds = round(clock() - start, 3)
            if on_progress is not None:
                with contextlib.suppress(Exception):  # output is not the verification
                    on_progress(replace(o))  # a snapshot: ``o`` changes on the next attempt

    def attempt() -> bool | None:
        """Ask the checks that have not passed yet; True once none is left."""
        ask_round([i for i, o in enumerate(outcomes) if not o.ok])
        return True if all(o.ok for o in outcomes) else None

    until(attempt, deadline, Backoff(first_delay, max_delay), clock=clock, sleep=sleep)
    return VerifyReport(tenant, env, deployment_id, started_at, now(), outcomes)
