"""No secret in any argv, log, journal, config document, report or output.

PATH shims (tests/reliability/leaks.py) record the argv and environment of every program
wpfleet starts (mysql, mariadb, mariadbd, php, php-fpm, openssl, nginx ...) before running
the real one; the platform of this module's fleet is started through them, so its daemons
are recorded too. Every process's /proc/PID/cmdline is checked as well, which is what
`ps` would show any user.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from tests.e2e.conftest import Fleet
from tests.reliability.leaks import make_shims

pytestmark = pytest.mark.stack


def all_cmdlines() -> str:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                out.append((proc / "cmdline").read_bytes().decode("utf-8", "replace"))
            except OSError:
                continue
    return "\n".join(out)


def test_no_secret_leaks_anywhere(fleet: Fleet) -> None:
    # outside pytest's 0700 temp root: tenants' PHP runs under their own uids
    base = Path(tempfile.mkdtemp(prefix="wpfleet-shims-"))
    base.chmod(0o755)
    log = base / "argv.log"
    log.touch()
    log.chmod(0o666)
    path = make_shims(base / "shims", log)
    env = {"PATH": path}
    outputs = []
    for args in (
        ("platform", "down", "--env", "sit"),
        ("platform", "up", "--env", "sit"),
        ("deploy", "alpha", "--env", "sit"),
        ("deploy", "alpha", "--env", "sit"),
        ("-o", "json", "status"),
        ("history", "alpha"),
        ("verify", "alpha", "--env", "sit", "--format", "junit"),
        ("--log-format", "json", "-v", "deploy", "bravo", "--env", "sit"),
        ("destroy", "bravo", "--env", "sit", "--yes"),
    ):
        proc = fleet.sub(*args, env=env)
        assert proc.returncode == 0, f"{args}: {proc.stderr}"
        outputs.append(proc.stdout + proc.stderr)
    recorded = log.read_bytes().decode("utf-8", "replace")
    assert "php" in recorded and "mariadbd" in recorded, "the shims recorded nothing"
    secrets = fleet.secret_values()
    assert len(secrets) >= 4  # db admin, basic auth, the tenants' db and admin passwords

    places = {
        "argv of started programs": recorded,
        "argv of running processes": all_cmdlines(),
        "command output": "\n".join(outputs),
        "state store (journal, deployments, documents)": dump_sqlite(
            fleet.root / ".wpfleet" / "state.db"
        ),
    }
    for file in texts_outside_secret_stores(fleet):
        places[str(file)] = file.read_text("utf-8", "replace")
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in {where}"
    shutil.rmtree(base, ignore_errors=True)


def dump_sqlite(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def texts_outside_secret_stores(fleet: Fleet) -> list[Path]:
    """Logs, reports, config documents, generated configs; not the places secrets live
    by design (secret files, the tenant's wp-config.php, the client defaults files)."""
    files = []
    for base in (fleet.root, fleet.runtime):
        for file in base.rglob("*"):
            if not file.is_file() or file.stat().st_size > 5_000_000:
                continue
            parts = set(file.parts)
            if "secrets" in parts or "data" in parts or "core" in parts:
                continue
            if file.name in ("wp-config.php", "state.db", "state.db-wal", "state.db-shm"):
                continue
            if file.suffix in (".cnf", ".sock", ".pid"):
                continue
            files.append(file)
    return files
