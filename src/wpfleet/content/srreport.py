"""What a search-replace changed (or, in a dry run, would change): the report's parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PairCount", "Report", "Skipped", "TableCount"]


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
