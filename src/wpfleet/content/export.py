"""Export one tenant's database: ``mariadb-dump --single-transaction --no-tablespaces``
streamed through gzip into ``database.sql.gz``, with a manifest (sizes, rows per table
counted from the dump itself, ``CHECKSUM TABLE`` values, source URLs, versions)."""

from __future__ import annotations

import hashlib
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

from wpfleet.content import gz as gzip_streams
from wpfleet.content.dbconn import DbSpec, client_argv, defaults_file, quote_ident, widen_pipe
from wpfleet.content.manifest import (
    DUMP_NAME,
    Manifest,
    TableInfo,
    php_version,
    wordpress_version,
)
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.rowlines import coalesce
from wpfleet.errors import BackendError

T = TypeVar("T")

DUMP_TOOLS = ("mariadb-dump", "mysqldump")


class ExportError(BackendError):
    """The dump tool failed; nothing was written in place of an earlier export."""


def dump_tool() -> str:
    for tool in DUMP_TOOLS:
        if shutil.which(tool):
            return tool
    raise ExportError(
        "neither mariadb-dump nor mysqldump is installed", hint="apt install mariadb-client"
    )


def export_database(
    spec: DbSpec,
    out_dir: Path,
    *,
    table_prefix: str = "wp_",
    wp_root: Path | None = None,
    extra_args: Sequence[str] = (),
) -> Manifest:
    """Dump ``spec``'s database into ``out_dir`` (created) and write its manifest.

    The dump is written to a temporary name and renamed when complete, so a failed export
    never leaves a half dump under the final name. ``wp_root`` (a WordPress directory)
    gives the WordPress version; PHP's is php-cli's. The shadow and old tables an
    interrupted import left behind (a killed import, restore or domain move) are not the
    site's: they are left out (loaded back, they would collide with the next shadows).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ignored = [f"--ignore-table={spec.database}.{t}" for t in _import_leftovers(spec)]
    final, tmp = out_dir / DUMP_NAME, out_dir / f".{DUMP_NAME}.partial"
    args = ["--single-transaction", "--no-tablespaces", "--default-character-set=utf8mb4"]
    # the server's facts and php-cli's version while it dumps
    facts = _in_thread(lambda: (_server_facts(spec, None, table_prefix), php_version()))
    try:
        with defaults_file(spec) as cnf:
            argv = client_argv(dump_tool(), cnf, *args, *ignored, *extra_args, spec.database)
            rows, sql_bytes, digest = _dump_to(argv, tmp)
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)
        wait([facts])  # never leave it running, even when the dump failed
    (checksums, server, urls), php = facts.result()
    if set(rows) - set(checksums):  # a table created while it dumped
        checksums, server, urls = _server_facts(spec, list(rows), table_prefix)
    manifest = Manifest(
        database=spec.database,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        dump_bytes=final.stat().st_size,
        sql_bytes=sql_bytes,
        sha256=digest,
        tables={t: TableInfo(n, checksums.get(t)) for t, n in rows.items()},
        source_urls=urls,
        versions={
            "wordpress": wordpress_version(wp_root),
            "php": php,
            "db_server": server,
        },
    )
    manifest.save(out_dir)
    return manifest


class _HashingWriter:
    """A file object that hashes what is written through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.sha = raw, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _dump_to(argv: list[str], path: Path) -> tuple[dict[str, int], int, str]:
    """Run the dump tool, gzip its output into ``path``; (rows per table, bytes, sha256)."""
    counter, size = RowCounter("the dump"), 0
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    widen_pipe(proc.stdout)  # the dump tool runs on while a block is counted and gzipped
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    with open(path, "wb") as raw:
        hashing = _HashingWriter(raw)
        with gzip_streams.writer(hashing, DUMP_NAME[:-3]) as gz:
            # gzip and sha256 release the GIL: they run in a thread beside the counting
            blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
            writer = _in_thread(lambda: _write_all(blocks, gz))
            try:
                for line in coalesce(proc.stdout):
                    size += len(line)
                    counter.feed(line)
                    blocks.put(line)
                    if writer.done():  # it ends early only when writing failed
                        break
            finally:
                blocks.put(None)
                writer.result()
    code = proc.wait()
    reader.join()
    if code != 0:
        message = b"".join(errors).decode("utf-8", "replace").strip()[-500:]
        raise ExportError(
            f"{argv[0]} failed ({code}): {message}", hint="is the database reachable?"
        )
    return counter.finish(), size, hashing.sha.hexdigest()


def _import_leftovers(spec: DbSpec) -> list[str]:
    import pymysql

    from wpfleet.content.importer import OLD, SHADOW

    try:
        conn = spec.connect()
    except pymysql.Error as exc:
        raise ExportError(
            f"export of {spec.database} failed: cannot connect as {spec.user}: {exc.args[-1]}",
            hint="check the tenant's database user and its grants (`wpfleet doctor`)",
        ) from None
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            names = [_text(name) for (name,) in cur.fetchall()]
    finally:
        conn.close()
    return [n for n in names if n.startswith((SHADOW, OLD))]


def _write_all(blocks: queue.Queue[bytes | None], out: IO[bytes]) -> None:
    """Write ``blocks`` to ``out`` until None; after a failure, drain (so that the
    producer never blocks) and re-raise."""
    try:
        while (block := blocks.get()) is not None:
            out.write(block)
    except BaseException:
        while blocks.get() is not None:
            pass
        raise


def _in_thread(fn: Callable[[], T]) -> Future[T]:
    """``fn()`` in a thread of its own; the future gives its value or raises its error."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn)
    finally:
        pool.shutdown(wait=False)  # the task runs on; the thread ends with it


def _server_facts(
    spec: DbSpec, tables: list[str] | None, prefix: str
) -> tuple[dict[str, int], str, dict[str, str]]:
    """(CHECKSUM TABLE per table, server version, home/siteurl); ``tables`` None: every
    base table of the database."""
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            if tables is None:
                cur.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
                tables = [str(r[0]) for r in cur.fetchall()]
            checksums: dict[str, int] = {}
            if tables:
                cur.execute("CHECKSUM TABLE " + ", ".join(quote_ident(t) for t in tables))
                for name, value in cur.fetchall():
                    checksums[str(name).split(".", 1)[-1]] = value
            cur.execute("SELECT VERSION()")
            version = str(cur.fetchone()[0])
            urls = _site_urls(cur, prefix + "options", tables)
    finally:
        conn.close()
    return checksums, version, urls


def _site_urls(cur: object, options: str, tables: list[str]) -> dict[str, str]:
    if options not in tables:
        return {}
    sql = f"SELECT option_name, option_value FROM {quote_ident(options)} WHERE option_name IN ('home', 'siteurl')"  # noqa: E501
    cur.execute(sql)  # type: ignore[attr-defined]
    return {str(k): _text(v) for k, v in cur.fetchall()}  # type: ignore[attr-defined]


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
