"""The C-speed scan (wpfleet.content.fastscan) gives the reference path's bytes and
report on the inputs it must either handle exactly or hand back: quotes and backslashes
next to a needle, escapes mysqldump never writes, serialized values, pair order."""

from __future__ import annotations

import io

import pytest
from benchmarks.wpdump import HOST

from tests.content.test_fastpath import both, row_per_line
from wpfleet.content.fastscan import Scan, cut
from wpfleet.content.phpserial import PHPObject, dumps
from wpfleet.content.rowcount import RowCounter
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.sqldump import sql_escape

NEW = "goldencrust.wpsit.kimmyai.io"
H = HOST.encode()
URL = b"https://" + H
AT = len(b"INSERT INTO `t` VALUES ")


def lit(value: bytes) -> bytes:
    return b"'" + sql_escape(value) + b"'"


def insert(*rows: bytes, table: bytes = b"t") -> bytes:
    return b"INSERT INTO `" + table + b"` VALUES " + b",".join(rows) + b";\n"


def many(row: bytes, n: int = 40) -> list[bytes]:
    """``row`` among short rows: enough literals per byte for the bulk's "many short
    literals" way of finding needles (the other way is taken for long literals)."""
    return [b"(%d,'k','v')" % i for i in range(n)] + [row]


SERIALIZED = [
    dumps({"a": 'x ";y', "u": URL.decode()}),  # '";' inside a string
    dumps({"payload": dumps([URL.decode() + "/inner", {"deep": dumps(URL.decode())}])}),
    dumps(PHPObject("WP_Thing", {"\0*\0url": URL.decode() + "/p", "\0WP_Thing\0id": 3})),
    b'  \n a:1:{i:0;s:%d:"%s";}' % (len(URL), URL),  # leading whitespace, escaped \n
]
VALUES = [
    b"it's " + URL,  # \' before the needle
    URL + b" it's",  # \' after it
    b"\\" + URL,  # an escaped backslash right before the needle
    URL + b"\\",  # ... and right after it (the literal ends with \\')
    b"C:\\new\\" + URL + b"\\\\",  # \\n: a backslash then n, not an escape
    b'<a href="' + URL + b'">";</a>',
    b"line\nbreak\r\n" + URL + b"\0nul\x1asub",
    URL + b"/a" * 3 + b" " + URL,
    *SERIALIZED,
]
# spelled in ways mysqldump never writes: the reference re-escapes a changed value
NOT_MYSQLDUMP = [
    b"'x\\/y " + URL + b"'",
    b"'tab\\there " + URL + b"'",
    b'\'bare "quote" ' + URL + b"'",
    b"'bare \r cr " + URL + b"'",
    b"'100\\% " + URL + b"'",
    b"'it''s " + URL + b"'",
]
PAIRS = [
    [(HOST, NEW)],
    [(f"http://{HOST}", f"https://{HOST}"), (HOST, "short.test")],  # order matters
    [(HOST, f"www.{HOST}")],  # NEW holds OLD: some literal still holds a needle after
    [(HOST, "b.test"), ("b.test", HOST)],  # the second pair undoes the first
]


@pytest.mark.parametrize("pairs", PAIRS)
@pytest.mark.parametrize("value", VALUES)
def test_values_next_to_quotes_and_escapes(value: bytes, pairs: list[tuple[str, str]]) -> None:
    row = b"(1," + lit(value) + b",'" + H + b"')"
    for dump in (insert(row), insert(*many(row)), insert(row, b"(2,'x')", table=b"p")):
        for shape in (dump, row_per_line(dump)):
            both(b"-- d\n" + shape, pairs)


@pytest.mark.parametrize("literal", NOT_MYSQLDUMP)
def test_escapes_mysqldump_never_writes_give_the_reference_bytes(literal: bytes) -> None:
    row = b"(1," + literal + b")"
    for dump in (insert(row), insert(*many(row))):
        both(b"-- d\n" + dump, [(HOST, NEW)])
        both(b"-- d\n" + row_per_line(dump), [(HOST, NEW)])


def test_a_last_line_without_newline_and_a_needle_in_the_table_name() -> None:
    dump = b"-- d\n" + insert(b"(1,'" + URL + b"')").rstrip(b"\n")
    assert both(dump, [(HOST, NEW)]).endswith(b"');")
    both(b"-- d\n" + insert(b"(1,'" + URL + b"')", table=H), [(HOST, NEW)])


def test_a_report_from_the_scan_counts_rows_and_values_changed() -> None:
    rows = [b"(1,'" + URL + b"','" + URL + b"')", b"(2,'f(1),(2)','x')", b"(3,'y','" + URL + b"')"]
    report = search_replace(
        io.BytesIO(b"-- d\n" + insert(*rows)), None, [(HOST, NEW)], dry_run=True
    )
    assert report.to_dict()["tables"] == {"t": {"rows": 3, "rows_changed": 2, "values_changed": 3}}


def test_cut_glues_escaped_quotes_only() -> None:
    assert cut(b"(1,'a\\'b','c\\\\'),(2,'')") == [
        b"(1,",
        b"a\\'b",
        b",",
        b"c\\\\",
        b"),(2,",
        b"",
        b")",
    ]
    scan = Scan.of(b"INSERT INTO `t` VALUES (1,'a\\'b');", AT)
    assert scan is not None and scan.skeleton == b"(1,\x01);" and scan.canonical
    assert Scan.of(b"INSERT INTO `t` VALUES (1,'a');", AT) is not None
    assert Scan.of(b"INSERT INTO `t` VALUES (1,'a);", AT) is None  # unclosed


@pytest.mark.parametrize(
    ("body", "canonical"),
    [
        (b"a\\nb\\r\\0\\Z\\'\\\"\\\\", True),
        (b"\\\\/\\\\/x", True),
        (b"\\\\\\nb", True),  # an escaped backslash, then \n
        (b"\\/", False),
        (b"\\t", False),
        (b'"', False),
        (b'\\\\"', False),  # an escaped backslash, then a bare "
        (b"\r", False),
        (b"\\\\\\", False),  # ends with an odd run: the closing quote is escaped
    ],
)
def test_canonical_means_what_sql_escape_writes(body: bytes, canonical: bool) -> None:
    stmt = b"INSERT INTO `t` VALUES (1,'" + body + b"'),(2,'" + b"x" * 200 + b"');"
    scan = Scan.of(stmt, AT)
    assert (scan is not None and scan.canonical) is canonical
    many_escapes = stmt.replace(b"x" * 200, b'\\"' * 200)  # the other way of checking
    scan = Scan.of(many_escapes, AT)
    assert (scan is not None and scan.canonical) is canonical


def test_row_counter_agrees_on_escaped_quotes() -> None:
    data = b"-- d\n" + insert(b"(1,'a\\'b(','c\\\\'),(2,'')", b"(3,'),(')")
    counter = RowCounter()
    for line in io.BytesIO(data):
        counter.feed(line)
    assert counter.finish() == {"t": 3}
