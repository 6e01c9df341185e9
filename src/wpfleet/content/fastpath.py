"""The fast path of search-replace: most of a dump holds no OLD text, so skip it at the
speed of a byte search and touch only the string literals that contain one.

Measured first (benchmarks/searchreplace.py, pyinstrument): the reference path tokenizes
every statement with a regex and calls back per value, about 3 to 4 MB/s. Here a statement
is walked literal by literal with ``bytes.find`` (memchr speed), which is all that is
needed to count its rows; a literal is unescaped, replaced and re-escaped only when its
raw bytes contain the SQL-escaped form of a needle. The bytes written are the reference
path's (:meth:`wpfleet.content.sqldump.DumpSchema.insert` with the same
:class:`~wpfleet.content.searchreplace.Replacer`), which the tests check on every dump.

:func:`fast_insert` returns None whenever the statement is not in the plain mysqldump
shape this relies on (double-quoted strings, ``''`` escapes next to a needle, hex
literals holding a needle, row counts it cannot be sure of), or a value needs reporting;
the caller then takes the reference path for that statement.

Assumption, stated: escapes are mysqldump's (``\\0 \\n \\r \\Z \\\\ \\' \\"``). A needle
spelled with other escapes (``\\/``) is not seen here; the proof that follows finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wpfleet.content.sqldump import sql_escape, sql_unescape

_Q = ord("'")
_BS = ord("\\")


@dataclass
class FastResult:
    stmt: bytes
    rows: int
    rows_changed: int
    values_changed: int
    counts: list[int]


class FastPath:
    """Needles for one set of pairs: raw (SQL-escaped) and hex spellings."""

    def __init__(self, olds: list[bytes]) -> None:
        self.raw = sorted({sql_escape(o) for o in olds})
        self.hex = [o.hex().encode() for o in olds] + [o.hex().upper().encode() for o in olds]

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


def _close(stmt: bytes, q: int) -> int:
    """The offset of the quote that closes the literal opened at ``q`` (-1: none)."""
    e = q + 1
    while True:
        e = stmt.find(b"'", e)
        if e < 0 or stmt[e - 1] != _BS:
            return e
        k = e - 1
        while stmt[k] == _BS:
            k -= 1
        if (e - 1 - k) % 2 == 0:  # an even run of backslashes escapes only itself
            return e
        e += 1


def fast_insert(
    fast: FastPath, replacer: object, stmt: bytes, values_at: int, zero: list[int]
) -> FastResult | None:
    """Rewrite one INSERT's values (starting at ``values_at``), or None: use the reference.

    ``replacer`` is a :class:`~wpfleet.content.searchreplace.Replacer`; ``zero`` a fresh
    counts list for it.
    """
    if stmt.count(b'"') != stmt.count(b'\\"'):
        return None  # a double-quoted literal (not mysqldump's style)
    hits = fast.positions(stmt, values_at)
    if hits and fast.hex_needle(stmt):
        return None
    out: list[bytes] = []
    counts = zero
    seps = opens = changed = 0
    changed_rows: set[int] = set()
    pos, last = values_at, 0
    h = 0
    while True:
        q = stmt.find(b"'", pos)
        if q < 0:
            seps += stmt.count(b"),(", pos)
            opens += stmt.count(b"(", pos)
            break
        seps += stmt.count(b"),(", pos, q)
        opens += stmt.count(b"(", pos, q)
        e = _close(stmt, q)
        if e < 0:
            return None  # unterminated: the reference path knows what to do
        while h < len(hits) and hits[h] < q:
            h += 1
        if h < len(hits) and hits[h] < e:
            if stmt[q - 1] == _Q or stmt[e + 1 : e + 2] == b"'":
                return None  # '' escapes around a needle: let the reference path read it
            value = sql_unescape(stmt[q + 1 : e])
            problems: list[str] = []
            new = replacer.value(value, counts, problems)  # type: ignore[attr-defined]
            if problems:
                return None  # the reference path reports them with their row and column
            if new != value:
                out += [stmt[last : q + 1], sql_escape(new)]
                last = e
                changed += 1
                changed_rows.add(seps)
            while h < len(hits) and hits[h] < e:
                h += 1
        pos = e + 1
    if opens != seps + 1:
        return None  # not one "(" per row outside literals: a shape to leave to the reference
    out.append(stmt[last:])
    new_stmt = b"".join(out) if changed else stmt
    return FastResult(new_stmt, seps + 1, len(changed_rows), changed, counts)
