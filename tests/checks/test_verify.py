"""The verify runner, driven by a fake clock: no test here really sleeps."""

from __future__ import annotations

import json

import pytest

from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.verify import CheckOutcome, VerifyReport, run_checks


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


class Flaky(Check):
    """Fails ``fail_times`` times, then passes; each ask costs ``cost`` fake seconds."""

    def __init__(self, name: str, clock: FakeClock, fail_times: int = 0, cost: float = 0.0):
        self.name, self.clock, self.fail_times, self.cost = name, clock, fail_times, cost
        self.asked = 0

    def run(self) -> CheckResult:
        self.asked += 1
        self.clock.t += self.cost
        if self.asked <= self.fail_times:
            return self.result(False, f"HTTP 502 (attempt {self.asked})")
        return self.result(True, "HTTP 200")


class Raises(Check):
    name = "logs"

    def run(self) -> CheckResult:
        raise RuntimeError("log group <missing> & gone")


def run(checks: list[Check], clock: FakeClock, **kw: object) -> VerifyReport:
    return run_checks(
        checks, tenant="acme", env="dev", deployment_id="d-1", clock=clock,
        sleep=clock.sleep, now=lambda: 1_700_000_000.0 + clock.t, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_all_pass_at_once_without_sleeping() -> None:
    clock = FakeClock()
    checks: list[Check] = [Flaky("secret", clock), Flaky("http", clock)]
    report = run(checks, clock)
    assert report.ok and clock.sleeps == []
    assert [(o.name, o.ok, o.attempts, o.detail) for o in report.outcomes] == [
        ("secret", True, 1, "HTTP 200"),
        ("http", True, 1, "HTTP 200"),
    ]


def test_only_failing_checks_are_re_asked_with_growing_waits() -> None:
    clock = FakeClock()
    good, slow = Flaky("secret", clock), Flaky("http", clock, fail_times=4)
    report = run([good, slow], clock, first_delay=0.1, max_delay=10.0)
    assert report.ok
    assert (good.asked, slow.asked) == (1, 5)
    assert [o.attempts for o in report.outcomes] == [1, 5]
    assert len(clock.sleeps) == 4
    for i, wait in enumerate(clock.sleeps):
        base = 0.1 * 2**i
        assert base <= wait <= base * 1.1 + 1e-9
    assert report.outcomes[1].seconds == pytest.approx(sum(clock.sleeps), abs=1e-3)


def test_waits_are_capped_and_never_pass_the_deadline() -> None:
    clock = FakeClock()
    never = Flaky("target", clock, fail_times=10**6)
    report = run([never], clock, deadline=10.0, first_delay=0.5, max_delay=2.0)
    assert not report.ok
    assert clock.t == pytest.approx(10.0)  # the last wait was cut to end at the deadline
    assert max(clock.sleeps) <= 2.0 * 1.1
    assert report.outcomes[0].attempts == len(clock.sleeps) + 1
    assert report.outcomes[0].detail.startswith("HTTP 502")
    assert report.finished_at - report.started_at == pytest.approx(10.0)


def test_slow_checks_use_up_the_deadline() -> None:
    clock = FakeClock()
    slow = Flaky("http", clock, fail_times=10**6, cost=4.0)
    report = run([slow], clock, deadline=5.0, first_delay=0.5)
    # asked at 0 (ends 4.0), waits until 5.0 at most, asked once more, then stops
    assert slow.asked == 2 and sum(clock.sleeps) <= 1.0 + 1e-9
    assert not report.ok and report.outcomes[0].attempts == 2


def test_zero_deadline_asks_once() -> None:
    clock = FakeClock()
    report = run([Flaky("http", clock, fail_times=1)], clock, deadline=0.0)
    assert clock.sleeps == [] and report.outcomes[0].attempts == 1 and not report.ok


def test_a_raising_check_fails_with_its_message_only() -> None:
    clock = FakeClock()
    report = run([Raises(), Flaky("http", clock)], clock, deadline=1.0)
    logs = report.outcomes[0]
    assert not logs.ok and logs.detail == "RuntimeError: log group <missing> & gone"
    assert "Traceback" not in json.dumps(report.as_dict())
    assert logs.attempts > 1 and report.outcomes[1].attempts == 1


def test_progress_after_every_attempt() -> None:
    clock = FakeClock()
    seen: list[CheckOutcome] = []
    run(
        [Flaky("a", clock), Flaky("b", clock, fail_times=2)],
        clock,
        on_progress=seen.append,
    )
    assert [(o.name, o.ok, o.attempts) for o in seen] == [
        ("a", True, 1), ("b", False, 1), ("b", False, 2), ("b", True, 3),
    ]  # fmt: skip


def test_report_as_dict() -> None:
    clock = FakeClock()
    report = run([Flaky("http", clock, fail_times=1)], clock, deadline=0.0)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["tenant"] == "acme" and data["env"] == "dev" and data["deployment_id"] == "d-1"
    assert data["ok"] is False and data["failed"] == 1 and data["passed"] == 0
    assert data["started_at"] == "2023-11-14T22:13:20+00:00"
    assert data["outcomes"][0]["name"] == "http"
    assert not VerifyReport("a", "dev", "", 0.0, 0.0).ok  # no checks is not a pass
