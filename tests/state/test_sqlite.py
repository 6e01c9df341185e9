"""SqliteStore beyond the shared contract: schema version, threads, fork."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from wpfleet.errors import UsageError
from wpfleet.state.base import JournalEntry
from wpfleet.state.sqlite import SCHEMA_VERSION, SqliteStore


def test_schema_version_is_recorded_and_a_newer_file_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    SqliteStore(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(UsageError, match="schema version"):
        SqliteStore(db)


def test_many_threads_share_one_store(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")

    def write(t: int) -> None:
        for seq in range(20):
            store.append_journal(JournalEntry("d1", t * 100 + seq, "s", "create", "done", 1.0))
            store.allocate("dev", "uid", f"tenant{t}-{seq}", range(1000), set())

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.journal("d1")) == 160
    values = store.allocations("dev", "uid").values()
    assert sorted(values) == list(range(160))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    store.put_document("k", {"v": 1})  # the parent's connection is open now
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's connection
        try:
            store.put_document("k", {"v": 2})
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get_document("k") == {"v": 2}
