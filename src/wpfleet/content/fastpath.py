"""The fast path of search-replace: most of a dump holds no OLD text, so skip it at the
speed of a byte search and touch only the string literals that contain one.

:func:`fast_insert` first cuts the statement with :mod:`wpfleet.content.fastscan`
(C-level calls only: rows from the skeleton, pairs replaced over the whole statement when
that is provably exact). What the scan cannot vouch for is walked literal by literal
with ``bytes.find`` (memchr speed); a literal is unescaped, replaced and re-escaped only
when its raw bytes contain the SQL-escaped form of a needle, and replaced in its escaped
bytes only when the statement's escapes are all mysqldump's. The bytes written are the
reference path's (:meth:`wpfleet.content.sqldump.DumpSchema.insert` with the same
:class:`~wpfleet.content.searchreplace.Replacer`), which the tests check on every dump.

:func:`fast_insert` returns None whenever the statement is not in the plain mysqldump
shape this relies on (double-quoted strings, ``''`` escapes next to a needle, hex
literals holding a needle, row counts it cannot be sure of), or a value needs reporting;
the caller then takes the reference path for that statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wpfleet.content.fastscan import Bulk, Needles, Scan, bulk_replace
from wpfleet.content.sqldump import close_quote, sql_escape, sql_unescape

_Q = ord("'")
# whole rows, one or more lines of them, the last maybe ending the statement
_ROWS = re.compile(rb"\s*\([^();]*\)(?:\s*,\s*\([^();]*\))*\s*[,;]?\s*")


@dataclass
class FastResult:
    stmt: bytes
    rows: int
    rows_changed: int
    values_changed: int
    counts: list[int]
    skeleton: bytes = b""  # the values with every literal as \x01 (for the dump checker)
    ends: bool = True  # the statement's ";" was in it


class FastPath:
    """Needles for one set of pairs: raw (SQL-escaped) and hex spellings."""

    def __init__(self, olds: list[bytes], news: list[bytes]) -> None:
        self.raw = sorted({sql_escape(o) for o in olds})
        self.pairs = [(sql_escape(o), sql_escape(n)) for o, n in zip(olds, news, strict=True)]
        self.hex = [o.hex().encode() for o in olds] + [o.hex().upper().encode() for o in olds]
        self.needles = Needles(self.pairs)

    def positions(self, stmt: bytes, start: int) -> list[int]:
        """Where a raw needle starts in ``stmt`` (sorted, from ``start``)."""
        found: list[int] = []
        for needle in self.raw:
            pos = stmt.find(needle, start)
            while pos >= 0:
                found.append(pos)
                pos = stmt.find(needle, pos + 1)
        if len(self.raw) > 1:
            found.sort()
        return found

    def hex_needle(self, stmt: bytes) -> bool:
        return b"0x" in stmt and any(h in stmt for h in self.hex)


# a raw body starting with one of these may be (or, after its escapes, look) serialized
_MAYBE_SERIALIZED = frozenset(b"aOCsEibdRrN\\")


def raw_replace(fast: FastPath, body: bytes, counts: list[int]) -> bytes | None:
    """The pairs replaced in a literal's raw (still escaped) body, or None: unescape first.

    For a value that cannot look serialized, replacing the escaped OLD by the escaped NEW
    in the raw body gives exactly ``sql_escape(sql_unescape(body).replace(OLD, NEW))``
    (escaping maps byte by byte) as long as no match starts just after a backslash, where
    it could be misaligned with an escape sequence; then None.
    """
    first = body.lstrip(b" \t")[:1]
    if not first or first[0] in _MAYBE_SERIALIZED:
        return None
    local = [0] * len(counts)
    for i, (old, new) in enumerate(fast.pairs):
        pos = body.find(old)
        if pos < 0:
            continue
        n = 0
        while pos >= 0:
            if pos and body[pos - 1] == 92:
                return None
            n += 1
            pos = body.find(old, pos + len(old))
        local[i] = n
        body = body.replace(old, new)
    for i, n in enumerate(local):
        counts[i] += n
    return body


def fast_insert(
    fast: FastPath,
    replacer: object,
    stmt: bytes,
    values_at: int,
    zero: list[int],
    fragment: bool = False,
) -> FastResult | None:
    """Rewrite one INSERT's values (starting at ``values_at``), or None: use the reference.

    ``stmt`` must be exactly one statement ending with its ``;``: that is checked here
    (one ``;`` outside literals, at the end), so a caller may hand over a whole dump line
    without splitting it first. ``replacer`` is a
    :class:`~wpfleet.content.searchreplace.Replacer`; ``zero`` a fresh counts list for it.

    ``fragment``: ``stmt`` is instead whole rows of an INSERT whose head came before, as
    mariadb-dump writes them one per line (``(1,'a'),`` … ``(9,'z');``); ``ends`` in the
    result says whether the statement's ``;`` was in it.
    """
    if not (fragment or stmt.endswith(b";")):
        return None  # not one statement
    scan = Scan.of(stmt, values_at)
    if scan is None or b'"' in scan.skeleton or (fast.hex and b"0x" in scan.skeleton):
        raw_ok = scan is not None and scan.canonical
        return _walk(fast, replacer, stmt, values_at, zero, fragment, raw_ok)
    if not fast.needles.present(stmt):
        return _shape(scan.skeleton, stmt, 0, 0, zero, fragment)
    done = bulk_replace(fast.needles, replacer, scan, zero)
    if done is False:
        return None  # a value needs reporting: the reference path does it
    if isinstance(done, Bulk):
        return _shape(scan.skeleton, done.stmt, done.rows_changed, done.values_changed,
                      zero, fragment)  # fmt: skip
    return _walk(fast, replacer, stmt, values_at, zero, fragment, scan.canonical, True)


def _walk(
    fast: FastPath,
    replacer: object,
    stmt: bytes,
    values_at: int,
    zero: list[int],
    fragment: bool,
    raw_ok: bool = False,
    checked: bool = False,
) -> FastResult | None:
    """Literal by literal: the statements :mod:`wpfleet.content.fastscan` leaves.

    ``raw_ok``: every literal is escaped as sql_escape() would (a value that cannot be
    serialized may be replaced in its escaped bytes); ``checked``: the statement has no
    double-quoted and no hex literal holding a needle.
    """
    if not checked and b'"' in stmt and stmt.count(b'"') != stmt.count(b'\\"'):
        return None  # a double-quoted literal (not mysqldump's style)
    if not checked and fast.hex and fast.hex_needle(stmt):
        return None
    hits = fast.positions(stmt, values_at)
    if not hits:  # nothing to replace: only the shape and the rows are needed
        return _untouched(stmt, values_at, zero, fragment)
    hits.append(len(stmt))  # a sentinel: no more needles
    walk = _Walk(stmt, values_at)
    counts, h, nexthit = zero, 0, hits[0]
    find, gaps, pos = stmt.find, walk.gaps, values_at
    append = gaps.append
    while True:  # the hot loop: locals only
        q = find(b"'", pos)
        if q < 0:
            break
        append(stmt[pos:q])
        e = find(b"'", q + 1)
        if stmt[e - 1] == 92:  # an escaped quote (or an escaped backslash)
            e = close_quote(stmt, b"'", q + 1)
        if e < 0:
            return None  # unterminated: the reference path knows what to do
        if nexthit < e:
            if not walk.literal(fast, replacer, q, e, counts, raw_ok):
                return None
            while hits[h] < e:
                h += 1
            nexthit = hits[h]
        pos = e + 1
    walk.pos = pos
    return walk.finish(counts, fragment)


def split_literals(data: bytes, start: int = 0) -> list[bytes] | None:
    """The text between single-quoted literals from ``start`` (None: one is unclosed).

    The lean loop for values that need no replacing: a ``find`` per quote, nothing else.
    """
    gaps: list[bytes] = []
    append, find, pos = gaps.append, data.find, start
    while True:
        q = find(b"'", pos)
        if q < 0:
            break
        append(data[pos:q])
        e = find(b"'", q + 1)
        if data[e - 1] == 92:  # an escaped quote (or an escaped backslash)
            e = close_quote(data, b"'", q + 1)
        if e < 0:
            return None
        pos = e + 1
    append(data[pos:])
    return gaps


def _untouched(stmt: bytes, values_at: int, zero: list[int], fragment: bool) -> FastResult | None:
    gaps = split_literals(stmt, values_at)
    if gaps is None:
        return None
    return _shape(b"\x01".join(gaps), stmt, 0, 0, zero, fragment)


def _shape(
    gaps: bytes, stmt: bytes, rows_changed: int, changed: int, counts: list[int], fragment: bool
) -> FastResult | None:
    """The result if the values' skeleton ``gaps`` has a shape the fast path vouches for:
    one ``(`` per row outside literals, and the ``;`` only at the end (None: it has not)."""
    opens, semis = gaps.count(b"("), gaps.count(b";")
    rows = gaps.count(b"),(") + 1
    ends = True
    if fragment:
        if _ROWS.fullmatch(gaps) is None:
            return None  # not whole rows with one level of "(…)" each
        rows, ends = opens, semis == 1
    elif opens != rows or semis != 1:
        return None
    return FastResult(stmt, rows, rows_changed, changed, counts, gaps, ends)


class _Walk:
    """The state of one statement's walk: gaps between literals, and the new pieces."""

    def __init__(self, stmt: bytes, values_at: int) -> None:
        self.stmt, self.pos, self.last = stmt, values_at, 0
        self.gaps: list[bytes] = []
        self.out: list[bytes] = []
        self.counted = self.seps = self.changed = 0
        self.changed_rows: set[int] = set()

    def literal(
        self, fast: FastPath, replacer: object, q: int, e: int, counts: list[int], raw_ok: bool
    ) -> bool:
        """Replace in the literal ``stmt[q:e+1]``; False: leave the statement to the reference."""
        stmt = self.stmt
        if stmt[q - 1] == _Q or stmt[e + 1 : e + 2] == b"'":
            return False  # '' escapes around a needle: let the reference path read it
        body = stmt[q + 1 : e]
        new = raw_replace(fast, body, counts) if raw_ok else None
        if new is None:
            value = sql_unescape(body)
            problems: list[str] = []
            replaced = replacer.value(value, counts, problems)  # type: ignore[attr-defined]
            if problems:
                return False  # the reference path reports them with their row and column
            new = body if replaced == value else sql_escape(replaced)
        if new != body:
            self.out += [stmt[self.last : q + 1], new]
            self.last = e
            self.changed += 1
            self.seps += b"".join(self.gaps[self.counted :]).count(b"(")
            self.counted = len(self.gaps)
            self.changed_rows.add(self.seps)
        return True

    def finish(self, counts: list[int], fragment: bool) -> FastResult | None:
        stmt = self.stmt
        self.gaps.append(stmt[self.pos :])
        self.out.append(stmt[self.last :])
        new = b"".join(self.out) if self.changed else stmt
        gaps = b"\x01".join(self.gaps)
        return _shape(gaps, new, len(self.changed_rows), self.changed, counts, fragment)


_COUNTER = FastPath([], [])


def count_rows(stmt: bytes, values_at: int) -> int | None:
    """Rows of one INSERT statement (ending with its ``;``), or None when unsure."""
    result = fast_insert(_COUNTER, None, stmt, values_at, [])
    return None if result is None else result.rows


def skeleton(stmt: bytes, values_at: int, fragment: bool = False) -> FastResult | None:
    """One INSERT's rows and its values' skeleton (literals as ``\x01``), or None."""
    if b'"' in stmt and stmt.count(b'"') != stmt.count(b'\\"'):
        return None
    scan = Scan.of(stmt, values_at)
    if scan is not None:
        return _shape(scan.skeleton, stmt, 0, 0, [], fragment)
    return _untouched(stmt, values_at, [], fragment)
