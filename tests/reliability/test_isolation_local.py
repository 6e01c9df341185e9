"""Isolation probes (issue 11, defect 6): from tenant A's PHP, run by A's own pool, try
to reach tenant B's wp-config.php, uploads, logs, php-fpm socket and database, and to
run commands. Every attempt must fail, while the same probe reads A's own files (so a
failure means a fence, not a broken probe).

The probe is a must-use plugin placed in A's wp-content for the test only, requested
through the environment's real nginx and php-fpm.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import Fleet
from wpfleet.backends.local.paths import EnvPaths, TenantPaths
from wpfleet.backends.local.wordpress import php_str
from wpfleet.config.load import load_fleet

pytestmark = [pytest.mark.stack, pytest.mark.slow]

PROBE = "zz-wpfleet-reliability-probe.php"
COMMANDS = ("exec", "shell_exec", "system", "passthru", "proc_open", "popen", "pcntl_exec")


def probe_source(a: TenantPaths, b: TenantPaths, b_socket: Path) -> str:
    """PHP that tries each way across the fence and reports what worked, as JSON."""
    reads = {
        "own_config": a.config,
        "config": b.config,
        "uploads": b.content / "uploads" / "private.txt",
        "access_log": b.nginx_access_log,
        "error_log": b.nginx_error_log,
        "php_log": b.php_error_log,
    }
    lines = ["<?php", "if (!isset($_GET['wpfleet_probe'])) { return; }", "$r = array();"]
    for key, path in reads.items():
        lines.append(f"$r[{php_str(key)}] = @file_get_contents({php_str(path)}) !== false;")
    lines += [
        f"$r['listing'] = @scandir({php_str(b.root)}) !== false;",
        f"$r['write_uploads'] = @file_put_contents({php_str(b.content / 'uploads' / 'x.php')},"
        " 'x') !== false;",
        f"$s = @stream_socket_client({php_str('unix://' + str(b_socket))}, $e1, $e2, 1);",
        "$r['socket'] = $s !== false;",
        "mysqli_report(MYSQLI_REPORT_OFF);",
        "$db = @mysqli_connect('127.0.0.1', DB_USER, DB_PASSWORD, 'bravo_db',"
        " (int) explode(':', DB_HOST)[1]);",
        "$r['database'] = $db !== false && $db !== null;",
        "$own = @mysqli_connect('127.0.0.1', DB_USER, DB_PASSWORD, DB_NAME,"
        " (int) explode(':', DB_HOST)[1]);",
        "$r['own_database'] = $own !== false && $own !== null;",
        f"$cat = 'cat ' . escapeshellarg({php_str(b.nginx_access_log)});",
    ]
    for fn in COMMANDS:
        lines.append(f"$r['fn_{fn}'] = function_exists({php_str(fn)});")
    lines += [
        "try { $out = shell_exec($cat); } catch (Throwable $e) { $out = null; }",
        "$r['shell_read'] = is_string($out) && $out !== '';",
        "header('Content-Type: application/json'); echo json_encode($r); exit;",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def probed(fleet: Fleet) -> Iterator[dict[str, bool]]:
    for tenant in ("alpha", "bravo"):
        assert fleet.cli("deploy", tenant, "--env", "dev").code == 0
    paths = EnvPaths.for_env(load_fleet(fleet.path), "dev")
    a, b = paths.tenant("alpha"), paths.tenant("bravo")
    assert fleet.http("dev", "bravo", "/")[0] == 200  # B's access log has a line
    private = b.content / "uploads" / "private.txt"
    private.write_text("bravo's upload\n")
    st = (b.content / "uploads").stat()
    os.chown(private, st.st_uid, st.st_gid)
    plugin = a.content / "mu-plugins" / PROBE
    plugin.write_text(probe_source(a, b, paths.sockets / "dev-bravo.sock"))
    try:
        code, _, body = fleet.http("dev", "alpha", "/?wpfleet_probe=1")
        assert code == 200, body[:500]
        yield json.loads(body)
    finally:
        plugin.unlink(missing_ok=True)
        private.unlink(missing_ok=True)


def test_the_probe_reads_its_own_tenant(probed: dict[str, bool]) -> None:
    assert probed["own_config"] and probed["own_database"]


@pytest.mark.parametrize(
    "attempt",
    [
        "config",
        "uploads",
        "write_uploads",
        "access_log",
        "error_log",
        "php_log",
        "listing",
        "socket",
        "database",
        "shell_read",
    ],
)
def test_tenant_a_cannot_reach_tenant_b(probed: dict[str, bool], attempt: str) -> None:
    assert probed[attempt] is False, f"tenant A's PHP got through: {attempt}"


@pytest.mark.parametrize("fn", COMMANDS)
def test_command_execution_functions_are_disabled(probed: dict[str, bool], fn: str) -> None:
    assert probed[f"fn_{fn}"] is False


def test_nginx_logs_are_readable_only_by_root(fleet: Fleet, probed: dict[str, bool]) -> None:
    """Also outside PHP: another tenant's uid cannot list or read B's nginx logs."""
    paths = EnvPaths.for_env(load_fleet(fleet.path), "dev")
    a, b = paths.tenant("alpha"), paths.tenant("bravo")
    mode = b.nginx_logs.stat().st_mode
    assert stat.S_IMODE(mode) & 0o007 == 0, oct(mode)
    for log in (b.nginx_access_log, b.nginx_error_log):
        assert stat.S_IMODE(log.stat().st_mode) & 0o007 == 0, (log, oct(log.stat().st_mode))
    if os.geteuid() == 0:
        uid = a.content.stat().st_uid
        res = subprocess.run(
            ["cat", str(b.nginx_access_log)], capture_output=True, user=uid, group=uid
        )
        assert res.returncode != 0 and res.stdout == b""
