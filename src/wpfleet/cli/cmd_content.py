"""``content search-replace``: move a site's database dump to another domain, safely."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import typer

from wpfleet.cli.app import app, settings
from wpfleet.errors import UsageError, VerifyFailedError

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


def proof_domains(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The OLD texts the proof can demand are gone: not those that some NEW contains."""
    return [old for old, _ in pairs if not any(old in new for _, new in pairs)]


@contextmanager
def _reader(src: str) -> Iterator[IO[bytes]]:
    from wpfleet.content.sqldump import open_dump

    if src == STDIO:
        yield sys.stdin.buffer
        return
    if not Path(src).is_file():
        raise UsageError(f"no such file: {src}", hint="DUMP is written by mysqldump")
    with open_dump(src) as f:
        yield f


@contextmanager
def _writer(dst: str) -> Iterator[IO[bytes]]:
    """Write to a temporary file beside ``dst`` and rename it only when all went well."""
    import gzip

    if dst == STDIO:
        yield sys.stdout.buffer
        return
    path = Path(dst)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(filename=path.stem, mode="wb", fileobj=raw) as gz:
                    yield cast(IO[bytes], gz)
            else:
                yield raw
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _check_paths(src: str, dst: str | None, dry_run: bool) -> None:
    if dst is None and not dry_run:
        raise UsageError("OUT is missing", hint="give OUT (or - for stdout), or pass --dry-run")
    if dst not in (None, STDIO) and src != STDIO and Path(src).resolve() == Path(dst).resolve():
        raise UsageError("DUMP and OUT are the same file", hint="write to a new file")


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
    from wpfleet.content.proof import verify_dump
    from wpfleet.content.searchreplace import search_replace

    src, dst = dump, out
    cfg = settings(ctx)
    pairs = parse_pairs(replace, old, new)
    _check_paths(src, dst, dry_run)
    write = not dry_run and dst is not None
    with _reader(src) as reader, _writer(dst) if write else nullcontext(None) as writer:
        report = search_replace(
            reader,
            writer,
            pairs,
            dry_run=not write,
            skip_columns=skip_column,
            strip_sandbox_line=for_mysql,
            name=src,
        )
    proof = None
    if verify and not dry_run and dst not in (None, STDIO):
        proof = verify_dump(str(dst), proof_domains(pairs), skip_columns=skip_column)
    to_stderr = dst == STDIO
    _show(cfg.json, to_stderr, src, dst, report, proof)
    _judge(report, proof)


def _judge(report: Report, proof: Proof | None) -> None:
    if proof is None:
        return
    rows = {t: c.rows for t, c in report.tables.items()}
    if proof.ok and proof.rows_match(rows):
        return
    parts = []
    if not proof.rows_match(rows):
        parts.append("row counts differ from the input")
    if proof.leftovers_total:
        parts.append(f"{proof.leftovers_total} value(s) still hold an OLD text")
    if proof.bad_serialized_total:
        parts.append(f"{proof.bad_serialized_total} serialized value(s) do not parse")
    raise VerifyFailedError(
        "the proof of the result failed: " + "; ".join(parts),
        hint="see the skipped values and the proof above (-o json lists them all)",
    )


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
