"""Checks: one question about a deployed tenant, answered yes or no with a detail.

The verify runner (``wpfleet.checks.verify``) polls failing checks with backoff until a
deadline; a check must therefore be cheap, side-effect free and safe to repeat.

A check never crashes its caller: ``run`` turns any exception raised by ``ask`` into a
failed answer that names the error. This module imports nothing else from wpfleet but
the error type, so backends may subclass ``Check`` for their infrastructure checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from wpfleet.errors import WpfleetError


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


def failure_detail(exc: BaseException) -> str:
    """An exception as a one-line detail (no traceback: details go into reports)."""
    if isinstance(exc, WpfleetError):
        return exc.message
    try:
        return f"{type(exc).__name__}: {exc}"[:500]
    except Exception:  # an exception whose text cannot be made: its kind is enough
        return type(exc).__name__


class Check:
    #: stable name used in reports: secret, service, running, target, http, logs,
    #: wp-title, wp-admin, basic-auth, https
    name: str
    description: str = ""
    #: asks through the public DNS name: a deploy asks it after its DNS phase (sit/prod
    #: verify the rest before DNS, as the seeds' phase 3B says)
    after_dns: bool = False

    def run(self) -> CheckResult:
        """Ask once. Never raises: an unexpected error is a failed check naming it."""
        try:
            return self.ask()
        except WpfleetError as exc:  # an expected failure (AWS refused, file unreadable)
            return self.result(False, exc.message)
        except Exception as exc:
            return self.result(False, f"check failed: {failure_detail(exc)}")

    def ask(self) -> CheckResult:
        """The question itself; a failing answer is ``ok=False`` with a detail."""
        raise NotImplementedError(f"{type(self).__name__} asks nothing")

    def result(self, ok: bool, detail: str = "") -> CheckResult:
        return CheckResult(self.name, ok, detail)
