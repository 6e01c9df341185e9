"""As a normal user, everything but per-tenant uids still works, and says so.

The suite runs as root on CI; this test drops to ``nobody`` with setpriv. That user
cannot read a Python under /root, so wpfleet is installed (not editable) into a venv of
Debian's python3 under /var/tmp, reused across runs and refreshed from this checkout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.stack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV = Path("/var/tmp/wpfleet-nonroot-venv")
NOBODY = 65534


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def install_venv() -> Path:
    pip = [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    if not (VENV / "bin" / "wpfleet").exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(VENV)], check=True)
        subprocess.run([*pip, str(REPO)], check=True, capture_output=True)
    else:  # dependencies are there: refresh wpfleet itself from this checkout
        subprocess.run(
            [*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True, capture_output=True
        )
    VENV.chmod(0o755)
    return VENV / "bin" / "wpfleet"


@pytest.mark.skipif(os.geteuid() != 0, reason="the suite itself runs unprivileged here")
def test_unprivileged_user_deploys_and_is_told_what_isolation_is_missing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if not Path("/usr/bin/python3").exists() or shutil.which("setpriv") is None:
        pytest.fail("needs Debian's python3 and setpriv (util-linux)")
    wpfleet = install_venv()
    home = Path(f"/tmp/wpfleet-nonroot-{os.getpid()}")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(mode=0o755)
    (home / "fleet.yaml").write_text(
        "fleet: nr\nenvironments:\n  - name: dev\n    backend: local\n"
        '    domain: "{tenant}.wpdev.localhost"\n'
        f"    local: {{http_port: {free_port()}, db_port: {free_port()}}}\n"
        "tenants:\n  - {id: alpha, name: Alpha Bakery}\n"
    )
    os.chown(home, NOBODY, NOBODY)
    os.chown(home / "fleet.yaml", NOBODY, NOBODY)
    env = {
        "HOME": str(home),
        "PATH": f"{wpfleet.parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "WPFLEET_FLEET": str(home / "fleet.yaml"),
    }
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*as_nobody, str(wpfleet), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            timeout=120,
        )

    try:
        up = run("platform", "up")
        assert up.returncode == 0, up.stderr
        assert "not running as root" in up.stdout
        deployed = run("deploy", "alpha", "--env", "dev")
        assert deployed.returncode == 0, deployed.stderr
        status = run("-o", "json", "status")
        assert '"state": "healthy"' in status.stdout
        for proc in Path("/proc").iterdir():  # nothing of the tenant runs as root
            if proc.name.isdigit() and str(home) in _cmdline(proc):
                assert proc.stat().st_uid == NOBODY, _cmdline(proc)
    finally:
        run("platform", "down")
        shutil.rmtree(home, ignore_errors=True)


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""
