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

:func:`wpfleet.content.proof.verify_dump` proves a result: row counts per table, every
serialized value parses, no old domain left in any of those forms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from wpfleet.content.fastpath import FastPath, fast_insert
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
from wpfleet.content.rowlines import drive
from wpfleet.content.sqldump import (
    INSERT_HEAD,
    Cell,
    DumpSchema,
    Rows,
    Splitter,
    table_name,
)
from wpfleet.content.srreport import PairCount, Report, Skipped, TableCount
from wpfleet.errors import UsageError

FORMS = ("plain", "json", "urlencoded")
MAX_LISTED = 1000  # skipped values / proof problems kept in detail; the rest are counted

# --- replacing in one value ---------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    pair: int
    form: str
    old: bytes
    new: bytes


def variants(pairs: Sequence[tuple[str, str]]) -> list[Variant]:
    """Each pair in its plain, JSON-escaped and URL-encoded forms (duplicates dropped)."""
    out: list[Variant] = []
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
                out.append(Variant(i, form, o.encode("utf-8"), n.encode("utf-8")))
    return out


WHITESPACE = b" \t\r\n"


class Replacer:
    """Replaces the pairs in one value; counts go to the ``counts`` list given per call.

    ``counts[i]`` is the number of replacements made by variant ``i`` (see
    :attr:`variants`). Counts are added only for changes that are kept, so a value left
    unchanged (skipped) adds nothing: a dry run's counts equal a real run's changes.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.variants = variants(pairs)
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
        core = data.strip(WHITESPACE)
        if not looks_serialized(core):
            return self.text(data, counts)
        lead = data[: len(data) - len(data.lstrip(WHITESPACE))]
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
        if neutral or _parses(plain.strip(WHITESPACE)):
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


def _olds_news(replacer: Replacer) -> tuple[list[bytes], list[bytes]]:
    return [v.old for v in replacer.variants], [v.new for v in replacer.variants]


def in_columns(cell: Cell, columns: set[str]) -> str | None:
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


# --- search-replace -----------------------------------------------------------------------


class _SearchReplace:
    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        skip_columns: Collection[str],
        report: Report,
        fast: bool = True,
    ) -> None:
        self.replacer = Replacer(pairs)
        self.counts = self.replacer.zero()
        self.skip = {c.lower() for c in skip_columns}
        self.skip_used: set[str] = set()
        self.report = report
        self.dump = DumpSchema()
        use_fast = fast and not self.skip  # skip columns need each value's column name
        self.fast = FastPath(*_olds_news(self.replacer)) if use_fast else None

    def on_value(self, cell: Cell, value: bytes) -> bytes | None:
        skipped = in_columns(cell, self.skip) if self.skip else None
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
        elif self.fast is not None:
            quick = self._fast(stmt)
            if quick is not None:
                return quick
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

    def fast_line(self, line: bytes) -> bytes | None:
        """A whole dump line that is one INSERT, through the fast path; None: not so."""
        end = len(line) - 1 if line.endswith(b"\n") else len(line)
        done = self._fast(line[:end])
        return None if done is None else done + line[end:]

    def _fast(self, stmt: bytes) -> bytes | None:
        """The fast path (see :mod:`wpfleet.content.fastpath`); None: take the reference."""
        assert self.fast is not None
        m = INSERT_HEAD.match(stmt)
        if m is None:
            return None
        result = fast_insert(self.fast, self.replacer, stmt, m.end(), self.replacer.zero())
        if result is None:
            return None
        table = table_name(m.group(1))
        self.dump.next_row[table] = self.dump.next_row.get(table, 0) + result.rows
        self._account(table, result.rows, result.rows_changed, result.values_changed)
        _merge(self.counts, result.counts)
        return result.stmt

    def fast_rows(self, table: str, line: bytes) -> tuple[bytes, bool] | None:
        """One line of rows (mariadb-dump's shape) through the fast path, or None."""
        assert self.fast is not None
        r = fast_insert(self.fast, self.replacer, line, 0, self.replacer.zero(), fragment=True)
        if r is None:
            return None
        self.dump.next_row[table] = self.dump.next_row.get(table, 0) + r.rows
        self._account(table, r.rows, r.rows_changed, r.values_changed)
        _merge(self.counts, r.counts)
        return r.stmt, r.ends

    def slow_rows(self, table: str, columns: list[str] | None, chunk: bytes) -> bytes:
        """Whole rows of ``table`` through the reference path (same bytes, slower)."""
        rows = Rows(table, columns, self.dump.next_row.get(table, 0) + 1, self.on_value)
        new = rows.rewrite(chunk, 0)
        self.dump.next_row[table] = rows.row
        self._account(table, rows.rows, rows.changed_rows, rows.changed_values)
        return new

    def _account(self, table: str, rows: int, rows_changed: int, values_changed: int) -> None:
        count = self.report.tables.setdefault(table, TableCount())
        count.rows += rows
        count.rows_changed += rows_changed
        count.values_changed += values_changed

    def _check_columns_known(self, stmt: bytes) -> None:
        m = INSERT_HEAD.match(stmt)
        if m is None or m.group(2) is not None:
            return
        table = table_name(m.group(1))
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


def _one(
    job: _SearchReplace,
    report: Report,
    write: Callable[[bytes], object] | None,
    kind: str,
    data: bytes,
    strip_sandbox_line: bool,
) -> None:
    if kind == "sandbox" and strip_sandbox_line:
        report.sandbox_line_stripped = True
        return
    out = job.chunk(kind, data)
    if write is not None:
        write(out)


def search_replace(
    src: IO[bytes],
    dst: IO[bytes] | None,
    pairs: Sequence[tuple[str, str]],
    *,
    dry_run: bool = False,
    skip_columns: Collection[str] = (),
    strip_sandbox_line: bool = False,
    name: str = "the input",
    fast: bool = True,
) -> Report:
    """Stream ``src`` to ``dst`` replacing each (old, new) pair in the rows' values.

    Guarantees: statements other than INSERT/REPLACE rows pass byte for byte; a value is
    rewritten only if it changed; serialized values keep correct byte lengths or are left
    unchanged and listed in ``Report.skipped``. ``dry_run`` writes nothing (``dst`` may be
    None) and returns exactly the counts a real run would. ``skip_columns`` holds
    ``column`` or ``table.column`` names (case-insensitive). ``strip_sandbox_line`` drops
    MariaDB's ``/*M!999999\\- enable the sandbox mode */`` line, which MySQL rejects.
    ``fast=False`` takes the reference path for every statement (same bytes, slower).
    """
    if not pairs:
        raise UsageError("nothing to replace", hint="give at least one --replace OLD=NEW")
    if dst is None and not dry_run:
        raise ValueError("dst is required unless dry_run")
    report = Report([PairCount(o, n) for o, n in pairs], dry_run=dry_run)
    job = _SearchReplace(pairs, skip_columns, report, fast)
    splitter = Splitter(name)
    write = dst.write if dst is not None and not dry_run else None

    def on_chunk(kind: str, data: bytes) -> None:
        _one(job, report, write, kind, data, strip_sandbox_line)

    inside_rows = drive(job, src, splitter, write, on_chunk)
    for kind, data in splitter.finish():
        on_chunk(kind, data)
    report.unterminated_statement = splitter.unterminated or inside_rows
    job.finish()
    return report
