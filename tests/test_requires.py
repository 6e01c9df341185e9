"""tests/helpers/requires.py: a missing program skips on a developer's machine, and fails
(naming its Debian package) under CI=true or `make test`, so a suite that skipped half
of itself never looks green."""

from __future__ import annotations

import pytest

from tests.helpers import requires

MISSING = {"wpfleet-no-such-program": "wpfleet-no-such-package"}


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        ({}, pytest.skip.Exception),
        ({"CI": "true"}, pytest.fail.Exception),
        ({"WPFLEET_TEST_STRICT": "1"}, pytest.fail.Exception),
        ({"CI": "false", "WPFLEET_TEST_STRICT": "0"}, pytest.skip.Exception),
    ],
)
def test_missing_program_skips_or_fails_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], outcome: type[BaseException]
) -> None:
    for name in ("CI", "WPFLEET_TEST_STRICT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(outcome) as info:
        requires.require(MISSING, "this check")
    assert "wpfleet-no-such-program (Debian package wpfleet-no-such-package)" in str(info.value)


def test_present_programs_and_files_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    requires.require({"sh": "dash", "/bin/sh": "dash"}, "a shell")
    assert requires.missing({"sh": "dash", "/nonexistent/file": "pkg"}) == [
        "/nonexistent/file (Debian package pkg)"
    ]
