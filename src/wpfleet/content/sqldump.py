"""Reading a MySQL/MariaDB dump: statement by statement (an extended INSERT is one
statement; the whole dump is never in memory), SQL string and hex literals, and the column
names of CREATE TABLE and INSERT statements. Used by search-replace and its proof."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from wpfleet.content import gz
from wpfleet.errors import UsageError

# --- SQL literals -------------------------------------------------------------------------

_UNESCAPE = {b"0": b"\0", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"Z": b"\x1a"}
_UNESCAPE.update({b"%": b"\\%", b"_": b"\\_"})  # MySQL keeps the backslash of these two
_ESCAPE = {b"\0": b"\\0", b"\n": b"\\n", b"\r": b"\\r", b"\x1a": b"\\Z"}
_ESCAPE.update({b"\\": b"\\\\", b"'": b"\\'", b'"': b'\\"'})
_SPLIT_ESCAPE = re.compile(rb"([\0\n\r\x1a\\'\"])")
_SPLIT_UNESCAPE = {q: re.compile(rb"\\(.)|(?:" + q + q + rb")", re.S) for q in (b"'", b'"')}


class _Unescaped(dict[bytes | None, bytes]):
    """Escaped character → value; a doubled quote (None) → the quote; others → as is."""

    def __init__(self, quote_char: bytes) -> None:
        super().__init__()
        for key, value in _UNESCAPE.items():
            self[key] = value
        self[None] = quote_char

    def __missing__(self, key: bytes | None) -> bytes:
        return key or b""


_UNESCAPE_FULL = {q: _Unescaped(q) for q in (b"'", b'"')}


def sql_unescape(body: bytes, quote_char: bytes = b"'") -> bytes:
    """The value of a quoted literal's body (MySQL rules: ``\\'``, ``''``, ``\\n``, …).

    ``split`` with a capturing group, then a C-level ``map`` over the escaped characters:
    no Python call per escape (this runs on every value that holds an OLD text).
    """
    if b"\\" not in body and quote_char * 2 not in body:
        return body
    parts = _SPLIT_UNESCAPE[quote_char].split(body)
    # parts: text, escaped char (or None for a doubled quote), text, ...
    parts[1::2] = map(_UNESCAPE_FULL[quote_char].__getitem__, parts[1::2])
    return b"".join(parts)


def sql_escape(value: bytes) -> bytes:
    """The body of a single-quoted literal for ``value``, escaped as mysqldump does."""
    parts = _SPLIT_ESCAPE.split(value)
    if len(parts) == 1:
        return value
    parts[1::2] = map(_ESCAPE.__getitem__, parts[1::2])
    return b"".join(parts)


# --- reading a dump statement by statement ------------------------------------------------

_INSERT_START = re.compile(rb"\s*(?:INSERT|REPLACE)\b", re.I)
_CREATE_START = re.compile(rb"\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\b", re.I)
_DELIMITER = re.compile(rb"\s*DELIMITER\s+(\S+)", re.I)
SANDBOX_RE = re.compile(rb"/\*M!999999\\- enable the sandbox mode \*/\s*$")
_SQL_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:--|/\*|\#|(?:SET|CREATE|INSERT|REPLACE|DROP|LOCK|UNLOCK|USE|START|BEGIN"
    rb"|COMMIT|ALTER|DELIMITER)\b)",
    re.I,
)
_OUTSIDE = re.compile(rb"['\"`;]")


def close_quote(data: bytes, quote_char: bytes, pos: int) -> int:
    """Offset of the quote that closes a literal whose body starts at ``pos`` (-1: none).

    ``bytes.find`` (memchr speed) from quote to quote; a quote after an odd run of
    backslashes is escaped. Same answer as the regex it replaced, many times faster on
    long values.
    """
    start = e = pos
    while True:
        e = data.find(quote_char, e)
        if e <= start or data[e - 1] != 92:  # 92: a backslash
            return e
        k = e - 1
        while k >= start and data[k] == 92:
            k -= 1
        if (e - 1 - k) % 2 == 0:
            return e
        e += 1


def _scan(line: bytes, quote_char: bytes | None) -> tuple[bytes | None, int | None]:
    """Follow quotes through ``line``: (quote still open, offset just after the ``;``)."""
    pos = 0
    while True:
        if quote_char is not None:
            end = line.find(b"`", pos) if quote_char == b"`" else close_quote(line, quote_char, pos)
            if end < 0:
                return quote_char, None
            pos, quote_char = end + 1, None
            continue
        found = _OUTSIDE.search(line, pos)
        if found is None:
            return None, None
        if found.group() == b";":
            return None, found.end()
        quote_char, pos = found.group(), found.end()


class Splitter:
    """Turns dump lines into ``(kind, bytes)``: "insert", "create", "sandbox" or "line".

    Only ``INSERT``/``REPLACE`` and ``CREATE TABLE`` statements are gathered whole (their
    end is the first ``;`` outside quotes); other lines pass one by one. Joining every
    yielded chunk gives back the input exactly.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.delimiter = b";"
        self.buf: list[bytes] | None = None
        self.kind = ""
        self.quote: bytes | None = None
        self.checked = False
        self.blank: list[bytes] = []
        self.unterminated = False

    @property
    def idle(self) -> bool:
        """Between statements, past the first line, with the ``;`` delimiter: a caller may
        take a whole line that is one statement without feeding it (the fast path)."""
        return self.checked and self.buf is None and self.delimiter == b";"

    def feed(self, line: bytes) -> Iterator[tuple[str, bytes]]:
        if not self.checked:  # nothing goes out before the input is known to be a dump
            if not line.strip():
                self.blank.append(line)
                return
            self._check_first(line)
            yield from (("line", b) for b in self.blank)
        while line:
            if self.buf is None:
                kind = self._classify(line)
                if kind not in ("insert", "create"):
                    yield kind, line
                    return
                self.buf, self.kind, self.quote = [], kind, None
            self.quote, end = _scan(line, self.quote)
            if end is None:
                self.buf.append(line)
                return
            self.buf.append(line[:end])
            yield self.kind, b"".join(self.buf)
            self.buf, line = None, line[end:]
            if not line.strip():
                if line:
                    yield "line", line
                return

    def finish(self) -> Iterator[tuple[str, bytes]]:
        if not self.checked:
            hint = "pass a mysqldump / mariadb-dump file"
            raise NotADumpError(f"{self.name} is empty", hint=hint)
        if self.buf is not None:  # an unterminated statement: pass it through untouched
            self.unterminated = True
            yield "line", b"".join(self.buf)
            self.buf = None

    def _classify(self, line: bytes) -> str:
        if self.delimiter != b";":
            m = _DELIMITER.match(line)
            if m:
                self.delimiter = m.group(1)
            return "line"
        if _INSERT_START.match(line):
            return "insert"
        if _CREATE_START.match(line):
            return "create"
        m = _DELIMITER.match(line)
        if m:
            self.delimiter = m.group(1)
        return "sandbox" if SANDBOX_RE.match(line) else "line"

    def _check_first(self, line: bytes) -> None:
        self.checked = True
        if line.startswith(b"\x1f\x8b"):
            raise NotADumpError(
                f"{self.name} is gzip-compressed", hint="name it *.gz or decompress it first"
            )
        if b"\0" in line or not _SQL_START.match(line):
            raise NotADumpError(
                f"{self.name} does not look like an SQL dump (first line: {line[:60]!r})",
                hint="pass the output of mysqldump or mariadb-dump",
            )


class NotADumpError(UsageError):
    """The input is not a text SQL dump (empty, compressed, binary or something else)."""


# --- the parts of CREATE TABLE and INSERT statements --------------------------------------

_IDENT = rb"(?:`(?:[^`]|``)+`|[\w$]+)"
_TABLE = rb"(" + _IDENT + rb"(?:\s*\.\s*" + _IDENT + rb")?)"
_CREATE_HEAD = re.compile(
    rb"\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _TABLE + rb"\s*\(",
    re.I,
)
INSERT_HEAD = re.compile(
    rb"\s*(?:INSERT|REPLACE)(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\s+INTO\s+"
    + _TABLE
    + rb"\s*(?:\(([^)]*)\))?\s*VALUES?\s*(?=\()",
    re.I,
)
_IDENT_RE = re.compile(rb"`((?:[^`]|``)+)`|([\w$]+)")
_TOKEN = re.compile(
    rb"'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
    rb'|"[^"\\]*(?:(?:\\.|"")[^"\\]*)*"'
    rb"|`[^`]*(?:``[^`]*)*`"
    rb"|[(),;]"
    rb"|[^'\"`(),;]+",
    re.S,
)
_HEX = re.compile(rb"(\s*)0x([0-9A-Fa-f]+)(\s*)")
_NOT_COLUMNS = {
    b"PRIMARY",
    b"KEY",
    b"INDEX",
    b"UNIQUE",
    b"CONSTRAINT",
    b"FOREIGN",
    b"FULLTEXT",
    b"SPATIAL",
    b"CHECK",
    b"PERIOD",
}


def _idents(text: bytes) -> list[str]:
    return [
        (q.replace(b"``", b"`") if q else bare).decode("utf-8", "replace")
        for q, bare in _IDENT_RE.findall(text)
    ]


def table_name(text: bytes) -> str:
    """The table part of ``db.table`` / ```db`.`table```, unquoted."""
    return _idents(text)[-1]


def create_table_columns(stmt: bytes) -> tuple[str, list[str]] | None:
    """(table, column names in order) of a ``CREATE TABLE`` statement, or None."""
    m = _CREATE_HEAD.match(stmt)
    if m is None:
        return None
    columns: list[str] = []
    depth, first = 1, True
    for tok in _TOKEN.finditer(stmt, m.end()):
        t = tok.group()
        if t == b"(":
            depth += 1
        elif t == b")":
            depth -= 1
            if depth == 0:
                break
        elif t == b"," and depth == 1:
            first = True
        elif first and t.strip():
            first = False
            word = t.split()[0]
            if t[:1] == b"`":
                columns.append(_idents(t)[0])
            elif word.upper() not in _NOT_COLUMNS and t[:1] not in b"'\"":
                columns.append(word.decode("utf-8", "replace"))
    return table_name(m.group(1)), columns


@dataclass
class Cell:
    """Where a value sits: for reports and for ``skip_columns``."""

    table: str
    column: str
    row: int


OnValue = Callable[[Cell, bytes], "bytes | None"]


class Rows:
    """Walks the rows of one INSERT statement; ``on_value`` may return a new value."""

    def __init__(
        self, table: str, columns: list[str] | None, first_row: int, on_value: OnValue
    ) -> None:
        self.table, self.columns, self.on_value = table, columns, on_value
        self.row = first_row - 1
        self.rows = 0
        self.changed_rows = 0
        self.changed_values = 0

    def column(self, index: int) -> str:
        if self.columns is not None and index < len(self.columns):
            return self.columns[index]
        return f"#{index + 1}"

    def rewrite(self, stmt: bytes, start: int) -> bytes:
        out = [stmt[:start]]
        depth = col = 0
        row_changed = False
        for tok in _TOKEN.finditer(stmt, start):
            t = tok.group()
            new: bytes | None = None
            if t == b"(":
                depth += 1
                if depth == 1:
                    self.row, col, row_changed = self.row + 1, 0, False
            elif t == b")":
                depth -= 1
                if depth == 0:
                    self.rows += 1
                    self.changed_rows += row_changed
            elif t == b"," and depth == 1:
                col += 1
            elif depth >= 1:
                new = self._literal(t, col)
            if new is not None and new != t:
                self.changed_values += 1
                row_changed = True
                t = new
            out.append(t)
        return b"".join(out)

    def _literal(self, token: bytes, col: int) -> bytes | None:
        q = token[:1]
        if q in (b"'", b'"'):
            cell = Cell(self.table, self.column(col), self.row)
            value = self.on_value(cell, sql_unescape(token[1:-1], q))
            return None if value is None else b"'" + sql_escape(value) + b"'"
        m = _HEX.fullmatch(token) if b"0x" in token else None
        if m is None:
            return None
        cell = Cell(self.table, self.column(col), self.row)
        value = self.on_value(cell, bytes.fromhex(m.group(2).decode()))
        if value is None:
            return None
        return m.group(1) + b"0x" + value.hex().upper().encode() + m.group(3)


class DumpSchema:
    """What is known while streaming: column names per table, rows seen per table."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str]] = {}
        self.next_row: dict[str, int] = {}

    def create(self, stmt: bytes) -> None:
        found = create_table_columns(stmt)
        if found is not None:
            self.columns[found[0]] = found[1]

    def insert(self, stmt: bytes, on_value: OnValue) -> tuple[Rows, bytes] | None:
        """Walk (and maybe rewrite) one INSERT; None if its form is not understood."""
        m = INSERT_HEAD.match(stmt)
        if m is None:
            return None
        table = table_name(m.group(1))
        columns = _idents(m.group(2)) if m.group(2) is not None else self.columns.get(table)
        rows = Rows(table, columns, self.next_row.get(table, 0) + 1, on_value)
        new = rows.rewrite(stmt, m.end())
        self.next_row[table] = rows.row
        return rows, new


def statements(src: IO[bytes], splitter: Splitter) -> Iterator[tuple[str, bytes]]:
    for line in src:
        yield from splitter.feed(line)
    yield from splitter.finish()


def open_dump(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a dump for reading, transparently gunzipping it when it is compressed."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gz.open_read(path)
    return open(path, "rb")
