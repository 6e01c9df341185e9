"""Test seams for fault injection, driven by environment variables.

They let the test suite fail or kill a real deployment at any step boundary without
patching code: ``WPFLEET_INJECT_FAULT`` raises an ``InjectedFault`` and
``WPFLEET_INJECT_KILL`` sends SIGKILL to the deploying process. Each holds a
comma-separated list of ``STEP_ID`` (before the change), ``STEP_ID@after`` (after it),
or ``undo:STEP_ID`` (fail the rollback of that step). Unset, they cost one dict lookup.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from wpfleet.errors import InjectedFault

FAULT_VAR = "WPFLEET_INJECT_FAULT"
KILL_VAR = "WPFLEET_INJECT_KILL"


def _parse(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Faults:
    fail: frozenset[str] = frozenset()
    kill: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls) -> Faults:
        return cls(_parse(os.environ.get(FAULT_VAR, "")), _parse(os.environ.get(KILL_VAR, "")))

    def at(self, point: str) -> None:
        """Call at a boundary named ``step`` / ``step@after`` / ``undo:step``."""
        if point in self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        if point in self.fail:
            raise InjectedFault(f"injected fault at {point}", code="InjectedFault")
