"""Import a dump into a tenant's database so that the site is never half-imported.

1. The whole dump is checked first (:mod:`wpfleet.content.dumpcheck`): a refused dump
   changes nothing.
2. It is loaded, as the tenant's own database user, into SHADOW tables in the same
   database: every table statement's name is rewritten on the fly (``wp_posts`` →
   ``_wpfs_wp_posts``). The live tables are not touched; a load killed half-way leaves
   only shadow tables, which the next import drops.
3. The shadow tables are proved (:mod:`wpfleet.content.dbproof`): rows as counted in the
   dump (and as the manifest says), no old host, serialized values unserialize in PHP,
   home/siteurl as expected. A failed proof drops them; the live tables stay as they were.
4. ONE ``RENAME TABLE live TO _wpfo_live, _wpfs_live TO live, …`` swaps all tables at
   once (atomic in MariaDB and MySQL); then the old tables are dropped.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file, is_mysql, quote_ident
from wpfleet.content.dbproof import DbProof, prove_database
from wpfleet.content.dumpcheck import SANDBOX_LINE, TABLE_HEAD, DumpChecker, DumpFacts
from wpfleet.content.manifest import DUMP_NAME, Manifest
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.sqldump import open_dump
from wpfleet.errors import BackendError, UsageError, VerifyFailedError

SHADOW = "_wpfs_"
OLD = "_wpfo_"
CLIENTS = ("mariadb", "mysql")


class ImportError_(BackendError):
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

    Raises DumpRefusedError (nothing done), ImportError_ (load failed: live tables
    untouched) or VerifyFailedError (proof failed: live tables untouched). With
    ``drop_missing``, live tables the dump does not hold are dropped in the same swap.
    """
    dump = source / DUMP_NAME if source.is_dir() else source
    if manifest is None and source.is_dir():
        manifest = Manifest.load(source)
    facts = _check(dump, spec.database)
    names = {t: SHADOW + t for t in facts.tables}
    for shadow in names.values():
        if len(shadow) > 64:
            raise UsageError(f"table name too long for a shadow copy: {shadow}")
    strip = is_mysql(_version(spec))
    _drop_leftovers(spec)
    try:
        _load(spec, dump, strip, client)
        rows = facts.rows if facts.rows_exact else _count(dump)
        proof = prove_database(
            spec,
            names,
            expected_rows=manifest.rows if manifest else rows,
            old_hosts=old_hosts,
            expected_url=expected_url,
            table_prefix=table_prefix,
            php=php,
        )
        if manifest is not None and rows != manifest.rows:
            proof.problems.append(f"the dump's rows {rows} differ from the manifest's")
        if not proof.ok:
            raise VerifyFailedError(
                "the imported tables fail the proof: " + "; ".join(proof.problems),
                hint="nothing was changed: the live tables are as they were",
            )
        dropped = _swap(spec, facts.tables, drop_missing)
    finally:
        _drop_leftovers(spec)
    return ImportResult(facts.tables, rows, proof, strip and facts.sandbox_line, dropped)


def _check(dump: Path, database: str) -> DumpFacts:
    checker = DumpChecker(str(dump), database)
    with open_dump(dump) as src:
        for line in src:
            checker.feed(line)
    return checker.finish()


def _version(spec: DbSpec) -> str:
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            return str(cur.fetchone()[0])
    finally:
        conn.close()


def _tables(cur: object) -> list[str]:
    cur.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")  # type: ignore[attr-defined]
    return [str(r[0]) for r in cur.fetchall()]  # type: ignore[attr-defined]


def _drop_leftovers(spec: DbSpec) -> None:
    """Drop shadow and old tables an earlier, interrupted import left behind."""
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            stale = [t for t in _tables(cur) if t.startswith((SHADOW, OLD))]
            if stale:
                cur.execute("DROP TABLE IF EXISTS " + ", ".join(map(quote_ident, stale)))
    finally:
        conn.close()


def shadow_lines(lines: Iterable[bytes], database: str, strip_sandbox: bool) -> Iterable[bytes]:
    """The dump's lines with every table statement's table renamed to its shadow.

    The dump was checked before, so every table statement names its table on its first
    line; the checker runs again here to know where statements start.
    """
    checker = DumpChecker("the dump", database)
    for n, line in enumerate(lines):
        at_start = checker.between_statements
        checker.feed(line)
        if n == 0 and strip_sandbox and line.rstrip() == SANDBOX_LINE:
            continue
        if at_start:
            line = TABLE_HEAD.sub(_rename, line, count=1)
        yield line
    checker.finish()


def _rename(m: object) -> bytes:
    head, name = m.group(1), m.group(2)  # type: ignore[attr-defined]
    if name.startswith(b"`"):
        return head + b"`" + SHADOW.encode() + name[1:]
    return head + b"`" + SHADOW.encode() + name + b"`"


def _count(dump: Path) -> dict[str, int]:
    """Rows per table in a dump whose INSERTs are not one per line (slower)."""
    counter = RowCounter(str(dump))
    with open_dump(dump) as src:
        for line in src:
            counter.feed(line)
    return counter.finish()


def _load(spec: DbSpec, dump: Path, strip_sandbox: bool, client: str) -> None:
    """Stream the shadow-renamed dump into the client."""
    with defaults_file(spec) as cnf:
        argv = client_argv(client, cnf, "--default-character-set=utf8mb4", spec.database)
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None and proc.stderr is not None
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
        reader.start()
        try:
            with open_dump(dump) as src:
                for line in shadow_lines(src, spec.database, strip_sandbox):
                    proc.stdin.write(line)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        code = proc.wait()
        reader.join()
    if code != 0:
        message = b"".join(errors).decode("utf-8", "replace").strip()[-500:]
        raise ImportError_(
            f"{client} failed to load the dump ({code}): {message}",
            hint="nothing was changed: the live tables are as they were",
        )


def _swap(spec: DbSpec, tables: list[str], drop_missing: bool) -> list[str]:
    """One RENAME TABLE puts every shadow table live; then the old tables are dropped."""
    conn = spec.connect()
    try:
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
    finally:
        conn.close()
    return missing
