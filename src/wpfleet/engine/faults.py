"""Test seams for fault injection, driven by environment variables.

They let the test suite fail or kill a real deployment at any step boundary without
patching code: ``WPFLEET_INJECT_FAULT`` raises an ``InjectedFault`` and
``WPFLEET_INJECT_KILL`` sends SIGKILL to the deploying process. Each holds a
comma-separated list of ``STEP_ID`` (before the change), ``STEP_ID@after`` (after it),
``undo:STEP_ID`` (fail the rollback of that step), ``verify:CHECK`` (that check
always fails) or a named point inside a resource (``nginx:test``, ``nginx:reload``,
``php-fpm:test``, ``php-fpm:reload``, each also with ``@after``; inside the WordPress
install ``wordpress:table``, ``wordpress:options``, ``wordpress:settings``; in an AWS domain
move's DNS record, between the new record's write and the old one's delete,
``dns:record@moved``; the
``Workspace`` installs ``Faults.at`` for those in ``wpfleet.seams``).
``WPFLEET_INJECT_SLEEP`` holds ``POINT=SECONDS`` pairs and pauses there (to hold a
lock open in concurrency tests).
Unset, they cost one dict lookup each.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

from wpfleet.checks.base import Check, CheckResult
from wpfleet.errors import InjectedFault

FAULT_VAR = "WPFLEET_INJECT_FAULT"
KILL_VAR = "WPFLEET_INJECT_KILL"
SLEEP_VAR = "WPFLEET_INJECT_SLEEP"


def _parse(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Faults:
    fail: frozenset[str] = frozenset()
    kill: frozenset[str] = frozenset()
    sleep: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Faults:
        sleeps = {}
        for item in _parse(os.environ.get(SLEEP_VAR, "")):
            point, _, seconds = item.partition("=")
            sleeps[point] = float(seconds or 0)
        return cls(
            _parse(os.environ.get(FAULT_VAR, "")), _parse(os.environ.get(KILL_VAR, "")), sleeps
        )

    @property
    def active(self) -> bool:
        return bool(self.fail or self.kill or self.sleep)

    def at(self, point: str) -> None:
        """Call at a boundary named ``step`` / ``step@after`` / ``undo:step``."""
        if point in self.sleep:
            time.sleep(self.sleep[point])
        if point in self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        if point in self.fail:
            raise InjectedFault(f"injected fault at {point}", code="InjectedFault")

    def wrap_checks(self, checks: list[Check]) -> list[Check]:
        return [_Failing(c) if f"verify:{c.name}" in self.fail else c for c in checks]


class _Failing(Check):
    def __init__(self, inner: Check) -> None:
        self.name = inner.name
        self.description = inner.description

    def run(self) -> CheckResult:
        return self.result(False, f"injected fault at verify:{self.name}")
