"""Counting the rows of a dump per table as it streams past (for manifests and imports).

Both dump shapes take the fast path (:mod:`wpfleet.content.fastpath`): a whole extended
INSERT on one line, and mariadb-dump 10.11's head line followed by one row per line.
Anything else goes through the reference path's :class:`~wpfleet.content.sqldump.Rows`.
"""

from __future__ import annotations

from wpfleet.content.fastpath import count_rows, skeleton
from wpfleet.content.rowlines import HEAD_ONLY, INSERT_WORDS
from wpfleet.content.sqldump import (
    INSERT_HEAD,
    Cell,
    DumpSchema,
    Rows,
    Splitter,
    _scan,
    table_name,
)


def _ignore(cell: Cell, value: bytes) -> None:
    return None


class RowCounter:
    """Feed every line of a dump; :meth:`finish` gives rows per table (every table
    created is there, so an empty one counts 0)."""

    def __init__(self, name: str = "the dump") -> None:
        self.rows: dict[str, int] = {}
        self.splitter = Splitter(name)
        self.schema = DumpSchema()
        self.table: str | None = None  # inside this table's row lines
        self.pending: list[bytes] = []
        self.quote: bytes | None = None

    def feed(self, line: bytes) -> None:
        if self.table is not None:
            self._row_line(line)
            return
        if self.splitter.idle and line[:6] in INSERT_WORDS:
            stmt = line.rstrip(b"\r\n")
            m = INSERT_HEAD.match(stmt)
            n = count_rows(stmt, m.end()) if m is not None else None
            if m is not None and n is not None:
                self._add(table_name(m.group(1)), n)
                return
            head = HEAD_ONLY.match(line)
            if head is not None:
                self.table = table_name(head.group(1))
                return
        for kind, data in self.splitter.feed(line):
            self._chunk(kind, data)

    def _add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n

    def _row_line(self, line: bytes) -> None:
        assert self.table is not None
        if not self.pending:
            walked = skeleton(line, 0, fragment=True)
            if walked is not None:
                self._add(self.table, walked.rows)
                self.table = None if walked.ends else self.table
                return
        self.quote, end = _scan(line, self.quote)
        self.pending.append(line if end is None else line[:end])
        if self.quote is not None:
            return
        rows = Rows(self.table, None, 1, _ignore)
        rows.rewrite(b"".join(self.pending), 0)
        self._add(self.table, rows.rows)
        self.pending = []
        if end is not None:
            self.table = None
            for kind, data in self.splitter.feed(line[end:]):
                self._chunk(kind, data)

    def _chunk(self, kind: str, data: bytes) -> None:
        if kind == "create":
            self.schema.create(data)
            for table in self.schema.columns:
                self.rows.setdefault(table, 0)
        elif kind == "insert":
            done = self.schema.insert(data, _ignore)
            if done is not None:
                self._add(done[0].table, done[0].rows)

    def finish(self) -> dict[str, int]:
        for kind, data in self.splitter.finish():
            self._chunk(kind, data)
        return self.rows
