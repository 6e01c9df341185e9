"""``content search-replace``: move a site's database dump to another domain, safely."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from wpfleet.content.proof import Proof
    from wpfleet.content.searchreplace import Report

content_app = typer.Typer(help="Site content between environments: search-replace in dumps.")
app.add_typer(content_app, name="content")

STDIO = "-"
MAX_SKIPPED_SHOWN = 20


_EXAMPLE = "--old https://goldencrust.wpdev.kimmyai.io --new https://goldencrust.wpsit.kimmyai.io"


def parse_pairs(
    values: Sequence[str], olds: Sequence[str] = (), news: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """The pairs to replace, in order: ``-r OLD=NEW`` values first, then ``--old/--new``.

    ``-r`` is accepted only when it holds exactly one ``=``: with more, where OLD ends is
    a guess (``a=b=c``), and a wrong guess rewrites every link in the dump, so such a
    pair is refused and ``--old/--new`` (which can hold any text) is suggested instead.
    """
    if len(olds) != len(news):
        raise UsageError(
            f"{len(olds)} --old but {len(news)} --new: they pair up in order",
            hint=f"give one --new after each --old, e.g. {_EXAMPLE}",
        )
    pairs = [_split_pair(value) for value in values]
    pairs += list(zip(olds, news, strict=True))
    if not pairs:
        raise UsageError("nothing to replace", hint=f"give at least one pair, e.g. {_EXAMPLE}")
    for old, new in pairs:
        if not old:
            raise UsageError(f"an empty OLD (new: {new!r})", hint=f"e.g. {_EXAMPLE}")
        if old == new:
            raise UsageError(f"{old!r} replaces a text with itself", hint=f"e.g. {_EXAMPLE}")
    return pairs


def _split_pair(value: str) -> tuple[str, str]:
    count = value.count("=")
    if count == 0:
        raise UsageError(f"--replace {value!r} has no '='", hint=f"use OLD=NEW, or {_EXAMPLE}")
    if count > 1:
        raise UsageError(
            f"--replace {value!r} is ambiguous: it holds {count} '=', so where OLD ends "
            "cannot be told",
            hint="when OLD or NEW contains '=', give them apart: --old OLD --new NEW",
        )
    old, _, new = value.partition("=")
    if not old:
        raise UsageError(f"--replace {value!r} has an empty OLD", hint=f"e.g. {_EXAMPLE}")
    return old, new


@content_app.command("search-replace")
def search_replace_cmd(
    ctx: typer.Context,
    dump: str = typer.Argument(..., help="Dump to read (- for stdin; gzip is read)."),
    out: str = typer.Argument(None, help="Where to write (- for stdout; *.gz is compressed)."),
    replace: list[str] = typer.Option(
        [], "--replace", "-r", metavar="OLD=NEW", help="A pair with one '='; repeat it."
    ),
    old: list[str] = typer.Option(
        [], "--old", metavar="OLD", help="Text to replace (any text, '=' too); pairs with --new."
    ),
    new: list[str] = typer.Option(
        [], "--new", metavar="NEW", help="Its replacement; the n-th --new goes with the n-th --old."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would change; write no OUT."),
    skip_column: list[str] = typer.Option(
        [], "--skip-column", metavar="[TABLE.]COLUMN", help="Leave this column as is; repeat it."
    ),
    for_mysql: bool = typer.Option(
        False, "--for-mysql", help="Drop MariaDB's sandbox-mode line (MySQL/RDS reject it)."
    ),
    verify: bool = typer.Option(
        True, "--verify/--no-verify", help="Re-read OUT: rows equal, serialized ok, no OLD left."
    ),
) -> None:
    """Replace OLD with NEW in a DUMP's rows into OUT, safe for PHP-serialized values.

    Pairs apply in order: every -r first, then the --old/--new pairs.
    Also replaces the JSON-escaped (https:\\/\\/…) and URL-encoded (https%3A%2F%2F…) forms,
    recomputes serialized byte lengths, and proves the result afterwards.
    """
    from wpfleet.services import content

    cfg = settings(ctx)
    pairs = parse_pairs(replace, old, new)
    result = content.search_replace(
        dump, out, pairs, dry_run=dry_run, skip_columns=skip_column, for_mysql=for_mysql,
        verify=verify,
    )  # fmt: skip
    _show(cfg.json, out == STDIO, dump, out, result.report, result.proof)
    failure = result.failure()
    if failure is not None:
        raise failure


def _show(
    as_json: bool,
    to_stderr: bool,
    src: str,
    dst: str | None,
    report: Report,
    proof: Proof | None,
) -> None:
    from wpfleet.cli.output import emit_json, stderr, stdout

    if as_json:
        data = {"in": src, "out": dst, **report.to_dict()}
        data["proof"] = proof.to_dict() if proof else None
        if to_stderr:
            import json

            sys.stderr.write(json.dumps(data, indent=2, default=str) + "\n")
        else:
            emit_json(data)
        return
    console = stderr() if to_stderr else stdout()
    what = "dry run" if report.dry_run else f"{src} → {dst}"
    _table(console, f"search-replace ({what})", *_pair_rows(report))
    _table(console, None, ["table", "rows", "rows changed", "values changed"], _table_rows(report))
    if report.skipped_total:
        shown = report.skipped[:MAX_SKIPPED_SHOWN]
        rows = [(s.table, s.column, s.row, s.reason) for s in shown]
        more = report.skipped_total - len(shown)
        title = f"skipped: {report.skipped_total}" + (f" ({more} not shown)" if more else "")
        _table(console, title, ["table", "column", "row", "reason"], rows)
    for line in _notes(report, proof):
        console.print(line, highlight=False, markup=False)


def _pair_rows(report: Report) -> tuple[list[str], list[tuple[Any, ...]]]:
    cols = ["old", "new", "plain", "json", "urlencoded", "total"]
    rows = [(p.old, p.new, p.plain, p.json, p.urlencoded, p.total) for p in report.pairs]
    return cols, rows


def _table_rows(report: Report) -> list[tuple[Any, ...]]:
    return [(name, t.rows, t.rows_changed, t.values_changed) for name, t in report.tables.items()]


def _notes(report: Report, proof: Proof | None) -> list[str]:
    lines = []
    if report.sandbox_line_stripped:
        lines.append("stripped MariaDB's sandbox-mode line (for MySQL/RDS)")
    if report.statements_not_understood:
        lines.append(f"{report.statements_not_understood} INSERT statement(s) not understood")
    if report.skip_columns_unused:
        unused = ", ".join(report.skip_columns_unused)
        lines.append(f"--skip-column matched no value (typo?): {unused}")
    if report.unterminated_statement:
        lines.append("the dump ends inside a statement (truncated?): passed through as is")
    if proof is not None:
        state = "ok" if proof.ok else "FAILED"
        lines.append(
            f"proof {state}: {sum(proof.rows.values())} rows in {len(proof.rows)} tables, "
            f"{proof.serialized_values} serialized values ({proof.bad_serialized_total} broken), "
            f"{proof.leftovers_total} value(s) with an OLD text left"
        )
        if proof.outside_rows:
            lines.append(
                f"note: {proof.outside_rows} statement(s) outside the rows (triggers, routines, "
                "views) still name an OLD text; search-replace leaves code alone: check them"
            )
    return lines


def _table(
    console: Console, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*[str(v) for v in row])
    console.print(t)
