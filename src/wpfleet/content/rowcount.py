"""Counting the rows of a dump per table as it streams past (for manifests and imports)."""

from __future__ import annotations

from wpfleet.content.fastpath import count_rows
from wpfleet.content.sqldump import INSERT_HEAD, Cell, DumpSchema, Splitter, table_name

_INSERT_WORDS = (b"INSERT", b"insert", b"REPLAC", b"replac")


def _ignore(cell: Cell, value: bytes) -> None:
    return None


class RowCounter:
    """Feed every line of a dump; ``rows`` holds rows per table, ``tables`` every table
    created (so an empty table counts 0). Whole-line INSERTs take the fast path."""

    def __init__(self, name: str = "the dump") -> None:
        self.rows: dict[str, int] = {}
        self.splitter = Splitter(name)
        self.schema = DumpSchema()

    def feed(self, line: bytes) -> None:
        if self.splitter.idle and line[:6] in _INSERT_WORDS:
            stmt = line.rstrip(b"\r\n")
            m = INSERT_HEAD.match(stmt)
            n = count_rows(stmt, m.end()) if m is not None else None
            if m is not None and n is not None:
                table = table_name(m.group(1))
                self.rows[table] = self.rows.get(table, 0) + n
                return
        for kind, data in self.splitter.feed(line):
            self._chunk(kind, data)

    def _chunk(self, kind: str, data: bytes) -> None:
        if kind == "create":
            self.schema.create(data)
            found = list(self.schema.columns)
            for table in found:
                self.rows.setdefault(table, 0)
        elif kind == "insert":
            done = self.schema.insert(data, _ignore)
            if done is not None:
                table = done[0].table
                self.rows[table] = self.rows.get(table, 0) + done[0].rows

    def finish(self) -> dict[str, int]:
        for kind, data in self.splitter.finish():
            self._chunk(kind, data)
        return self.rows
