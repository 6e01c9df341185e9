"""A check never crashes its caller: an unexpected error is a failed check naming it."""

from __future__ import annotations

from wpfleet.checks.base import Check, CheckResult
from wpfleet.errors import NotFoundError


class Boom(Check):
    name = "logs"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def ask(self) -> CheckResult:
        raise self.exc


def test_an_unexpected_error_is_a_failed_check_with_the_error_named() -> None:
    result = Boom(KeyError("runningCount")).run()
    assert result == CheckResult("logs", False, "check failed: KeyError: 'runningCount'")


def test_a_wpfleet_error_gives_its_message() -> None:
    result = Boom(NotFoundError("log group /ecs/sit not found")).run()
    assert result == CheckResult("logs", False, "log group /ecs/sit not found")


def test_a_check_without_a_question_fails_instead_of_raising() -> None:
    class Empty(Check):
        name = "empty"

    result = Empty().run()
    assert not result.ok and "NotImplementedError" in result.detail
