"""Checks: one question about a deployed tenant, answered yes or no with a detail.

The verify runner (``wpfleet.checks.verify``) polls failing checks with backoff until a
deadline; a check must therefore be cheap, side-effect free and safe to repeat.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


class Check(ABC):
    #: stable name used in reports: secret, service, running, target, http, logs,
    #: wp-title, wp-admin ...
    name: str
    description: str = ""

    @abstractmethod
    def run(self) -> CheckResult:
        """Ask once; never raise for a failing answer (return ok=False with a detail)."""

    def result(self, ok: bool, detail: str = "") -> CheckResult:
        return CheckResult(self.name, ok, detail)
