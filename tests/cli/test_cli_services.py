"""The CLI over the service layer: bad options refused before any service runs, and an
unknown environment named with the valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.factories import write_fleet
from wpfleet.cli.main import main
from wpfleet.errors import ExitStatus


@pytest.mark.parametrize(
    "args",
    [
        ("deploy", "alpha", "--env", "dev", "--report-format", "xml"),
        ("verify", "alpha", "--env", "dev", "--format", "html"),
    ],
)
def test_an_unknown_report_format_is_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    fleet = write_fleet(tmp_path)
    code = main(["--fleet", str(fleet), *args])
    err = capsys.readouterr().err
    assert code == ExitStatus.USAGE and "is not a report format" in err and "junit" in err
    assert not (tmp_path / ".wpfleet").exists()  # no store was opened: nothing ran


def test_an_unknown_environment_names_the_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--fleet", str(write_fleet(tmp_path)), "credentials", "--env", "qa"])
    err = capsys.readouterr().err
    assert code == ExitStatus.NOT_FOUND and "one of: dev, sit" in err
