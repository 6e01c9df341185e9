"""The one polling helper, driven by a fake clock (nothing here really sleeps)."""

from __future__ import annotations

import pytest

from wpfleet.checks.poll import Backoff, until, wait_for


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


def test_returns_the_first_answer_with_growing_waits() -> None:
    clock = FakeClock()
    answers = iter([None, None, None, "ready"])
    got = until(lambda: next(answers), 60.0, Backoff(1.0, 30.0), clock=clock, sleep=clock.sleep)
    assert got == "ready" and len(clock.sleeps) == 3
    for i, wait in enumerate(clock.sleeps):
        assert 2.0**i <= wait <= 2.0**i * 1.1 + 1e-9


def test_false_is_an_answer_only_none_means_ask_again() -> None:
    clock = FakeClock()
    assert until(lambda: False, 5.0, clock=clock, sleep=clock.sleep) is False
    assert clock.sleeps == []


def test_gives_up_at_the_deadline_after_a_last_attempt() -> None:
    clock = FakeClock()
    asked: list[float] = []

    def never() -> None:
        asked.append(clock.t)

    backoff = Backoff(0.5, 2.0, jitter=0.0)
    assert until(never, 10.0, backoff, clock=clock, sleep=clock.sleep) is None
    assert asked[-1] == pytest.approx(10.0) and clock.t == pytest.approx(10.0)
    assert max(clock.sleeps) == 2.0


def test_zero_deadline_asks_once() -> None:
    clock = FakeClock()
    calls: list[int] = []
    assert not wait_for(lambda: bool(calls.append(1)), 0.0, clock=clock, sleep=clock.sleep)
    assert calls == [1] and clock.sleeps == []


def test_wait_for_a_predicate() -> None:
    clock = FakeClock()
    assert wait_for(lambda: clock.t > 1.0, 5.0, Backoff(0.1, 1.0), clock=clock, sleep=clock.sleep)
    assert 1.0 < clock.t < 2.5
