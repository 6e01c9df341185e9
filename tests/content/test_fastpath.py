"""The fast path gives the reference path's bytes and report, on every dump shape."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from benchmarks.wpdump import HOST, generate

from tests.content.test_searchreplace import make_dump
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.rowlines import coalesce
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.urlpairs import url_pairs

NEW = "goldencrust.wpsit.kimmyai.io"
PAIRS = [
    [(HOST, NEW)],
    url_pairs(HOST, NEW),
    [(f"http://{HOST}", f"https://{HOST}"), (HOST, "short.test")],
]


def both(dump: bytes, pairs: list[tuple[str, str]]) -> bytes:
    fast, ref = io.BytesIO(), io.BytesIO()
    fast_report = search_replace(io.BytesIO(dump), fast, pairs)
    ref_report = search_replace(io.BytesIO(dump), ref, pairs, fast=False)
    assert fast.getvalue() == ref.getvalue()
    assert fast_report.to_dict() == ref_report.to_dict()
    return fast.getvalue()


def row_per_line(dump: bytes) -> bytes:
    """mariadb-dump 10.11's shape: the INSERT head alone, then one row per line."""
    return dump.replace(b" VALUES (", b" VALUES\n(").replace(b"),(", b"),\n(")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = Path(tmp_path_factory.mktemp("dump")) / "d.sql"
    generate(path, 300_000, line_bytes=30_000)
    return path.read_bytes()


@pytest.mark.parametrize("pairs", PAIRS)
@pytest.mark.parametrize("shape", ["extended", "row per line"])
def test_generated_dumps(generated: bytes, pairs: list[tuple[str, str]], shape: str) -> None:
    dump = generated if shape == "extended" else row_per_line(generated)
    out = both(dump, pairs)
    assert HOST.encode() not in out or pairs[-1][1] != "short.test"


def test_the_small_wordpress_dump_in_both_shapes() -> None:
    for dump in (make_dump(HOST), row_per_line(make_dump(HOST))):
        for pairs in PAIRS:
            both(dump, pairs)


ODD = [
    b"INSERT INTO `t` VALUES\n(1,'a\nhttps://" + HOST.encode() + b"/x\nb'),\n(2,'y');\n",
    b"INSERT INTO `t` VALUES (1,'it''s https://" + HOST.encode() + b"'),(2,'z');\n",
    b'INSERT INTO `t` VALUES (1,"https://' + HOST.encode() + b"\"),(2,'z');\n",
    b"INSERT INTO `t` VALUES (1,0x" + f"https://{HOST}".encode().hex().encode() + b");\n",
    b"INSERT INTO `t` VALUES (1,'f(1),(2) https://" + HOST.encode() + b"'),(2,'a;b');\n",
    b"INSERT INTO `t` VALUES\n(1,'\\\\https://" + HOST.encode() + b"'),\n(2,CONCAT('a','b'));\n",
    b"INSERT INTO `t` VALUES (1,'https://" + HOST.encode() + b"'); INSERT INTO `u` VALUES (2);\n",
]


@pytest.mark.parametrize("dump", ODD)
def test_odd_shapes_fall_back_to_the_same_bytes(dump: bytes) -> None:
    both(b"-- dump\n" + dump, [(HOST, NEW)])


def test_a_dump_cut_inside_rows_is_reported_as_truncated() -> None:
    """The one difference, on purpose: streaming, the rows before the cut are already
    replaced (the reference passes a cut statement through); both report the cut."""
    dump = b"-- d\nINSERT INTO `t` VALUES\n(1,'https://" + HOST.encode() + b"'),\n"
    out = io.BytesIO()
    report = search_replace(io.BytesIO(dump), out, [(HOST, NEW)])
    assert report.unterminated_statement
    assert out.getvalue() == dump.replace(HOST.encode(), NEW.encode())
    assert search_replace(
        io.BytesIO(dump), io.BytesIO(), [(HOST, NEW)], fast=False
    ).unterminated_statement


def test_row_counter_counts_both_shapes(generated: bytes) -> None:
    counts = []
    for dump in (generated, row_per_line(generated)):
        counter = RowCounter()
        for line in io.BytesIO(dump):
            counter.feed(line)
        counts.append(counter.finish())
    assert counts[0] == counts[1]
    assert counts[0]["wp_options"] == 6 and counts[0]["wp_posts"] > 20


@pytest.mark.parametrize("dump", ODD)
def test_row_counter_agrees_with_the_reference_on_odd_shapes(dump: bytes) -> None:
    data = b"-- dump\n" + dump
    counter = RowCounter()
    for line in io.BytesIO(data):
        counter.feed(line)
    report = search_replace(io.BytesIO(data), None, [(HOST, NEW)], dry_run=True, fast=False)
    assert counter.finish() == {t: c.rows for t, c in report.tables.items()}


@pytest.mark.parametrize("limit", [64, 1000, 1 << 20])
def test_coalesce_reads_files_in_blocks_with_the_line_by_line_invariant(
    generated: bytes, limit: int
) -> None:
    """Blocks read from a file keep every byte, and a block is whole row lines: each
    starts with "(" and all but its last end with "),"; other lines come one by one."""
    odd = b"".join(ODD) + b"INSERT INTO `t` VALUES\n(1,'a'),\n(2,'b') ;\n(3,'not rows')"
    for dump in (generated, row_per_line(generated), odd, odd.rstrip(b")'")):
        items = list(coalesce(io.BytesIO(dump), limit))
        assert b"".join(items) == dump
        assert b"".join(coalesce(iter(io.BytesIO(dump).readlines()), limit)) == dump
        for item in items:
            lines = item.splitlines(keepends=True)
            if item[:1] != b"(":
                assert len(lines) == 1
                continue
            assert all(x[:1] == b"(" for x in lines)
            assert all(x.endswith(b"),\n") for x in lines[:-1])
