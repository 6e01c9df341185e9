"""The leak scanner: knows every secret a test run created and looks for each one (and
its base64 / URL-encoded forms) in every place a secret must never be.

Places: the argv and environment of every program wpfleet started (PATH shims record
both before exec'ing the real binary), /proc/*/cmdline and /proc/*/environ sampled every
20 ms while commands run, command output, the state store (journals, deployments,
config documents, reports), and every text file in the fleet and runtime directories
except where secrets live by design (secret files, wp-config.php, client option files).
"""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SHIMMED = [
    "mysql",
    "mariadb",
    "mariadbd",
    "mysqld",
    "mariadb-install-db",
    "mysql_install_db",
    "mariadb-admin",
    "mysqladmin",
    "mysqldump",
    "mariadb-dump",
    "php",
    "php8.2",
    "php-fpm8.2",
    "php-fpm",
    "openssl",
    "nginx",
    "cp",
    "curl",
]

SKIP_PARTS = {"secrets", "data", "core"}
SKIP_NAMES = {"wp-config.php", "state.db", "state.db-wal", "state.db-shm"}
SKIP_SUFFIXES = {".cnf", ".sock", ".pid"}


def make_shims(shim_dir: Path, log: Path) -> str:
    """Shims that append argv and environment (NUL-separated) to ``log``; returns PATH."""
    shim_dir.mkdir()
    real_path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    for name in SHIMMED:
        real = shutil.which(name, path=real_path)
        if real is None:
            continue
        script = shim_dir / name
        script.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\0" "$0" "$@" >> {log}\n'
            f"env -0 >> {log}\n"
            f'printf "\\n" >> {log}\n'
            f'exec {real} "$@"\n'
        )
        script.chmod(0o755)
    return f"{shim_dir}{os.pathsep}{real_path}"


def encodings(secret: str) -> set[str]:
    """The secret and the forms a careless log line would carry it in."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
    }
    return {f for f in forms if len(f) >= 8}


class ProcSampler:
    """Reads every process's cmdline and environ every ``interval`` seconds."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.seen: set[bytes] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.is_set():
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit() or proc.name == me:
                    continue
                for part in ("cmdline", "environ"):
                    try:
                        self.seen.add((proc / part).read_bytes())
                    except OSError:
                        continue
            self.samples += 1
            self._stop.wait(self.interval)

    @contextmanager
    def running(self) -> Iterator[ProcSampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def text(self) -> str:
        return "\n".join(b.decode("utf-8", "replace") for b in self.seen)


def dump_sqlite(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def text_files(*bases: Path) -> list[Path]:
    """Logs (text and JSON), reports, config documents, generated configs."""
    files = []
    for base in bases:
        for file in base.rglob("*"):
            try:
                if not file.is_file() or file.is_symlink() or file.stat().st_size > 5_000_000:
                    continue
            except OSError:
                continue
            if SKIP_PARTS & set(file.parts) or file.name in SKIP_NAMES:
                continue
            if file.suffix in SKIP_SUFFIXES:
                continue
            files.append(file)
    return files


def find_leaks(secrets: set[str], places: dict[str, str]) -> list[str]:
    """``where: which form`` for every hit (never the secret itself)."""
    hits = []
    for where, text in places.items():
        for secret in secrets:
            for form in encodings(secret):
                if form in text:
                    kind = "plain" if form == secret else "encoded"
                    hits.append(f"{where}: a secret ({kind}, {len(secret)} chars)")
    return hits
