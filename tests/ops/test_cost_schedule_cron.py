"""``cost report --schedule --install`` on a local environment: a marked line in the
user's crontab, written with the real ``crontab`` (Debian's cron package, installed by
``scripts/install-deps.sh test``). The user's crontab is put back as it was afterwards."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers import requires
from wpfleet.cli.main import main

# one user crontab on the machine: its tests run in one worker, one after another
pytestmark = pytest.mark.xdist_group("user-crontab")
OTHER = "5 4 * * * /usr/bin/true # someone else's line"


def _crontab() -> list[str]:
    done = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    return done.stdout.splitlines() if done.returncode == 0 else []


@pytest.fixture
def user_crontab() -> Iterator[None]:
    requires.require({"crontab": "cron"}, "cost report --schedule --install")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    subprocess.run(["crontab", "-"], input=OTHER + "\n", text=True, check=True)
    try:
        yield
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


def _fleet(tmp_path: Path) -> Path:
    doc = {
        "fleet": "bbws",
        "environments": [{"name": "dev", "backend": "local", "domain": "{tenant}.dev.localhost"}],
        "tenants": [{"id": "goldencrust", "name": "Golden Crust"}],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_install_is_idempotent_replaces_and_uninstalls(
    tmp_path: Path, user_crontab: None, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path)
    base = ["cost", "report", "--schedule", "--fleet", str(fleet), "--env", "dev"]

    assert main([*base, "--install", "--dry-run"]) == 0
    assert "dev: cron" in capsys.readouterr().out and _crontab() == [OTHER]

    assert main([*base, "--install", "--yes"]) == 0
    table = _crontab()
    assert table[0] == OTHER and table[1].startswith("# wpfleet cost report: fleet bbws, env dev")
    assert table[2].startswith("0 7 * * * wpfleet --fleet") and "--env dev" in table[2]
    assert len(table) == 3

    capsys.readouterr()
    assert main([*base, "--install", "--yes"]) == 0  # a second install: nothing to change
    assert "nothing to change" in capsys.readouterr().out and _crontab() == table

    # an edited line is replaced, not duplicated
    subprocess.run(
        ["crontab", "-"], input="\n".join([*table[:2], "1 1 * * * old", ""]), text=True, check=True
    )
    assert main([*base, "--install", "--yes"]) == 0
    assert _crontab() == table

    assert main([*base, "--uninstall", "--yes"]) == 0
    assert _crontab() == [OTHER]


def test_install_without_yes_asks_first(tmp_path: Path, user_crontab: None) -> None:
    fleet = _fleet(tmp_path)
    args = ["--fleet", str(fleet), "cost", "report", "--schedule", "--install", "--env", "dev"]
    from typer.testing import CliRunner

    from wpfleet.cli.app import app

    result = CliRunner().invoke(app, args, input="n\n")
    assert result.exit_code != 0 and "apply these 1 change(s)?" in result.output
    assert _crontab() == [OTHER]
