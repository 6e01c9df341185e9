"""The proof measures each shadow table as soon as the client has loaded it, while the
next tables load (content/loadproof.py), against a real MariaDB and real php-cli."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from benchmarks.wpdump import HOST

from tests.content.conftest import table_state
from tests.content.test_transfer import site
from wpfleet.content import importer
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.dbproof import DbProof
from wpfleet.content.export import export_database
from wpfleet.content.importer import import_database
from wpfleet.content.loadproof import EarlyProof
from wpfleet.errors import VerifyFailedError

Make = Callable[[str], DbSpec]


def test_tables_are_measured_as_they_are_loaded(
    tenant_db: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table but the last is announced by the client's marker and measured early;
    the result is the same proof and the same tables as ever."""
    announced: list[str] = []

    class Recording(EarlyProof):
        def loaded(self, name: str) -> None:
            announced.append(name)
            super().loaded(name)

    monkeypatch.setattr(importer, "EarlyProof", Recording)
    dev, sit = site(tenant_db, "dev", tmp_path), tenant_db("sit")
    manifest = export_database(dev, tmp_path / "out")
    result = import_database(sit, tmp_path / "out", expected_url=f"https://{HOST}")
    assert announced == result.tables[:-1] and len(announced) >= 2
    assert result.proof.ok and result.proof.rows == manifest.rows
    assert result.proof.serialized_values > 50
    assert table_state(sit) == table_state(dev)


HEAD = "SET autocommit=0;\nDROP TABLE IF EXISTS `a`;\nCREATE TABLE `a` (id int, v text);\n"
B_ROWS = 400_000  # b loads for a while: a's early measure is done before a is written again
BACK = (
    "INSERT INTO `a` VALUES (1,'a:1:{i:0;s:1:\"x\";}'),(2,'two');\n"
    "DROP TABLE IF EXISTS `b`;\nCREATE TABLE `b` (id int);\n"
    + "".join(
        "INSERT INTO `b` VALUES " + ",".join(f"({i})" for i in range(n, n + 10_000)) + ";\n"
        for n in range(0, B_ROWS, 10_000)
    )
    + "INSERT INTO `a` VALUES (3,LATE);\nCOMMIT;\n"
)


def test_a_table_the_dump_comes_back_to_is_measured_as_it_ends(
    tenant_db: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written to ``a`` after the client announced it loaded are counted, and a
    broken serialized value among them fails the proof (the early measure of ``a`` saw
    2 clean rows: it must not be the one judged). The dump's own transaction still works."""
    early_rows: list[dict[str, int]] = []

    class Recording(EarlyProof):
        def _measure(self, names: list[str]) -> DbProof:
            part = super()._measure(names)
            early_rows.append(part.rows)
            return part

    monkeypatch.setattr(importer, "EarlyProof", Recording)
    sit = tenant_db("sit")
    dump = tmp_path / "back.sql"
    dump.write_text(HEAD + BACK.replace("LATE", "'three'"))
    result = import_database(sit, dump)
    assert early_rows[0] == {"a": 2}  # measured while b loaded
    assert result.proof.ok, result.proof.problems
    assert result.proof.rows == {"a": 3, "b": B_ROWS}
    assert {t: r for t, (r, _) in table_state(sit).items()} == {"a": 3, "b": B_ROWS}
    before = table_state(sit)
    dump.write_text(HEAD + BACK.replace("LATE", "'a:1:{i:0;s:9:\"x\";}'"))
    with pytest.raises(VerifyFailedError, match="do not unserialize"):
        import_database(sit, dump)
    assert table_state(sit) == before
