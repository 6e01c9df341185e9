"""One INSERT's values read, counted and replaced with C-speed calls only.

Measured first (benchmarks/searchreplace.py, cProfile on the 100 MB generated dump): the
walk of :mod:`wpfleet.content.fastpath` spent most of its time in a Python loop that
visits every string literal of every statement (about a million ``bytes.find`` calls and
a Python call per changed literal).

Here no Python code runs per literal, except for the few literals that may be serialized
and hold a needle, and where a quote is escaped:

* :func:`cut` splits the statement at every ``'`` and glues back the pieces cut at an
  escaped quote (one after an odd run of backslashes). Even pieces are the text outside
  literals, odd ones the literal bodies (a ``''`` escape shows as two literals side by
  side, which the bulk replace refuses).
* Rows are the ``(`` in the outside text, counted on the joined skeleton.
* A statement with no needle is done there. One with needles gets ``bytes.replace`` of
  each SQL-escaped pair over the whole statement, when that is provably the reference
  path's answer: no needle outside literals, escapes exactly as mysqldump writes them
  (:attr:`Scan.canonical`), no match that could start inside an escape, no needle or
  replacement holding a quote. Literals that may be serialized and hold a needle are cut
  out and replaced value by value through the
  :class:`~wpfleet.content.searchreplace.Replacer`, as the reference does.
* Which literals changed (the report's ``values_changed``; rows from the skeleton) is
  known from the literals that held a needle when none is left; otherwise a ``map``
  compares the literals before and after.

Anything else returns None and the caller takes the walk (or the reference path).
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, compress, count, repeat

from wpfleet.content.sqldump import sql_escape, sql_unescape

# a literal body that may unescape to something looks_serialized() accepts (a superset)
_CAREFUL = re.compile(rb"(?:[ \t\r\n]|\\[nr])*(?:[aOCsEibdRr]:|N;)")
_CAREFUL_START = (
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\\n",
    b"\\r",
    b"N;",
    *(b"%c:" % c for c in b"aOCsEibdRr"),
)
_FIRST = operator.itemgetter(slice(0, 1))
_CANONICAL = (b"\\n", b"\\r", b"\\'", b"\\0", b"\\Z")  # with \" the escapes mysqldump writes
# bytes that may follow a backslash inside an escape: a match starting with one of them
# right after a backslash could be misaligned with an escape
_ESCAPED = frozenset(b"0nrZ\\'\"")


def cut(stmt: bytes) -> list[bytes]:
    """``stmt`` cut at its literals' quotes: outside, literal body, outside, …, outside.

    One ``split`` at every quote, then the pieces cut at an escaped quote (one after an
    odd run of backslashes, as MySQL reads escapes) are glued back: a memchr-speed
    ``endswith`` per piece, and Python work only where a piece ends with a backslash.
    A ``''`` escape shows as two literals side by side (an empty outside piece).
    """
    pieces = stmt.split(b"'")
    return _glue(pieces) if b"\\'" in stmt else pieces


def _glue(pieces: list[bytes]) -> list[bytes]:
    marks = list(compress(range(len(pieces) - 1), map(bytes.endswith, pieces, repeat(b"\\"))))
    for m in reversed(marks):
        piece = pieces[m]
        if (len(piece) - len(piece.rstrip(b"\\"))) % 2:
            pieces[m : m + 2] = [piece + b"'" + pieces[m + 1]]
    return pieces


@dataclass
class Scan:
    """A statement cut at its literals' quotes (see the module docstring)."""

    stmt: bytes
    pieces: list[bytes]  # outside, literal, outside, …, outside (the raw bytes)
    skeleton: bytes  # the outside pieces from the values on, joined with \x01
    outside: bytes  # all outside pieces, the statement's head too, joined with \x01
    escaped: bool  # a quote follows a backslash somewhere (maybe an escaped quote)

    @classmethod
    def of(cls, stmt: bytes, values_at: int) -> Scan | None:
        """None: a literal is not closed, a quote is in the statement's head, or a
        backslash is outside the literals."""
        escaped = b"\\'" in stmt
        pieces = _glue(stmt.split(b"'")) if escaped else stmt.split(b"'")
        if len(pieces) % 2 == 0 or len(pieces[0]) < values_at:
            return None
        outside = b"\x01".join(pieces[0::2])
        skel = outside[values_at:]
        if b"\\" in skel:
            return None
        return cls(stmt, pieces, skel, outside, escaped)

    @cached_property
    def quotes(self) -> list[int]:
        """Offset of the quote after each piece (piece k is ``quotes[k-1]+1 : quotes[k]``)."""
        return list(map(operator.add, accumulate(map(len, self.pieces)), count()))

    @property
    def plain(self) -> bool:
        """Every literal is one piece (no ``''`` escape), no double quote outside them,
        and every literal is escaped as sql_escape() would (:attr:`canonical`)."""
        skel = self.skeleton
        return b"\x01\x01" not in skel and b'"' not in skel and self.canonical

    @cached_property
    def canonical(self) -> bool:
        """The literals hold only mysqldump's escapes, and no byte it escapes is left bare:
        then ``sql_escape(sql_unescape(body)) == body`` for each of them. Single-byte
        checks are memchr calls; the two-byte counts stop once every backslash is
        accounted for."""
        stmt = self.stmt
        if b"\r" in stmt or b"\x1a" in stmt or b"\0" in stmt:
            return False
        if b"\n" in stmt and stmt.count(b"\n") != self.outside.count(b"\n"):
            return False  # a bare newline inside a literal
        if b"\\" not in stmt:
            return b'"' not in stmt
        if stmt.count(b"\\", 0, 1 << 16) * 50 < min(len(stmt), 1 << 16):
            escapes = _escapes(stmt)  # few backslashes (post content)
            quoted = escapes.count(b'\\"')
            left = escapes.count(b"\\") - quoted - sum(map(escapes.count, _CANONICAL))
        else:  # many (serialized values' \"): counting in the statement is cheaper
            s = stmt.replace(b"\\\\", b"\0\0")
            left, quoted = s.count(b"\\"), s.count(b'\\"')
            left -= quoted
            for esc in _CANONICAL:
                if left <= 0:
                    break
                left -= s.count(esc)
        return not left and (b'"' not in stmt or stmt.count(b'"') == quoted)


def _escapes(stmt: bytes) -> bytes:
    """Each backslash of ``stmt`` with only the byte after it, escaped backslashes
    dropped: what is left must be mysqldump's escapes. C-level (a split, then a map) and
    small, so the 2-byte counts on it cost nothing."""
    parts = stmt.split(b"\\")
    return (b"\\" + b"\\".join(map(_FIRST, parts[1:]))).replace(b"\\\\", b"")


class Needles:
    """The SQL-escaped pairs, and what makes the bulk replace valid for them."""

    def __init__(self, pairs: list[tuple[bytes, bytes]]) -> None:
        self.pairs = pairs
        olds = {o for o, _ in pairs}
        # every OLD contains one of these: a literal without them holds no OLD at all
        self.detect = sorted(o for o in olds if not any(p != o and p in o for p in olds))
        self.ok = bool(pairs) and not any(b"'" in o or b"'" in n for o, n in pairs)

    def present(self, data: bytes) -> bool:
        return any(d in data for d in self.detect)

    def literals(self, scan: Scan) -> list[int]:
        """The pieces (odd: literals) holding a needle, in order.

        Few long literals (post content): a ``in`` per literal. Many short ones (meta
        values): each needle's matches found by one ``split``, and the quotes before
        each counted between matches. Both are C-level maps; each is the cheaper one
        where it is used (measured on the benchmark dump).
        """
        if len(scan.pieces) * 150 < len(scan.stmt) or len(self.detect) > 1:
            bodies = scan.pieces[1::2]
            found = map(bytes.__contains__, bodies, repeat(self.detect[0]))
            for d in self.detect[1:]:
                found = map(operator.or_, found, map(bytes.__contains__, bodies, repeat(d)))
            return list(compress(range(1, len(scan.pieces), 2), found))
        at: list[int] = []
        for d in self.detect:  # one needle here
            parts = scan.stmt.split(d)
            at += map(operator.add, accumulate(map(len, parts[:-1])), count(0, len(d)))
        if scan.escaped:  # some quotes are escaped: place the matches among the cuts
            return sorted(set(map(bisect_right, repeat(scan.quotes), at)))
        quotes = map(scan.stmt.count, repeat(b"'"), [0, *at[:-1]], at)
        return sorted(set(accumulate(quotes)))

    def chain(self, data: bytes, counts: list[int]) -> bytes | None:
        """Each pair replaced in turn in raw (escaped) text; None: a match may be misaligned."""
        for i, (old, new) in enumerate(self.pairs):
            n = data.count(old)
            if not n:
                continue
            if old[0] in _ESCAPED and b"\\" + old in data:
                return None
            counts[i] += n
            data = data.replace(old, new)
        return data


@dataclass
class Bulk:
    """The outcome of :func:`bulk_replace`."""

    stmt: bytes
    rows_changed: int
    values_changed: int


def bulk_replace(
    needles: Needles, replacer: object, scan: Scan, counts: list[int]
) -> Bulk | bool | None:
    """The pairs replaced in a statement that holds a needle, as the reference would.

    None: not provably the same as the reference (take the walk). False: a value needs
    reporting (take the reference path). ``counts`` is only added to on success.
    """
    if not needles.ok or not scan.plain or needles.present(scan.outside):
        return None
    hits = needles.literals(scan)
    local = [0] * len(counts)
    careful = _careful(scan, hits)
    if careful:
        out = _splice(needles, replacer, scan, careful, local)
    else:
        out = needles.chain(scan.stmt, local)
    if not isinstance(out, bytes):
        return out
    # every literal hit held a needle: if none is left anywhere, each one changed
    changed = hits if not needles.present(out) else _changed(scan, out)
    if changed is None:
        return None
    rows = _rows(scan, changed)
    for i, n in enumerate(local):
        counts[i] += n
    return Bulk(out, rows, len(changed))


def _rows(scan: Scan, changed: list[int]) -> int:
    """How many rows the changed literals (piece indexes, in order) are in: a row starts
    at each ``(`` outside the literals (the statement's shape was checked), so two
    changed literals share a row when the outside text between them has none."""
    if not changed:
        return 0
    # where literal i's \x01 is in scan.outside: the outside pieces before it, and i
    at = list(map(operator.add, accumulate(map(len, scan.pieces[0::2])), count()))
    marks = list(map(at.__getitem__, map(operator.floordiv, changed, repeat(2))))
    return 1 + sum(map(bool, map(scan.outside.count, repeat(b"("), marks[:-1], marks[1:])))


def _careful(scan: Scan, hits: list[int]) -> list[int]:
    """The literals (piece indexes) that hold a needle and may be serialized."""
    bodies = list(map(scan.pieces.__getitem__, hits))
    if not any(map(bytes.startswith, bodies, repeat(_CAREFUL_START))):
        return []
    return [k for k, body in zip(hits, bodies, strict=True) if _CAREFUL.match(body)]


def _splice(
    needles: Needles, replacer: object, scan: Scan, careful: list[int], counts: list[int]
) -> bytes | bool | None:
    """Bulk replace between the careful literals; each of those value by value."""
    stmt, quotes, out, last = scan.stmt, scan.quotes, [], 0
    for k in careful:
        start, end = quotes[k - 1] + 1, quotes[k]  # the body, between its quotes
        part = needles.chain(stmt[last:start], counts)
        body = stmt[start:end]
        value = sql_unescape(body)
        problems: list[str] = []
        replaced = replacer.value(value, counts, problems)  # type: ignore[attr-defined]
        if problems:
            return False
        if part is None:
            return None
        out += [part, body if replaced == value else sql_escape(replaced)]
        last = end
    tail = needles.chain(stmt[last:], counts)
    return None if tail is None else b"".join(out) + tail


def _changed(scan: Scan, out: bytes) -> list[int] | None:
    """The literals (piece indexes) that changed. None: the output's do not line up."""
    after = cut(out)
    if len(after) != len(scan.pieces) or after[0::2] != scan.pieces[0::2]:
        return None
    return list(compress(range(1, len(after), 2), map(operator.ne, scan.pieces[1::2], after[1::2])))
