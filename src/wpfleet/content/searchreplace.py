"""Search-replace over a MySQL/MariaDB dump, safe for WordPress's PHP-serialized data.

Moving a site between environments rewrites its domain in the database. A plain text
replace corrupts PHP-serialized values (``s:N:"…"`` counts bytes), so this module:

* streams the dump one statement at a time (an extended ``INSERT`` is one statement; the
  whole dump is never in memory) and passes everything but ``INSERT``/``REPLACE`` data
  through byte for byte;
* unescapes each SQL string literal (and ``0x…`` hex literal) of the rows, replaces in the
  value, and re-escapes it only if it changed (unchanged literals keep their bytes);
* parses serialized values, replaces in every string at any nesting (array keys, object
  properties, serialized strings inside serialized strings) and writes them back with
  correct byte lengths; a serialized-looking value that does not parse or round-trip gets
  a plain replace only if that cannot break its lengths, otherwise it is left as is and
  reported as skipped;
* replaces each pair in its plain, JSON-escaped (``https:\\/\\/``) and URL-encoded
  (``https%3A%2F%2F``) forms, pair after pair in the given order.

:func:`verify_dump` proves a result: row counts per table, every serialized value parses,
no old domain left in any of those forms.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast
from urllib.parse import quote

from wpfleet.content.phpserial import (
    Arr,
    Custom,
    Node,
    Obj,
    PHPSerialError,
    Str,
    looks_serialized,
    parse,
    serialize,
)
from wpfleet.errors import UsageError

FORMS = ("plain", "json", "urlencoded")
MAX_LISTED = 1000  # skipped values / proof problems kept in detail; the rest are counted

# --- replacing in one value ---------------------------------------------------------------


@dataclass(frozen=True)
class _Variant:
    pair: int
    form: str
    old: bytes
    new: bytes


def _variants(pairs: Sequence[tuple[str, str]]) -> list[_Variant]:
    """Each pair in its plain, JSON-escaped and URL-encoded forms (duplicates dropped)."""
    out: list[_Variant] = []
    for i, (old, new) in enumerate(pairs):
        if not old:
            raise UsageError("a replacement has an empty OLD", hint="use --replace OLD=NEW")
        seen: set[str] = set()
        forms = (
            (old, new),
            (old.replace("/", "\\/"), new.replace("/", "\\/")),
            (quote(old, safe=""), quote(new, safe="")),
        )
        for form, (o, n) in zip(FORMS, forms, strict=True):
            if o not in seen:
                seen.add(o)
                out.append(_Variant(i, form, o.encode("utf-8"), n.encode("utf-8")))
    return out


_WS = b" \t\r\n"


class Replacer:
    """Replaces the pairs in one value; counts go to the ``counts`` list given per call.

    ``counts[i]`` is the number of replacements made by variant ``i`` (see
    :attr:`variants`). Counts are added only for changes that are kept, so a value left
    unchanged (skipped) adds nothing: a dry run's counts equal a real run's changes.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.variants = _variants(pairs)
        self._needles = [v.old for v in self.variants]

    def zero(self) -> list[int]:
        return [0] * len(self.variants)

    def has_needle(self, data: bytes) -> bool:
        return any(n in data for n in self._needles)

    def text(self, data: bytes, counts: list[int]) -> bytes:
        """Plain replace, variant after variant (so pair order matters)."""
        for i, v in enumerate(self.variants):
            n = data.count(v.old)
            if n:
                counts[i] += n
                data = data.replace(v.old, v.new)
        return data

    def value(self, data: bytes, counts: list[int], problems: list[str]) -> bytes:
        """Replace in one value, serialized or not; ``problems`` gets why parts were left."""
        if not self.has_needle(data):
            return data
        core = data.strip(_WS)
        if not looks_serialized(core):
            return self.text(data, counts)
        lead = data[: len(data) - len(data.lstrip(_WS))]
        trail = data[len(lead) + len(core) :]
        try:
            node = parse(core)
        except PHPSerialError as exc:
            return self._fallback(data, counts, problems, f"serialized value does not parse: {exc}")
        if serialize(node) != core:
            return self._fallback(data, counts, problems, "serialized value does not round-trip")
        local = self.zero()
        new = serialize(self._node(node, local, problems))
        _merge(counts, local)
        return lead + new + trail

    def _fallback(self, data: bytes, counts: list[int], problems: list[str], why: str) -> bytes:
        """Plain replace, kept only if it cannot have broken the value's lengths."""
        local = self.zero()
        plain = self.text(data, local)
        neutral = all(
            len(v.old) == len(v.new) for v, n in zip(self.variants, local, strict=True) if n
        )
        if neutral or _parses(plain.strip(_WS)):
            _merge(counts, local)
            return plain
        problems.append(f"{why}; a plain replace would change its lengths: left unchanged")
        return data

    def _node(self, node: Node, counts: list[int], problems: list[str]) -> Node:
        """The node with the pairs replaced; the very same object when nothing changed."""
        if isinstance(node, Str):
            new = self.value(node.data, counts, problems)
            return node if new == node.data else Str(new)
        if isinstance(node, Arr | Obj):
            items = self._items(node.items, counts, problems)
            if all(a is b for a, b in zip(items, node.items, strict=True)):
                return node
            return Arr(items) if isinstance(node, Arr) else Obj(node.cls, items)
        if isinstance(node, Custom) and self.has_needle(node.payload):
            cls = node.cls.decode("utf-8", "replace")
            problems.append(f"custom-serialized object C:{cls} left unchanged (opaque payload)")
        return node

    def _items(
        self, items: list[tuple[Node, Node]], counts: list[int], problems: list[str]
    ) -> list[tuple[Node, Node]]:
        """Replace in keys and values; keys stay as they were if replacing makes two equal."""
        local = self.zero()
        keys = [self._node(k, local, problems) for k, _ in items]
        changed = any(new is not old for new, (old, _) in zip(keys, items, strict=True))
        if changed and len({serialize(k) for k in keys}) < len(keys):
            problems.append("replacing in array keys would make two keys equal: keys left")
            keys = [k for k, _ in items]
        else:
            _merge(counts, local)
        out = []
        for key, item in zip(keys, items, strict=True):
            val = self._node(item[1], counts, problems)
            out.append(item if key is item[0] and val is item[1] else (key, val))
        return out


def _in(cell: _Cell, columns: set[str]) -> str | None:
    """The entry of ``columns`` (lower-cased ``column`` or ``table.column``) the cell is in."""
    col = cell.column.lower()
    if col in columns:
        return col
    qualified = f"{cell.table.lower()}.{col}"
    return qualified if qualified in columns else None


def _merge(into: list[int], more: list[int]) -> None:
    for i, n in enumerate(more):
        into[i] += n


def _parses(data: bytes) -> bool:
    try:
        parse(data)
    except PHPSerialError:
        return False
    return True


# --- SQL literals -------------------------------------------------------------------------

_UNESCAPE = {b"0": b"\0", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"Z": b"\x1a"}
_UNESCAPE.update({b"%": b"\\%", b"_": b"\\_"})  # MySQL keeps the backslash of these two
_UNESCAPE_RE = {q: re.compile(rb"\\(.)|" + q + q, re.S) for q in (b"'", b'"')}
_ESCAPE = {b"\0": b"\\0", b"\n": b"\\n", b"\r": b"\\r", b"\x1a": b"\\Z"}
_ESCAPE.update({b"\\": b"\\\\", b"'": b"\\'", b'"': b'\\"'})
_ESCAPE_RE = re.compile(rb"[\0\n\r\x1a\\'\"]")


def sql_unescape(body: bytes, quote_char: bytes = b"'") -> bytes:
    """The value of a quoted literal's body (MySQL rules: ``\\'``, ``''``, ``\\n``, …)."""
    if b"\\" not in body and quote_char * 2 not in body:
        return body

    def one(m: re.Match[bytes]) -> bytes:
        c = m.group(1)
        return quote_char if c is None else _UNESCAPE.get(c, c)

    return _UNESCAPE_RE[quote_char].sub(one, body)


def sql_escape(value: bytes) -> bytes:
    """The body of a single-quoted literal for ``value``, escaped as mysqldump does."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPE[m.group()], value)


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
_CLOSE = {
    b"'": re.compile(rb"[^'\\]*(?:\\.[^'\\]*)*'", re.S),
    b'"': re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S),
    b"`": re.compile(rb"[^`]*`"),
}


def _scan(line: bytes, quote_char: bytes | None) -> tuple[bytes | None, int | None]:
    """Follow quotes through ``line``: (quote still open, offset just after the ``;``)."""
    pos = 0
    while True:
        if quote_char is not None:
            m = _CLOSE[quote_char].match(line, pos)
            if m is None:
                return quote_char, None
            pos, quote_char = m.end(), None
            continue
        found = _OUTSIDE.search(line, pos)
        if found is None:
            return None, None
        if found.group() == b";":
            return None, found.end()
        quote_char, pos = found.group(), found.end()


class _Splitter:
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
_INSERT_HEAD = re.compile(
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


def _table_name(text: bytes) -> str:
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
    return _table_name(m.group(1)), columns


@dataclass
class _Cell:
    """Where a value sits: for reports and for ``skip_columns``."""

    table: str
    column: str
    row: int


OnValue = Callable[[_Cell, bytes], "bytes | None"]


class _Rows:
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
            cell = _Cell(self.table, self.column(col), self.row)
            value = self.on_value(cell, sql_unescape(token[1:-1], q))
            return None if value is None else b"'" + sql_escape(value) + b"'"
        m = _HEX.fullmatch(token) if b"0x" in token else None
        if m is None:
            return None
        cell = _Cell(self.table, self.column(col), self.row)
        value = self.on_value(cell, bytes.fromhex(m.group(2).decode()))
        if value is None:
            return None
        return m.group(1) + b"0x" + value.hex().upper().encode() + m.group(3)


class _Dump:
    """What is known while streaming: column names per table, rows seen per table."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str]] = {}
        self.next_row: dict[str, int] = {}

    def create(self, stmt: bytes) -> None:
        found = create_table_columns(stmt)
        if found is not None:
            self.columns[found[0]] = found[1]

    def insert(self, stmt: bytes, on_value: OnValue) -> tuple[_Rows, bytes] | None:
        """Walk (and maybe rewrite) one INSERT; None if its form is not understood."""
        m = _INSERT_HEAD.match(stmt)
        if m is None:
            return None
        table = _table_name(m.group(1))
        columns = _idents(m.group(2)) if m.group(2) is not None else self.columns.get(table)
        rows = _Rows(table, columns, self.next_row.get(table, 0) + 1, on_value)
        new = rows.rewrite(stmt, m.end())
        self.next_row[table] = rows.row
        return rows, new


# --- search-replace -----------------------------------------------------------------------


@dataclass
class PairCount:
    old: str
    new: str
    plain: int = 0
    json: int = 0
    urlencoded: int = 0

    @property
    def total(self) -> int:
        return self.plain + self.json + self.urlencoded


@dataclass
class TableCount:
    rows: int = 0
    rows_changed: int = 0
    values_changed: int = 0


@dataclass(frozen=True)
class Skipped:
    """A value (or a part of one) left unchanged on purpose, and why."""

    table: str
    column: str
    row: int
    reason: str


@dataclass
class Report:
    """What a search-replace changed (or, in a dry run, would change).

    ``tables[t].rows`` counts the rows read, so it is also the input's row count.
    """

    pairs: list[PairCount]
    dry_run: bool = False
    tables: dict[str, TableCount] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_total: int = 0
    sandbox_line_stripped: bool = False
    statements_not_understood: int = 0
    unterminated_statement: bool = False
    skip_columns_unused: list[str] = field(default_factory=list)

    @property
    def replacements(self) -> int:
        return sum(p.total for p in self.pairs)

    @property
    def values_changed(self) -> int:
        return sum(t.values_changed for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "replacements": self.replacements,
            "values_changed": self.values_changed,
            "pairs": [{**vars(p), "total": p.total} for p in self.pairs],
            "tables": {name: vars(t) for name, t in self.tables.items()},
            "skipped_total": self.skipped_total,
            "skipped": [vars(s) for s in self.skipped],
            "sandbox_line_stripped": self.sandbox_line_stripped,
            "statements_not_understood": self.statements_not_understood,
            "unterminated_statement": self.unterminated_statement,
            "skip_columns_unused": self.skip_columns_unused,
        }


class _SearchReplace:
    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        skip_columns: Collection[str],
        report: Report,
    ) -> None:
        self.replacer = Replacer(pairs)
        self.counts = self.replacer.zero()
        self.skip = {c.lower() for c in skip_columns}
        self.skip_used: set[str] = set()
        self.report = report
        self.dump = _Dump()

    def on_value(self, cell: _Cell, value: bytes) -> bytes | None:
        skipped = _in(cell, self.skip) if self.skip else None
        if skipped is not None:
            self.skip_used.add(skipped)
            return None
        problems: list[str] = []
        new = self.replacer.value(value, self.counts, problems)
        for reason in problems:
            self._skipped(Skipped(cell.table, cell.column, cell.row, reason))
        return None if new == value else new

    def _skipped(self, item: Skipped) -> None:
        self.report.skipped_total += 1
        if len(self.report.skipped) < MAX_LISTED:
            self.report.skipped.append(item)

    def chunk(self, kind: str, data: bytes) -> bytes:
        if kind == "create":
            self.dump.create(data)
        elif kind == "insert":
            return self._insert(data)
        return data

    def _insert(self, stmt: bytes) -> bytes:
        if self.skip:
            self._check_columns_known(stmt)
        done = self.dump.insert(stmt, self.on_value)
        if done is None:
            self.report.statements_not_understood += 1
            self._skipped(Skipped("?", "?", 0, f"statement not understood: {stmt[:60]!r}"))
            return stmt
        rows, new = done
        count = self.report.tables.setdefault(rows.table, TableCount())
        count.rows += rows.rows
        count.rows_changed += rows.changed_rows
        count.values_changed += rows.changed_values
        return new

    def _check_columns_known(self, stmt: bytes) -> None:
        m = _INSERT_HEAD.match(stmt)
        if m is None or m.group(2) is not None:
            return
        table = _table_name(m.group(1))
        if table not in self.dump.columns:
            raise UsageError(
                f"cannot honour skip columns: the dump has no CREATE TABLE for {table!r} "
                "and its INSERTs name no columns",
                hint="dump with the schema, or with mysqldump --complete-insert",
            )

    def finish(self) -> None:
        self.report.skip_columns_unused = sorted(self.skip - self.skip_used)
        for v, n in zip(self.replacer.variants, self.counts, strict=True):
            pc = self.report.pairs[v.pair]
            setattr(pc, v.form, getattr(pc, v.form) + n)


def search_replace(
    src: IO[bytes],
    dst: IO[bytes] | None,
    pairs: Sequence[tuple[str, str]],
    *,
    dry_run: bool = False,
    skip_columns: Collection[str] = (),
    strip_sandbox_line: bool = False,
    name: str = "the input",
) -> Report:
    """Stream ``src`` to ``dst`` replacing each (old, new) pair in the rows' values.

    Guarantees: statements other than INSERT/REPLACE rows pass byte for byte; a value is
    rewritten only if it changed; serialized values keep correct byte lengths or are left
    unchanged and listed in ``Report.skipped``. ``dry_run`` writes nothing (``dst`` may be
    None) and returns exactly the counts a real run would. ``skip_columns`` holds
    ``column`` or ``table.column`` names (case-insensitive). ``strip_sandbox_line`` drops
    MariaDB's ``/*M!999999\\- enable the sandbox mode */`` line, which MySQL rejects.
    """
    if not pairs:
        raise UsageError("nothing to replace", hint="give at least one --replace OLD=NEW")
    if dst is None and not dry_run:
        raise ValueError("dst is required unless dry_run")
    report = Report([PairCount(o, n) for o, n in pairs], dry_run=dry_run)
    job = _SearchReplace(pairs, skip_columns, report)
    splitter = _Splitter(name)
    for kind, data in _split(src, splitter):
        if kind == "sandbox" and strip_sandbox_line:
            report.sandbox_line_stripped = True
            continue
        out = job.chunk(kind, data)
        if dst is not None and not dry_run:
            dst.write(out)
    report.unterminated_statement = splitter.unterminated
    job.finish()
    return report


def _split(src: IO[bytes], splitter: _Splitter) -> Iterator[tuple[str, bytes]]:
    for line in src:
        yield from splitter.feed(line)
    yield from splitter.finish()


# --- proof --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A value that fails the proof: a serialized value that does not parse, or an old domain."""

    table: str
    column: str
    row: int
    detail: str


@dataclass
class Proof:
    """The state of a dump: rows per table, and what is wrong in it (if anything)."""

    rows: dict[str, int] = field(default_factory=dict)
    serialized_values: int = 0
    bad_serialized: list[Problem] = field(default_factory=list)
    bad_serialized_total: int = 0
    leftovers: list[Problem] = field(default_factory=list)
    leftovers_total: int = 0
    outside_rows: int = 0  # chunks outside row data (triggers, routines, views) naming one

    @property
    def ok(self) -> bool:
        """Serialized values parse and no row holds an old domain.

        ``outside_rows`` does not count: search-replace leaves code (trigger and routine
        bodies, view definitions) alone on purpose, so it is reported, not judged.
        """
        return self.bad_serialized_total == 0 and self.leftovers_total == 0

    def rows_match(self, rows: dict[str, int]) -> bool:
        """True when every table has the same number of rows as in ``rows``."""
        return self.rows == rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "serialized_values": self.serialized_values,
            "bad_serialized_total": self.bad_serialized_total,
            "bad_serialized": [vars(p) for p in self.bad_serialized],
            "leftovers_total": self.leftovers_total,
            "leftovers": [vars(p) for p in self.leftovers],
            "outside_rows": self.outside_rows,
        }


def _forms(domain: str) -> list[tuple[str, bytes]]:
    """The forms of an old domain to look for, lower-cased (the search ignores case)."""
    out: list[tuple[str, bytes]] = []
    for v in _variants([(domain, domain)]):
        out.append((v.form, v.old.lower()))
    return out


class _Prover:
    def __init__(self, old_domains: Sequence[str], skip_columns: Collection[str]) -> None:
        self.forms = [(d, form, needle) for d in old_domains for form, needle in _forms(d)]
        self.skip = {c.lower() for c in skip_columns}
        self.proof = Proof()
        self.dump = _Dump()

    def on_value(self, cell: _Cell, value: bytes) -> None:
        lowered = b"" if self.skip and _in(cell, self.skip) else value.lower()
        for domain, form, needle in self.forms:
            if needle in lowered:
                self.proof.leftovers_total += 1
                if len(self.proof.leftovers) < MAX_LISTED:
                    detail = f"{domain} ({form})"
                    self.proof.leftovers.append(Problem(cell.table, cell.column, cell.row, detail))
        self._serialized(cell, value)

    def _serialized(self, cell: _Cell, value: bytes) -> None:
        core = value.strip(_WS)
        if not looks_serialized(core):
            return
        self.proof.serialized_values += 1
        try:
            node = parse(core)
        except PHPSerialError as exc:
            self.proof.bad_serialized_total += 1
            if len(self.proof.bad_serialized) < MAX_LISTED:
                problem = Problem(cell.table, cell.column, cell.row, str(exc))
                self.proof.bad_serialized.append(problem)
            return
        for inner in _strings(node):
            self._serialized(cell, inner)

    def chunk(self, kind: str, data: bytes) -> None:
        done = self.dump.insert(data, self.on_value) if kind == "insert" else None
        if done is not None:
            table = done[0].table
            self.proof.rows[table] = self.proof.rows.get(table, 0) + done[0].rows
            return
        if kind == "create":
            self.dump.create(data)
        lowered = data.lower()
        if any(needle in lowered for _, _, needle in self.forms):
            self.proof.outside_rows += 1


def _strings(node: Node) -> Iterable[bytes]:
    """Every string inside a serialized value (keys and values, any depth)."""
    if isinstance(node, Str):
        yield node.data
    elif isinstance(node, Arr | Obj):
        for key, val in node.items:
            yield from _strings(key)
            yield from _strings(val)


def verify_dump(
    path_or_stream: str | os.PathLike[str] | IO[bytes],
    old_domains: Sequence[str],
    *,
    skip_columns: Collection[str] = (),
) -> Proof:
    """Prove a dump: rows per table, serialized values parse (nested ones too), and none
    of ``old_domains`` is left in any value, plain, JSON-escaped or URL-encoded (any case).

    ``skip_columns`` (as for :func:`search_replace`) are not searched for old domains,
    since a replace left them alone on purpose; their serialized values are still checked.
    A path may be gzip-compressed.
    """
    prover = _Prover(old_domains, skip_columns)
    if isinstance(path_or_stream, str | os.PathLike):
        with open_dump(path_or_stream) as src:
            for kind, data in _split(src, _Splitter(os.fspath(path_or_stream))):
                prover.chunk(kind, data)
    else:
        for kind, data in _split(path_or_stream, _Splitter("the dump")):
            prover.chunk(kind, data)
    return prover.proof


def open_dump(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a dump for reading, transparently gunzipping it when it is compressed."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")
