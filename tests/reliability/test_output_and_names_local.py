"""Output is not the deployment, and names are data (issue 11, defects 5 and 7).

- ``wpfleet deploy … 2>&1 | head -1``: the reader goes away after one line; the deploy
  must finish, be recorded as succeeded and exit 0 (before the fix rich turned the
  EPIPE into ``SystemExit(1)`` mid-step and the deployment was rolled back).
- Display names that look like markup or SQL deploy and render escaped.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys

import pytest

from tests.reliability.conftest import Fleet

pytestmark = [pytest.mark.stack, pytest.mark.slow]
WPFLEET = [sys.executable, "-m", "wpfleet.cli.main", "--fleet"]


def test_a_closed_output_pipe_does_not_stop_or_roll_back_a_deploy(fleet: Fleet) -> None:
    tenant = "charlie"
    proc = subprocess.Popen(
        [*WPFLEET, str(fleet.path), "deploy", tenant, "--env", "dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # like `| head -1`: one line, then the pipe is gone
    proc.stdout.close()
    code = proc.wait(timeout=180)
    assert first, "the deploy printed nothing"
    assert code == 0, f"exit {code}"
    hist = fleet.cli("-o", "json", "history", tenant, "--env", "dev", "-n", "1").json()
    assert isinstance(hist, list) and hist[0]["event"] == "deployment", hist
    assert hist[0]["status"] == "succeeded", hist
    assert fleet.http("dev", tenant, "/")[0] == 200


def test_a_closed_pipe_keeps_the_exit_status_of_a_failed_deploy(fleet: Fleet) -> None:
    """The exit code still says how it ended: an injected failure is 4 (rolled back)."""
    tenant = "delta"
    proc = subprocess.Popen(
        [*WPFLEET, str(fleet.path), "deploy", tenant, "--env", "dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "WPFLEET_INJECT_FAULT": "infra/vhost"},
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=180) == 4


@pytest.mark.parametrize(
    "tenant,name",
    [("echo", "</title><script>alert(1)</script>"), ("golf", "'; DROP TABLE wp_users; --")],
)
def test_hostile_display_names_deploy_and_render_escaped(
    fleet: Fleet, tenant: str, name: str
) -> None:
    original = fleet.path.read_text()
    line = next(x for x in original.splitlines() if f"id: {tenant}," in x)
    quoted = "'" + name.replace("'", "''") + "'"
    hostile = f"  - {{id: {tenant}, name: {quoted}, admin_email: owner@{tenant}.example}}"
    fleet.path.write_text(original.replace(line, hostile))
    try:
        res = fleet.cli("deploy", tenant, "--env", "dev")
        assert res.code == 0, res.err
        code, _, body = fleet.http("dev", tenant, "/")
        assert code == 200
        assert "<script>alert(1)" not in body
        title = body.split("<title>", 1)[1].split("</title>", 1)[0]
        shown = name.replace("--", "\u2014")  # WordPress's wptexturize makes -- a dash
        assert html.unescape(title).startswith(shown), title
        # the users table survived the name, and the admin can still be looked up
        assert fleet.http("dev", tenant, "/wp-login.php")[0] == 200
        assert fleet.cli("destroy", tenant, "--env", "dev", "--yes").code == 0
    finally:
        fleet.path.write_text(original)
