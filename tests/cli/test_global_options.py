"""Global options before OR after the command, as in aws-cli and kubectl: a newcomer's
``wpfleet deploy goldencrust --env dev --fleet fleet.yaml`` must not answer
"No such option: --fleet"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wpfleet.cli.app import hoist_global_options
from wpfleet.cli.main import main
from wpfleet.errors import ExitStatus

FLEET = str(Path(__file__).resolve().parents[2] / "examples/local/fleet.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "args",
    [
        ("--fleet", FLEET, "-o", "json", "validate"),
        ("validate", "--fleet", FLEET, "-o", "json"),
        ("validate", f"--fleet={FLEET}", "--output=json"),
        ("-o", "json", "validate", "-f", FLEET),
        ("validate", f"-f{FLEET}", "-ojson", "-v", "--log-format", "json"),
    ],
)
def test_global_options_work_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert json.loads(out)["tenants"] == ["goldencrust", "sunsetbistro", "sterlinglaw"]


def test_fleet_after_a_subcommand_of_a_group_and_after_the_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--fleet`` after ``init --example``: the file is written where it says, not in
    the current directory."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "sub" / "fleet.yaml"
    target.parent.mkdir()
    code, _, err = run(capsys, "init", "--example", "local", "--fleet", str(target))
    assert code == 0, err
    assert target.is_file() and not (tmp_path / "fleet.yaml").exists()
    code, _, err = run(capsys, "validate", "--fleet", str(tmp_path / "missing.yaml"))
    assert code != 0 and "missing.yaml" in err


def test_a_command_still_refuses_an_option_that_is_not_global(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "validate", "--fleet", FLEET, "--no-such-option")
    assert code == ExitStatus.USAGE and "--no-such-option" in err


def test_hoisting_keeps_order_values_and_what_follows_a_double_dash() -> None:
    args = ["-v", "deploy", "x", "--env", "dev", "-o", "json", "-vv", "--", "-f", "y"]
    assert hoist_global_options(args) == [
        "-v", "-o", "json", "-vv", "deploy", "x", "--env", "dev", "--", "-f", "y",
    ]  # fmt: skip
    # the later of two values wins, as for options given twice before the command
    assert hoist_global_options(["-f", "a", "status", "--fleet=b"]) == [
        "-f", "a", "--fleet=b", "status",
    ]  # fmt: skip
    # a dump read from stdin ("-") is an argument, not an option
    assert hoist_global_options(["content", "search-replace", "-", "-", "-o", "json"]) == [
        "-o", "json", "content", "search-replace", "-", "-",
    ]  # fmt: skip
    assert hoist_global_options(["--help"]) == ["--help"]
