"""``content search-replace``: move a site's database dump to another domain, safely,
then prove the result (rows equal, serialized values parse, no OLD text left)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from wpfleet.content import gz
from wpfleet.errors import UsageError, VerifyFailedError

if TYPE_CHECKING:
    from wpfleet.content.proof import Proof
    from wpfleet.content.searchreplace import Report

STDIO = "-"


@dataclass
class SearchReplaceResult:
    src: str
    dst: str | None
    report: Report
    proof: Proof | None = None

    def failure(self) -> VerifyFailedError | None:
        """Why the proof failed (to raise after showing the result), or None."""
        proof, report = self.proof, self.report
        if proof is None:
            return None
        rows = {t: c.rows for t, c in report.tables.items()}
        if proof.ok and proof.rows_match(rows):
            return None
        parts = []
        if not proof.rows_match(rows):
            parts.append("row counts differ from the input")
        if proof.leftovers_total:
            parts.append(f"{proof.leftovers_total} value(s) still hold an OLD text")
        if proof.bad_serialized_total:
            parts.append(f"{proof.bad_serialized_total} serialized value(s) do not parse")
        return VerifyFailedError(
            "the proof of the result failed: " + "; ".join(parts),
            hint="see the skipped values and the proof above (-o json lists them all)",
        )


def proof_domains(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The OLD texts the proof can demand are gone: not those that some NEW contains."""
    return [old for old, _ in pairs if not any(old in new for _, new in pairs)]


def search_replace(
    src: str,
    dst: str | None,
    pairs: Sequence[tuple[str, str]],
    *,
    dry_run: bool = False,
    skip_columns: Sequence[str] = (),
    for_mysql: bool = False,
    verify: bool = True,
) -> SearchReplaceResult:
    """Replace each OLD with its NEW in ``src``'s rows into ``dst`` (``-``: stdin/stdout;
    ``dst`` is written beside itself and renamed only when all went well)."""
    from wpfleet.content.proof import verify_dump
    from wpfleet.content.searchreplace import search_replace as run

    _check_paths(src, dst, dry_run)
    write = not dry_run and dst is not None
    with _reader(src) as reader, _writer(dst) if write and dst else nullcontext(None) as writer:
        report = run(
            reader,
            writer,
            pairs,
            dry_run=not write,
            skip_columns=skip_columns,
            strip_sandbox_line=for_mysql,
            name=src,
        )
    proof = None
    if verify and not dry_run and dst not in (None, STDIO):
        proof = verify_dump(str(dst), proof_domains(pairs), skip_columns=skip_columns)
    return SearchReplaceResult(src, dst, report, proof)


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
    if dst == STDIO:
        yield sys.stdout.buffer
        return
    path = Path(dst)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as raw:
            if path.suffix == ".gz":
                with gz.writer(raw, path.stem) as out:
                    yield out
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
