"""Import a dump into a tenant's database so that the site is never half-imported.

1. It is loaded, as the tenant's own database user, into SHADOW tables in the same
   database: every table statement's name is rewritten on the fly (``wp_posts`` →
   ``_wpfs_wp_posts``). The live tables are not touched; a load killed half-way leaves
   only shadow tables, which the next import drops.
2. Every line is checked (:mod:`wpfleet.content.dumpcheck`) before it is sent, so a
   refused statement never reaches the server; on a refusal the client is killed and
   the shadow tables dropped: the live tables are exactly as they were.
3. The shadow tables are proved (:mod:`wpfleet.content.dbproof`): rows as counted in the
   dump (and as the manifest says), no old host, serialized values unserialize in PHP,
   home/siteurl as expected. A failed proof drops them; the live tables stay as they were.
   Each table is measured as soon as the client has loaded it, while the next ones load
   (:mod:`wpfleet.content.loadproof`): the client runs a ``COMMIT`` and prints a marker
   when the dump moves on to another table.
4. ONE ``RENAME TABLE live TO _wpfo_live, _wpfs_live TO live, …`` swaps all tables at
   once (atomic in MariaDB and MySQL); then the old tables are dropped.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wpfleet import seams
from wpfleet.content.dbconn import (
    DbSpec,
    client_argv,
    defaults_file,
    is_mysql,
    quote_ident,
    widen_pipe,
)
from wpfleet.content.dbproof import DbProof, judge
from wpfleet.content.dumpcheck import (
    SANDBOX_LINE,
    TABLE_HEAD,
    DumpChecker,
    DumpFacts,
)
from wpfleet.content.loadproof import EarlyProof
from wpfleet.content.manifest import DUMP_NAME, Manifest
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.rowlines import coalesce
from wpfleet.content.sqldump import open_dump, table_name
from wpfleet.errors import BackendError, UsageError, VerifyFailedError

SHADOW = "_wpfs_"
OLD = "_wpfo_"
CLIENTS = ("mariadb", "mysql")


class ContentImportError(BackendError):
    """The load failed; the live tables are as they were."""


@dataclass
class ImportResult:
    tables: list[str]
    rows: dict[str, int]
    proof: DbProof
    sandbox_line_stripped: bool = False
    dropped: list[str] = field(default_factory=list)  # live tables not in the dump


def import_database(
    spec: DbSpec,
    source: Path,
    *,
    manifest: Manifest | None = None,
    old_hosts: Sequence[str] = (),
    expected_url: str | None = None,
    table_prefix: str = "wp_",
    drop_missing: bool = True,
    client: str = "mariadb",
    php: str = "php",
) -> ImportResult:
    """Load ``source`` (an export directory or a dump file, gzip or not) into ``spec``.

    Raises DumpRefusedError, ContentImportError (the load failed) or VerifyFailedError (the
    proof failed); in every case the live tables are exactly as they were. With
    ``drop_missing``, live tables the dump does not hold are dropped in the same swap.
    """
    dump = source / DUMP_NAME if source.is_dir() else source
    if manifest is None and source.is_dir():
        manifest = Manifest.load(source)
    if not dump.is_file():
        raise UsageError(f"no such dump: {dump}", hint="point at an export directory or a dump")
    conn = spec.connect()
    try:
        strip = is_mysql(_version(conn))
        _drop_leftovers(conn)
        early = EarlyProof(spec, SHADOW, old_hosts=old_hosts, table_prefix=table_prefix, php=php)
        try:
            facts, again = _load(spec, dump, strip, client, early)
            rows = facts.rows if facts.rows_exact else _count(dump)
            measured = early.finish(facts.tables, again)
            proof = _prove(measured, rows, manifest, old_hosts, expected_url)
            seams.point("content:swap")  # shadow tables loaded and proved, live untouched
            dropped = _swap(conn, facts.tables, drop_missing)
        finally:
            early.close()
            _drop_leftovers(conn)
    finally:
        conn.close()
    return ImportResult(facts.tables, rows, proof, strip and facts.sandbox_line, dropped)


def _prove(
    proof: DbProof,
    rows: dict[str, int],
    manifest: Manifest | None,
    old_hosts: Sequence[str],
    expected_url: str | None,
) -> DbProof:
    """The verdict on the shadow tables' measures, before anything is swapped in."""
    judge(proof, manifest.rows if manifest else rows, old_hosts, expected_url)
    if manifest is not None and rows != manifest.rows:
        proof.problems.append(f"the dump's rows {rows} differ from the manifest's")
    if not proof.ok:
        raise VerifyFailedError(
            "the imported tables fail the proof: " + "; ".join(proof.problems),
            hint="nothing was changed: the live tables are as they were",
        )
    return proof


def _version(conn: Any) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return str(cur.fetchone()[0])


def _tables(cur: Any) -> list[str]:
    cur.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
    return [str(r[0]) for r in cur.fetchall()]


def _drop_leftovers(conn: Any) -> None:
    """Drop shadow and old tables an earlier, interrupted import left behind."""
    with conn.cursor() as cur:
        stale = [t for t in _tables(cur) if t.startswith((SHADOW, OLD))]
        if stale:
            cur.execute("DROP TABLE IF EXISTS " + ", ".join(map(quote_ident, stale)))


def _rename(m: re.Match[bytes]) -> bytes:
    head, name = m.group(1), m.group(2)
    if name.startswith(b"`"):
        return head + b"`" + SHADOW.encode() + name[1:]
    return head + b"`" + SHADOW.encode() + name + b"`"


def _count(dump: Path) -> dict[str, int]:
    """Rows per table in a dump the checker could not count (slower)."""
    counter = RowCounter(str(dump))
    with open_dump(dump) as src:
        for line in coalesce(src):
            counter.feed(line)
    return counter.finish()


def _load(
    spec: DbSpec, dump: Path, strip_sandbox: bool, client: str, early: EarlyProof
) -> tuple[DumpFacts, set[str]]:
    """Check the dump and stream it, shadow-renamed, into the client, in ONE pass; the
    facts, and the tables written again after ``early`` was told they were loaded.

    Each line is checked BEFORE it is sent, and a statement runs only when the client
    reads its ``;``: a refused statement never reaches the server. On any failure the
    client is KILLED (not sent end of input, which would run a statement it holds) and
    only shadow tables, dropped afterwards, can have been written.
    """
    checker, marks = DumpChecker(str(dump), spec.database), _Marks(early)
    with defaults_file(spec) as cnf:
        argv = client_argv(client, cnf, "--default-character-set=utf8mb4", "--unbuffered",
                           "--skip-column-names", spec.database)  # fmt: skip
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdin is not None and proc.stderr is not None and proc.stdout is not None
        widen_pipe(proc.stdin)  # the client loads while the next block is checked
        errors: list[bytes] = []
        readers = [
            threading.Thread(target=lambda: errors.append(proc.stderr.read())),  # type: ignore[union-attr]
            threading.Thread(target=marks.listen, args=(proc.stdout,)),
        ]
        for reader in readers:
            reader.start()
        try:
            _send(checker, dump, proc.stdin, strip_sandbox, marks)
            facts = checker.finish()
            proc.stdin.close()
        except BrokenPipeError:  # the client stopped: an SQL error, say
            _kill(proc, readers)
            raise ContentImportError(
                _failed(client, proc.returncode, errors), hint=_UNCHANGED
            ) from None
        except BaseException:
            _kill(proc, readers)
            raise
        code = proc.wait()
        for reader in readers:
            reader.join()
    if code != 0:
        raise ContentImportError(_failed(client, code, errors), hint=_UNCHANGED)
    return facts, marks.again


_MARK = re.compile(rb"wpfleet-loaded (\d+)")


class _Marks:
    """When the dump moves on from table T to another, the client is sent ``COMMIT`` and a
    ``SELECT`` that prints a marker: once it is printed, every statement of T has run and
    T is told to the early proof. A table the dump comes back to is in ``again``."""

    def __init__(self, early: EarlyProof) -> None:
        self.early, self.names = early, list[str]()
        self.current: str | None = None
        self.done: set[str] = set()
        self.again: set[str] = set()

    def statement(self, line: bytes, out: IO[bytes]) -> None:
        """Before the first line of a statement is sent."""
        m = TABLE_HEAD.match(line)
        name = table_name(m.group(2)) if m is not None else self.current
        if name == self.current:
            return
        if self.current is not None:
            self.done.add(self.current)
            self.names.append(self.current)
            out.write(b"COMMIT;\nSELECT 'wpfleet-loaded %d';\n" % (len(self.names) - 1))
        if name in self.done:
            self.again.add(name)
        self.current = name

    def listen(self, stdout: IO[bytes]) -> None:
        """Read the client's output (all of it, so that it never blocks)."""
        for line in stdout:
            m = _MARK.fullmatch(line.rstrip(b"\r\n"))
            if m is not None and int(m.group(1)) < len(self.names):
                self.early.loaded(self.names[int(m.group(1))])


def _kill(proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
    proc.kill()
    proc.wait()
    for reader in readers:
        reader.join()


_UNCHANGED = "nothing was changed: the live tables are as they were"


def _failed(client: str, code: int | None, errors: list[bytes]) -> str:
    message = b"".join(errors).decode("utf-8", "replace").strip()[-500:]
    return f"{client} failed to load the dump ({code}): {message}"


def _send(
    checker: DumpChecker, dump: Path, out: IO[bytes], strip_sandbox: bool, marks: _Marks
) -> None:
    with open_dump(dump) as src:
        for n, line in enumerate(coalesce(src)):
            at_start = checker.between_statements
            checker.feed(line)  # raises before a refused line is sent
            if n == 0 and strip_sandbox and line.rstrip() == SANDBOX_LINE:
                continue
            if at_start:
                marks.statement(line, out)
                line = TABLE_HEAD.sub(_rename, line, count=1)
            out.write(line)


def _swap(conn: Any, tables: list[str], drop_missing: bool) -> list[str]:
    """One RENAME TABLE puts every shadow table live; then the old tables are dropped."""
    with conn.cursor() as cur:
        live = [t for t in _tables(cur) if not t.startswith((SHADOW, OLD))]
        missing = [t for t in live if t not in tables] if drop_missing else []
        moves = [f"{quote_ident(t)} TO {quote_ident(OLD + t)}" for t in live if t in tables]
        moves += [f"{quote_ident(t)} TO {quote_ident(OLD + t)}" for t in missing]
        moves += [f"{quote_ident(SHADOW + t)} TO {quote_ident(t)}" for t in tables]
        cur.execute("RENAME TABLE " + ", ".join(moves))
        old = [OLD + t for t in live if t in tables or t in missing]
        if old:
            cur.execute("DROP TABLE IF EXISTS " + ", ".join(map(quote_ident, old)))
    return missing
