"""The README's first command, as written: `make demo`, twice, then `make demo-down`.

It runs on a copy of the demo fleet with free ports (the real demo may be running on this
machine) and uses the Python that runs the tests as the Makefile's venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import free_port
from tests.helpers.browser import browser_context, look_at

pytestmark = [pytest.mark.stack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def make(target: str, fleet: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "wpfleet").exists():
        pytest.fail(f"wpfleet is not installed in {venv}: run `make test`")
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), target,
         f"DEMO_FLEET={fleet}", f"VENV={venv}"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "WPFLEET_RUNTIME_DIR": str(runtime), "COLUMNS": "200"},
    )  # fmt: skip


def test_make_demo_deploys_the_demo_fleet_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    text = (REPO / "examples/local/fleet.yaml").read_text()
    ports = {p: str(free_port()) for p in ("8080", "8081", "8082", "3407", "3408", "3409")}
    for old, new in ports.items():
        text = text.replace(f": {old}", f": {new}")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(text)
    runtime = Path(tempfile.mkdtemp(prefix="wpfleet-demo-"))
    runtime.chmod(0o755)
    try:
        first = make("demo", fleet, runtime)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        for tenant in ("goldencrust", "sunsetbistro", "sterlinglaw"):
            for env, port in (("dev", ports["8080"]), ("sit", ports["8081"])):
                row = re.search(
                    rf"{tenant}\s*│\s*{env}\s*│\s*(\w[\w ]*?)\s*│\s*(\S+)", first.stdout
                )
                assert row, f"{tenant}/{env} missing from the status table"
                assert row.group(1) == "healthy"
                assert row.group(2) == f"http://{tenant}.wp{env}.localhost:{port}/"
        assert "credentials --env sit" in first.stdout  # how to see the basic-auth login
        front_pages_show_titles_and_a_theme(fleet, ports["8080"])

        second = make("demo", fleet, runtime)
        assert second.returncode == 0, second.stderr[-3000:]
        assert second.stdout.count("0 change(s)") == 6, second.stdout[-3000:]
    finally:
        down = make("demo-down", fleet, runtime)
        shutil.rmtree(runtime, ignore_errors=True)
    assert down.returncode == 0, down.stderr


def front_pages_show_titles_and_a_theme(fleet: Path, port: str) -> None:
    """What a person's browser shows on each dev tenant's front page: its display name as
    the document's title and in the page's text, and the theme's styles. A "healthy"
    blank 200 (no theme installed) fails here."""
    names = {t["id"]: t["name"] for t in yaml.safe_load(fleet.read_text())["tenants"]}
    with browser_context() as ctx:
        for tenant, name in names.items():
            url = f"http://{tenant}.wpdev.localhost:{port}/"
            view = look_at(ctx, url)
            assert (view.status, view.url) == (200, url)
            assert view.title == name, view
            assert name in view.text, view
            assert view.theme_css, f"no style from a theme on {url}: {view.stylesheets}"
