"""The proof after a search-replace: row counts per table, every serialized value still
parses, and no old domain left in any form (plain, JSON-escaped, URL-encoded)."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from wpfleet.content.phpserial import (
    Arr,
    Node,
    Obj,
    PHPSerialError,
    Str,
    looks_serialized,
    parse,
)
from wpfleet.content.searchreplace import MAX_LISTED, WHITESPACE, in_columns, variants
from wpfleet.content.sqldump import (
    Cell,
    DumpSchema,
    Splitter,
    open_dump,
    statements,
)

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
    for v in variants([(domain, domain)]):
        out.append((v.form, v.old.lower()))
    return out


class _Prover:
    def __init__(self, old_domains: Sequence[str], skip_columns: Collection[str]) -> None:
        self.forms = [(d, form, needle) for d in old_domains for form, needle in _forms(d)]
        self.skip = {c.lower() for c in skip_columns}
        self.proof = Proof()
        self.dump = DumpSchema()

    def on_value(self, cell: Cell, value: bytes) -> None:
        lowered = b"" if self.skip and in_columns(cell, self.skip) else value.lower()
        for domain, form, needle in self.forms:
            if needle in lowered:
                self.proof.leftovers_total += 1
                if len(self.proof.leftovers) < MAX_LISTED:
                    detail = f"{domain} ({form})"
                    self.proof.leftovers.append(Problem(cell.table, cell.column, cell.row, detail))
        self._serialized(cell, value)

    def _serialized(self, cell: Cell, value: bytes) -> None:
        core = value.strip(WHITESPACE)
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
            for kind, data in statements(src, Splitter(os.fspath(path_or_stream))):
                prover.chunk(kind, data)
    else:
        for kind, data in statements(path_or_stream, Splitter("the dump")):
            prover.chunk(kind, data)
    return prover.proof
