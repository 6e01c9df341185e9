"""The default state store: one SQLite file, ``.wpfleet/state.db`` next to the fleet file.

Guarantees:
- plain data only: records are JSON text columns, never pickles;
- safe across threads (one connection per store, every call under a lock) and across
  processes (WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` around every
  read-then-write, so locks and allocations are atomic between processes);
- a forked child never reuses its parent's connection: it opens its own;
- the directory is created 0700 and the file 0600 (the journal may name resources);
- the schema carries a version in ``meta``; a file written by a newer wpfleet is refused
  rather than misread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from wpfleet.errors import UsageError
from wpfleet.state import records
from wpfleet.state.base import Deployment, JournalEntry, Json, LockInfo, StateStore

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, env TEXT NOT NULL,
    started_at REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deployments_by_tenant
    ON deployments (tenant, env, started_at);
CREATE INDEX IF NOT EXISTS deployments_by_time ON deployments (started_at);
CREATE TABLE IF NOT EXISTS journal (
    n INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT NOT NULL,
    seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS journal_by_deployment ON journal (deployment_id, seq, n);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS owned (
    env TEXT NOT NULL, tenant TEXT NOT NULL, resource_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (env, tenant, resource_id));
CREATE TABLE IF NOT EXISTS allocations (
    env TEXT NOT NULL, kind TEXT NOT NULL, tenant TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (env, kind, tenant), UNIQUE (env, kind, value));
CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, data TEXT NOT NULL);
"""

R = TypeVar("R")

#: connections a forked child inherited; kept alive so that they are never closed
_INHERITED: list[sqlite3.Connection] = []


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


class SqliteStore(StateStore):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        _prepare_file(self.path)
        self._migrate()

    # --- connection and transactions ----------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid != os.getpid():
            # inherited through fork: never use it, and never close it here either
            # (closing could disturb the parent's locks); keep it referenced instead
            _INHERITED.append(self._conn)
            self._conn = None
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its first
        statement, so a read-then-write inside it cannot interleave with another process."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, fn: Callable[[sqlite3.Connection], R]) -> R:
        with self._lock:
            return fn(self._connection())

    def _migrate(self) -> None:
        """Bring the file to ``SCHEMA_VERSION``; refuse a file from a newer wpfleet before
        touching it."""
        with self._tx() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise UsageError(
                    f"state file {self.path} has schema version {version}; this wpfleet "
                    f"knows up to {SCHEMA_VERSION}",
                    hint="upgrade wpfleet to the version that wrote this state",
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    # --- deployments -------------------------------------------------------------------
    def put_deployment(self, deployment: Deployment) -> None:
        d = deployment
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO deployments (id, tenant, env, started_at, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (d.id, d.tenant, d.env, d.started_at, _dumps(d.as_dict())),
            )

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        row = self._read(
            lambda c: c.execute(
                "SELECT data FROM deployments WHERE id = ?", (deployment_id,)
            ).fetchone()
        )
        return records.deployment(json.loads(row[0])) if row else None

    def list_deployments(
        self, tenant: str | None = None, env: str | None = None, limit: int = 50
    ) -> list[Deployment]:
        where, args = [], []
        for column, value in (("tenant", tenant), ("env", env)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT data FROM deployments"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        sql += " ORDER BY started_at DESC, rowid DESC LIMIT ?"
        rows = self._read(lambda c: c.execute(sql, (*args, limit)).fetchall())
        return [records.deployment(json.loads(r[0])) for r in rows]

    # --- journal -----------------------------------------------------------------------
    def append_journal(self, entry: JournalEntry) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO journal (deployment_id, seq, data) VALUES (?, ?, ?)",
                (entry.deployment_id, entry.seq, _dumps(entry.as_dict())),
            )

    def journal(self, deployment_id: str) -> list[JournalEntry]:
        rows = self._read(
            lambda c: c.execute(
                "SELECT data FROM journal WHERE deployment_id = ? ORDER BY seq, n",
                (deployment_id,),
            ).fetchall()
        )
        return [records.journal_entry(json.loads(r[0])) for r in rows]

    # --- locks -------------------------------------------------------------------------
    def try_lock(self, lock: LockInfo, replace_owner: str | None = None) -> LockInfo | None:
        with self._tx() as conn:
            row = conn.execute("SELECT data FROM locks WHERE key = ?", (lock.key,)).fetchone()
            if row is not None:
                holder = records.lock_info(json.loads(row[0]))
                if replace_owner is None or holder.owner != replace_owner:
                    return holder
            conn.execute(
                "INSERT OR REPLACE INTO locks (key, owner, data) VALUES (?, ?, ?)",
                (lock.key, lock.owner, _dumps(asdict(lock))),
            )
        return None

    def release_lock(self, key: str, owner: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM locks WHERE key = ? AND owner = ?", (key, owner))

    def refresh_lock(self, key: str, owner: str, expires_at: float) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT data FROM locks WHERE key = ? AND owner = ?", (key, owner)
            ).fetchone()
            if row is None:
                return False
            data = json.loads(row[0])
            data["expires_at"] = expires_at
            conn.execute("UPDATE locks SET data = ? WHERE key = ?", (_dumps(data), key))
        return True

    def get_lock(self, key: str) -> LockInfo | None:
        row = self._read(
            lambda c: c.execute("SELECT data FROM locks WHERE key = ?", (key,)).fetchone()
        )
        return records.lock_info(json.loads(row[0])) if row else None

    # --- ownership -----------------------------------------------------------------------
    def record_owned(self, env: str, tenant: str, resource_id: str, data: Json) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO owned (env, tenant, resource_id, data) VALUES (?, ?, ?, ?)",
                (env, tenant, resource_id, _dumps(data)),
            )

    def forget_owned(self, env: str, tenant: str, resource_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM owned WHERE env = ? AND tenant = ? AND resource_id = ?",
                (env, tenant, resource_id),
            )

    def owned(self, env: str, tenant: str) -> dict[str, Json]:
        rows = self._read(
            lambda c: c.execute(
                "SELECT resource_id, data FROM owned WHERE env = ? AND tenant = ? "
                "ORDER BY resource_id",
                (env, tenant),
            ).fetchall()
        )
        return {r[0]: json.loads(r[1]) for r in rows}

    # --- allocations ---------------------------------------------------------------------
    def allocate(
        self, env: str, kind: str, tenant: str, candidates: Iterable[int], taken: set[int]
    ) -> int:
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT tenant, value FROM allocations WHERE env = ? AND kind = ?", (env, kind)
            ).fetchall()
            held = {t: int(v) for t, v in rows}
            if tenant in held:
                return held[tenant]
            value = records.first_free(candidates, set(held.values()) | taken)
            if value is None:
                raise records.exhausted(env, kind, tenant)
            conn.execute(
                "INSERT INTO allocations (env, kind, tenant, value) VALUES (?, ?, ?, ?)",
                (env, kind, tenant, value),
            )
        return value

    def allocations(self, env: str, kind: str) -> dict[str, int]:
        rows = self._read(
            lambda c: c.execute(
                "SELECT tenant, value FROM allocations WHERE env = ? AND kind = ? ORDER BY value",
                (env, kind),
            ).fetchall()
        )
        return {t: int(v) for t, v in rows}

    def release_allocation(self, env: str, kind: str, tenant: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM allocations WHERE env = ? AND kind = ? AND tenant = ?",
                (env, kind, tenant),
            )

    # --- documents -----------------------------------------------------------------------
    def put_document(self, key: str, doc: Json) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO documents (key, data) VALUES (?, ?)",
                (records.check_key(key), _dumps(doc)),
            )

    def put_document_if_absent(self, key: str, doc: Json) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO documents (key, data) VALUES (?, ?)",
                (records.check_key(key), _dumps(doc)),
            )
            return cur.rowcount == 1

    def get_document(self, key: str) -> Json | None:
        row = self._read(
            lambda c: c.execute("SELECT data FROM documents WHERE key = ?", (key,)).fetchone()
        )
        return json.loads(row[0]) if row else None

    def delete_document(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM documents WHERE key = ?", (key,))

    def list_documents(self, prefix: str) -> dict[str, Json]:
        rows = self._read(
            lambda c: c.execute(
                "SELECT key, data FROM documents WHERE substr(key, 1, ?) = ? ORDER BY key",
                (len(prefix), prefix),
            ).fetchall()
        )
        return {r[0]: json.loads(r[1]) for r in rows}


def _prepare_file(path: Path) -> None:
    """Create the state directory 0700 and the database file 0600 before SQLite does,
    so the WAL and shared-memory files SQLite adds inherit the file's mode."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        parent.chmod(0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
