"""Export, import and proof against a real MariaDB and real php-cli."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from benchmarks.wpdump import HOST, generate

from tests.content.conftest import load_plain, table_state
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.dbproof import prove_database
from wpfleet.content.dumpcheck import DumpRefusedError
from wpfleet.content.export import ExportError, export_database
from wpfleet.content.importer import SHADOW, import_database
from wpfleet.content.manifest import DUMP_NAME, Manifest
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.urlpairs import url_pairs
from wpfleet.errors import BackendError, VerifyFailedError

Make = Callable[[str], DbSpec]
SIT = "goldencrust.wpsit.kimmyai.io"


def site(make: Make, name: str, tmp: Path, size: int = 100_000) -> DbSpec:
    spec = make(name)
    dump = tmp / f"{name}-seed.sql"
    generate(dump, size, line_bytes=20_000)
    load_plain(spec, dump)
    return spec


def test_a_failed_dump_leaves_no_dump_and_says_why(tenant_db: Make, tmp_path: Path) -> None:
    """The dump tool fails (a database the user may not read): ExportError, no file under
    the final name, and the writer and facts threads are gone (nothing left running)."""
    dev = site(tenant_db, "dev", tmp_path)
    other = DbSpec(dev.host, dev.port, dev.user, dev.password, "mysql")
    before = threading.active_count()
    with pytest.raises(ExportError, match="failed"):
        export_database(other, tmp_path / "out")
    assert not (tmp_path / "out" / DUMP_NAME).exists()
    assert list((tmp_path / "out").iterdir()) == []
    assert threading.active_count() == before


def test_export_writes_a_gzip_dump_and_a_true_manifest(tenant_db: Make, tmp_path: Path) -> None:
    dev = site(tenant_db, "dev", tmp_path)
    manifest = export_database(dev, tmp_path / "out")
    state = table_state(dev)
    assert manifest.rows == {t: rows for t, (rows, _) in state.items()}
    assert {t: i.checksum for t, i in manifest.tables.items()} == {
        t: c for t, (_, c) in state.items()
    }
    assert manifest.source_urls == {"home": f"https://{HOST}", "siteurl": f"https://{HOST}"}
    assert manifest.versions["db_server"] and "MariaDB" in str(manifest.versions["db_server"])
    assert manifest.versions["php"]
    dump = tmp_path / "out" / DUMP_NAME
    assert manifest.dump_bytes == dump.stat().st_size
    assert manifest.sql_bytes == len(gzip.decompress(dump.read_bytes()))
    assert Manifest.load(tmp_path / "out") == manifest
    assert not list((tmp_path / "out").glob(".*partial"))


def test_import_into_another_database_is_exact(tenant_db: Make, tmp_path: Path) -> None:
    dev, sit = site(tenant_db, "dev", tmp_path), site(tenant_db, "sit", tmp_path, 50_000)
    conn = sit.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE wp_stale_plugin (a int)")  # not in the dump: dropped
    conn.close()
    export_database(dev, tmp_path / "out")
    result = import_database(sit, tmp_path / "out", expected_url=f"https://{HOST}")
    assert result.proof.ok, result.proof.problems
    assert result.proof.serialized_values > 50
    assert result.dropped == ["wp_stale_plugin"]
    assert table_state(sit) == table_state(dev)  # rows and CHECKSUM TABLE equal


def test_promote_flow_search_replace_then_import(tenant_db: Make, tmp_path: Path) -> None:
    dev, sit = site(tenant_db, "dev", tmp_path), tenant_db("sit")
    dev_before = table_state(dev)
    manifest = export_database(dev, tmp_path / "out")
    moved = tmp_path / "moved.sql"
    with gzip.open(tmp_path / "out" / DUMP_NAME, "rb") as src, open(moved, "wb") as dst:
        report = search_replace(src, dst, url_pairs(HOST, SIT))
    assert report.skipped_total == 0
    result = import_database(
        sit, moved, manifest=manifest, old_hosts=[HOST], expected_url=f"https://{SIT}"
    )
    assert result.proof.ok and result.proof.urls["home"] == f"https://{SIT}"
    assert table_state(dev) == dev_before
    assert {t: r for t, (r, _) in table_state(sit).items()} == manifest.rows


def test_a_refused_dump_changes_nothing(tenant_db: Make, tmp_path: Path) -> None:
    sit = site(tenant_db, "sit", tmp_path, size=50_000)
    before = table_state(sit)
    pwned = tmp_path / "pwned"
    head = (
        "-- dump\nDROP TABLE IF EXISTS `wp_posts`;\nCREATE TABLE `wp_posts` (ID int);\n"
        "INSERT INTO `wp_posts` VALUES (1),(2);\n"
    )
    for bad in (f"\\! touch {pwned}\n", "USE other_tenant_db;\n", "DROP DATABASE sit_db;\n"):
        dump = tmp_path / "bad.sql"
        dump.write_text(head + bad + "INSERT INTO `wp_posts` VALUES (3);\n")
        with pytest.raises(DumpRefusedError, match="line 5: refused"):
            import_database(sit, dump)
        assert table_state(sit) == before  # no shadow table left either
    assert not pwned.exists()


def test_a_failed_proof_leaves_the_target_as_it_was(tenant_db: Make, tmp_path: Path) -> None:
    dev, sit = site(tenant_db, "dev", tmp_path), site(tenant_db, "sit", tmp_path, 50_000)
    before = table_state(sit)
    export_database(dev, tmp_path / "out")
    with pytest.raises(VerifyFailedError, match="home is"):
        import_database(sit, tmp_path / "out", expected_url="https://elsewhere.test")
    with pytest.raises(VerifyFailedError, match="an old host is left"):
        import_database(sit, tmp_path / "out", old_hosts=[HOST])
    assert table_state(sit) == before


def test_the_proof_finds_broken_serialized_values_with_php(tenant_db: Make, tmp_path: Path) -> None:
    dev = site(tenant_db, "dev", tmp_path)
    conn = dev.connect()
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO wp_options VALUES (100, 'broken', %s, 'no'), (101, 'nested', %s, 'no'),"
            " (102, %s, %s, 'no')",  # two serialized-looking columns in one row, one broken
            ('a:1:{s:5:"short";s:3:"ab";}', 'a:1:{i:0;s:14:"s:5:"abc";x;";}', 's:1:"x";',
             's:2:"x";'),
        )  # fmt: skip
    conn.close()
    names = {t: t for t in table_state(dev)}
    proof = prove_database(dev, names)
    assert len(proof.bad_serialized) == 3, proof.bad_serialized
    assert all(b.startswith("wp_options.option_value value #") for b in proof.bad_serialized)
    assert not proof.ok


def test_a_proof_whose_php_check_cannot_run_raises(tenant_db: Make, tmp_path: Path) -> None:
    """The PHP check runs in a thread beside the counts: its failure still reaches the
    caller (here php-cli is "false", which exits 1 without a word)."""
    dev = site(tenant_db, "dev", tmp_path)
    with pytest.raises(BackendError, match="could not run"):
        prove_database(dev, {t: t for t in table_state(dev)}, php="false")


KILLER = """
import sys
from pathlib import Path
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.importer import import_database
host, port, user, password, db, source = sys.stdin.read().split("\\n")[:6]
import_database(DbSpec(host, int(port), user, password, db), Path(source))
"""


def test_an_import_killed_half_way_leaves_the_target_exactly_as_before(
    tenant_db: Make, tmp_path: Path
) -> None:
    dev, sit = site(tenant_db, "dev", tmp_path, 4_000_000), site(tenant_db, "sit", tmp_path, 50_000)
    before = table_state(sit)
    export_database(dev, tmp_path / "out")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", KILLER], stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    spec = "\n".join([sit.host, str(sit.port), sit.user, sit.password, sit.database])
    proc.stdin.write((spec + f"\n{tmp_path / 'out'}\n").encode())
    proc.stdin.close()
    deadline = time.monotonic() + 30
    while not _loading(sit):  # the load has begun: a shadow table holds rows
        assert proc.poll() is None and time.monotonic() < deadline, "the load never started"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # the orphaned client sees end of input and stops
    after = {t: v for t, v in table_state(sit).items() if not t.startswith(SHADOW)}
    assert after == before
    result = import_database(sit, tmp_path / "out")  # the next import cleans up and works
    assert result.proof.ok
    assert table_state(sit) == table_state(dev)


def _loading(spec: DbSpec) -> bool:
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f"SHOW TABLES LIKE '{SHADOW}wp\\_posts'")
            if not cur.fetchall():
                return False
            cur.execute(f"SELECT COUNT(*) FROM `{SHADOW}wp_posts`")
            return int(cur.fetchone()[0]) > 0
    except Exception:
        return False
    finally:
        conn.close()
