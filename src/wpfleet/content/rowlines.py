"""Driving search-replace line by line, the shapes dumps really have.

MariaDB 10.11's mariadb-dump writes ``INSERT INTO `t` VALUES`` on a line of its own and
then ONE ROW PER LINE (``(1,'a'),`` … ``(9,'z');``); older mysqldump writes a whole
extended INSERT on one line. Both shapes go through the fast path
(:mod:`wpfleet.content.fastpath`) a line at a time, so a statement is never held whole.
A line the fast path cannot vouch for (a literal running over several lines, an odd
shape) is gathered until its quotes close and rewritten by the reference path's
:class:`~wpfleet.content.sqldump.Rows`, so the bytes out are the same either way.
Everything else goes through the :class:`~wpfleet.content.sqldump.Splitter`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wpfleet.content.sqldump import _TABLE, Splitter, _idents, _scan, table_name

if TYPE_CHECKING:
    from wpfleet.content.searchreplace import _SearchReplace

INSERT_WORDS = (b"INSERT", b"insert", b"REPLAC", b"replac")
HEAD_ONLY = re.compile(
    rb"\s*(?:INSERT|REPLACE)(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\s+INTO\s+"
    + _TABLE
    + rb"\s*(?:\(([^)]*)\))?\s*VALUES?\s*$",
    re.I,
)
Write = Callable[[bytes], object] | None


@dataclass
class RowsMode:
    """Inside an INSERT whose rows follow on their own lines."""

    table: str
    columns: list[str] | None
    pending: list[bytes] = field(default_factory=list)  # lines of a row not yet closed
    quote: bytes | None = None


def coalesce(src: Iterable[bytes], limit: int = 1 << 20) -> Iterator[bytes]:
    """Lines, with runs of row lines (``(…),`` lines, as mariadb-dump writes one row per
    line) joined into blocks of up to about ``limit`` bytes: per-row Python work becomes
    per-block work. Joining keeps every byte; a block never starts a statement: every
    line of it starts with ``(`` and all but its last end with ``),``.

    A file (anything with ``read``) is read in blocks of several MB and cut with C-level
    searches; other iterables of lines go line by line.
    """
    read = getattr(src, "read", None)
    if read is None:
        yield from _coalesce_lines(src, limit)
        return
    pending: list[bytes] = []  # a line longer than what was read so far
    while chunk := read(4 * limit):
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            pending.append(chunk)
            continue
        data = b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
        pending = [chunk[cut:]] if cut < len(chunk) else []
        yield from _items(data, limit)
    if pending:
        yield from _items(b"".join(pending), limit)


def _items(data: bytes, limit: int) -> Iterator[bytes]:
    """What :func:`coalesce` yields for ``data``: whole lines (the last maybe without
    its newline, at the end of the input)."""
    pos, size = 0, len(data)
    while pos < size:
        if data[pos] != 40:  # not "(": one line
            end = data.find(b"\n", pos) + 1 or size
            yield data[pos:end]
            pos = end
            continue
        end = data.find(b");\n", pos) + 3
        if end < 3:  # the statement goes on after this block of input
            end = size if data.endswith(b"),\n") else pos
        run = data[pos:end]
        if run and run.count(b"\n") == run.count(b"),\n(") + 1:
            yield from _blocks(run, limit)  # row lines up to the statement's end
            pos = end
            continue
        end = pos  # an odd run: line by line
        for block in _coalesce_lines(_lines(data, pos), limit):
            if block[:1] != b"(":
                break
            yield block
            end += len(block)
        pos = end


def _blocks(run: bytes, limit: int) -> Iterator[bytes]:
    """``run`` (whole row lines) cut after a ``),\n`` every ``limit`` bytes or so."""
    pos = 0
    while len(run) - pos > limit:
        cut = run.find(b"),\n(", pos + limit) + 3
        if cut < 3:
            break
        yield run[pos:cut]
        pos = cut
    yield run[pos:]


def _lines(data: bytes, pos: int) -> Iterator[bytes]:
    while pos < len(data):
        end = data.find(b"\n", pos) + 1 or len(data)
        yield data[pos:end]
        pos = end


def _coalesce_lines(lines: Iterable[bytes], limit: int) -> Iterator[bytes]:
    block: list[bytes] = []
    size = 0
    for line in lines:
        if line[:1] != b"(":
            if block:
                yield b"".join(block)
                block, size = [], 0
            yield line
            continue
        block.append(line)
        size += len(line)
        if not line.endswith(b"),\n") or size >= limit:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)


def drive(
    job: _SearchReplace,
    src: Iterable[bytes],
    splitter: Splitter,
    write: Write,
    on_chunk: Callable[[str, bytes], None],
) -> bool:
    """Run every line of ``src`` through ``job``; True when the dump ended inside rows."""
    mode: RowsMode | None = None
    for line in coalesce(src):
        if mode is not None:
            if not mode.pending:
                quick = job.fast_rows(mode.table, line)
                if quick is not None:
                    out, ends = quick
                    _emit(write, out)
                    mode = None if ends else mode
                    continue
            mode, rest = _slow_rows(job, mode, line, write)
            if rest:
                for kind, data in splitter.feed(rest):
                    on_chunk(kind, data)
            continue
        if job.fast is not None and splitter.idle and line[:6] in INSERT_WORDS:
            quick_line = job.fast_line(line)
            if quick_line is not None:
                _emit(write, quick_line)
                continue
            m = HEAD_ONLY.match(line)
            if m is not None:
                table = table_name(m.group(1))
                columns = _idents(m.group(2)) if m.group(2) is not None else None
                mode = RowsMode(table, columns or job.dump.columns.get(table))
                _emit(write, line)
                continue
        for kind, data in splitter.feed(line):
            on_chunk(kind, data)
    if mode is not None and mode.pending:
        _emit(write, b"".join(mode.pending))
    return mode is not None


def _emit(write: Write, data: bytes) -> None:
    if write is not None:
        write(data)


def _slow_rows(
    job: _SearchReplace, mode: RowsMode, line: bytes, write: Write
) -> tuple[RowsMode | None, bytes]:
    """Gather lines until the quotes close, then rewrite them as the reference path does.

    Returns the mode to go on with (None: the statement ended) and any text after the
    statement's ``;`` (for the splitter).
    """
    mode.quote, end = _scan(line, mode.quote)
    if mode.quote is not None:
        mode.pending.append(line)
        return mode, b""
    rest = b""
    if end is not None:
        line, rest = line[:end], line[end:]
        if not rest.strip():
            line, rest = line + rest, b""
    mode.pending.append(line)
    chunk = b"".join(mode.pending)
    mode.pending = []
    _emit(write, job.slow_rows(mode.table, mode.columns, chunk))
    return (None if end is not None else mode), rest
