"""No check may crash a deployment (issue 11, defect 2): an unexpected error in a check
is a failed check, and an error while reporting progress (a closed terminal) changes
nothing about the verification. Fake clock: nothing here sleeps."""

from __future__ import annotations

from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.verify import CheckOutcome, run_checks


class HostileHeader(Check):
    """What a domain with a newline did to the HTTP check before domains were validated."""

    name = "http"

    def run(self) -> CheckResult:
        raise ValueError("Invalid header value b'alpha.wpdev.localhost\\nevil:8080'")


class BadDetail(Check):
    """A result whose detail cannot even be turned into text."""

    name = "wp-title"

    class Unprintable:
        def __str__(self) -> str:
            raise UnicodeEncodeError("ascii", "\u0440", 0, 1, "ordinal not in range(128)")

    def run(self) -> CheckResult:
        return CheckResult(self.name, True, self.Unprintable())  # type: ignore[arg-type]


class Passes(Check):
    name = "secret"

    def run(self) -> CheckResult:
        return self.result(True, "present")


def test_crashing_checks_are_failed_checks_and_progress_errors_are_ignored() -> None:
    t = [0.0]

    def sleep(s: float) -> None:
        t[0] += s

    def broken_terminal(_o: CheckOutcome) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    report = run_checks(
        [HostileHeader(), BadDetail(), Passes()],
        tenant="alpha",
        env="dev",
        deadline=1.0,
        on_progress=broken_terminal,
        clock=lambda: t[0],
        sleep=sleep,
        now=lambda: 1_700_000_000.0,
    )
    by_name = {o.name: o for o in report.outcomes}
    assert not report.ok
    assert by_name["http"].ok is False and "ValueError" in by_name["http"].detail
    assert by_name["wp-title"].ok is False and "UnicodeEncodeError" in by_name["wp-title"].detail
    assert by_name["secret"].ok is True and by_name["secret"].attempts == 1
