"""A real MariaDB for the content engine's export/import tests (the AWS tests' helper),
and per-test databases, each with its own user that can touch only that database."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.backends.aws.infra import MariaDB, make_mariadb_root, start_mariadb
from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file

NEEDS = ("mariadbd", "mariadb", "mariadb-dump", "php")


@pytest.fixture(scope="session")
def content_mariadb() -> Iterator[MariaDB]:
    missing = [tool for tool in NEEDS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    root = make_mariadb_root()
    db = start_mariadb(root)
    yield db
    db.proc.terminate()
    db.proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def tenant_db(content_mariadb: MariaDB) -> Iterator[Callable[[str], DbSpec]]:
    """``make("dev")`` → a fresh database ``<name>_db`` and its own user ``<name>_user``."""
    made: list[str] = []

    def make(name: str) -> DbSpec:
        db, user, pw = f"{name}_db", f"{name}_user", "pw-" + secrets.token_hex(8)
        content_mariadb.query(f"DROP DATABASE IF EXISTS `{db}`")
        content_mariadb.query(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
        content_mariadb.query(f"CREATE OR REPLACE USER '{user}'@'%' IDENTIFIED BY '{pw}'")
        content_mariadb.query(f"GRANT ALL PRIVILEGES ON `{db}`.* TO '{user}'@'%'")
        made.append(name)
        return DbSpec("127.0.0.1", content_mariadb.port, user, pw, db)

    yield make
    for name in made:
        content_mariadb.query(f"DROP DATABASE IF EXISTS `{name}_db`")
        content_mariadb.query(f"DROP USER IF EXISTS '{name}_user'@'%'")


def load_plain(spec: DbSpec, dump: Path) -> None:
    """``mariadb DB < dump``, the way a person would load a dump (for test fixtures)."""
    with defaults_file(spec) as cnf, open(dump, "rb") as src:
        subprocess.run(client_argv("mariadb", cnf, spec.database), stdin=src, check=True)


def table_state(spec: DbSpec) -> dict[str, tuple[int, int]]:
    """Every table's (rows, CHECKSUM TABLE): what "exactly as before" means."""
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            tables = [r[0] for r in cur.fetchall()]
            state = {}
            for t in tables:
                cur.execute(f"SELECT COUNT(*) FROM `{t}`")
                rows = cur.fetchone()[0]
                cur.execute(f"CHECKSUM TABLE `{t}`")
                state[t] = (rows, cur.fetchone()[1])
            return state
    finally:
        conn.close()
