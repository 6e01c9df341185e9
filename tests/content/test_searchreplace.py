"""Search-replace over a dump: exact bytes out, serialized data intact, a truthful report."""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import requires
from wpfleet.content.phpserial import PHPObject, dumps, parse
from wpfleet.content.proof import verify_dump
from wpfleet.content.searchreplace import Replacer, search_replace
from wpfleet.content.sqldump import (
    NotADumpError,
    create_table_columns,
    sql_escape,
    sql_unescape,
)
from wpfleet.errors import ExitStatus, UsageError

OLD = "goldencrust.wpdev.kimmyai.io"
NEW = "goldencrust.kimmyai.io"  # shorter: a plain replace would break s:N lengths
SANDBOX = b"/*M!999999\\- enable the sandbox mode */\n"


def q(value: str | bytes) -> str:
    """A SQL literal escaped as mysqldump writes it (written here, not the module's)."""
    text = value.decode("utf-8") if isinstance(value, bytes) else value
    for raw, esc in (
        ("\\", "\\\\"),
        ("\0", "\\0"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\x1a", "\\Z"),
        ("'", "\\'"),
        ('"', '\\"'),
    ):
        text = text.replace(raw, esc)
    return f"'{text}'"


def options(d: str) -> list[tuple[int, str, str | bytes, str]]:
    roles = {
        "administrator": {
            "name": "Administrator",
            "capabilities": {"switch_themes": True, "edit_posts": True, "level_10": True},
        },
        "subscriber": {"name": "Subscriber", "capabilities": {"read": True, "level_0": True}},
    }
    widget = {
        2: {
            "title": 'Café ☕ "menu"',
            "text": f'<a href="https://{d}/menu">It\'s back\\slash</a>',
            "filter": True,
            "visual": False,
        },
        "_multiwidget": 1,
    }
    sidebars = {"wp_inactive_widgets": [], "sidebar-1": ["text-2"], "array_version": 3}
    header = PHPObject(
        "stdClass",
        {"url": f"https://{d}/x.png", "width": 1200, "ratio": 0.75, "neg": -3, "none": None},
    )
    mods = {
        "custom_logo": 12,
        "header_image": f"https://{d}/wp-content/uploads/logo.png",
        "header_image_data": header,
        f"https://{d}/as-key": "k",
    }
    nested = {"payload": dumps([f"http://{d}/inner", {"deep": dumps(f"https://{d}")}])}
    rest = f'{{"url":"https:\\/\\/{d}\\/api","cb":"https%3A%2F%2F{d}%2Fcb"}}'
    return [
        (1, "siteurl", f"https://{d}", "yes"),
        (2, "home", f"https://{d}", "yes"),
        (3, "blogdescription", 'It\'s "fresh"\nbaked\\daily\r\0\x1a', "yes"),
        (4, "wp_user_roles", dumps(roles), "yes"),
        (5, "widget_text", dumps(widget), "yes"),
        (6, "sidebars_widgets", dumps(sidebars), "yes"),
        (7, "theme_mods_twentytwentyfour", dumps(mods), "yes"),
        (8, "nested_plugin", dumps(nested), "no"),
        (9, "rest_cache", rest, "no"),
    ]


def posts(d: str) -> list[tuple[int, str, str, str]]:
    block = f'<!-- wp:image {{"url":"https:\\/\\/{d}\\/wp-content\\/uploads\\/a.jpg"}} -->'
    return [
        (1, block + f'<img src="https://{d}/a.jpg">', f"https://{d}/?p=1", "Hello wörld"),
        (2, f"Share: https://x.test/i?u=https%3A%2F%2F{d}%2Fpost", f"https://{d}/?p=2", "a; b"),
        (3, "plain text, no url", f"http://{d}/?page_id=3", "Page (with parens)"),
    ]


def make_dump(d: str, *, sandbox: bool = True) -> bytes:
    """A mysqldump-shaped dump of a small WordPress site whose domain is ``d``."""
    opt_rows = ",".join(f"({i},{q(n)},{q(v)},{q(a)})" for i, n, v, a in options(d))
    post_rows = ",".join(f"({i},{q(c)},{q(g)},{q(t)})" for i, c, g, t in posts(d))
    meta = dumps({"file": "2026/11/a.jpg", "sizes": {"thumb": {"file": "a-150.jpg"}}})
    text = f"""-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `wp_options`;
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` varchar(20) NOT NULL DEFAULT 'yes',
  PRIMARY KEY (`option_id`),
  KEY `autoload` (`autoload`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='options; (all)';
LOCK TABLES `wp_options` WRITE;
/*!40000 ALTER TABLE `wp_options` DISABLE KEYS */;
INSERT INTO `wp_options` VALUES {opt_rows};
/*!40000 ALTER TABLE `wp_options` ENABLE KEYS */;
UNLOCK TABLES;
CREATE TABLE `wp_posts` (
  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `post_content` longtext NOT NULL,
  `guid` varchar(255) NOT NULL DEFAULT '',
  `post_title` text NOT NULL,
  PRIMARY KEY (`ID`)
);
INSERT INTO `wp_posts` VALUES {post_rows};
CREATE TABLE `wp_postmeta` (
  `meta_id` bigint(20) unsigned NOT NULL,
  `meta_key` varchar(255) DEFAULT NULL,
  `meta_value` longtext
);
INSERT INTO `wp_postmeta` VALUES (1,'_wp_attachment_metadata',{q(meta)}),(2,'empty',NULL);
-- Dump completed on 2026-11-22 21:00:00
"""
    return (SANDBOX if sandbox else b"") + text.encode("utf-8")


def run(data: bytes, pairs: list[tuple[str, str]], **kw: Any) -> tuple[bytes, Any]:
    out = io.BytesIO()
    report = search_replace(io.BytesIO(data), out, pairs, **kw)
    return out.getvalue(), report


URL_PAIRS = [(f"https://{OLD}", f"https://{NEW}"), (f"http://{OLD}", f"http://{NEW}")]


def test_replace_gives_exactly_the_dump_of_the_new_domain() -> None:
    out, report = run(make_dump(OLD), [(OLD, NEW)])
    assert out == make_dump(NEW)
    assert report.pairs[0].plain == 16
    assert report.pairs[0].json == 0  # a bare domain has no '/': its JSON form is the same
    assert {t: vars(c) for t, c in report.tables.items()} == {
        "wp_options": {"rows": 9, "rows_changed": 6, "values_changed": 6},
        "wp_posts": {"rows": 3, "rows_changed": 3, "values_changed": 5},
        "wp_postmeta": {"rows": 2, "rows_changed": 0, "values_changed": 0},
    }
    assert report.skipped == []


def test_url_pairs_replace_plain_json_and_urlencoded_forms() -> None:
    out, report = run(make_dump(OLD), URL_PAIRS)
    assert out == make_dump(NEW)
    https, http = report.pairs
    assert (https.plain, https.json, https.urlencoded) == (10, 2, 2)
    assert (http.plain, http.json, http.urlencoded) == (2, 0, 0)


def test_the_result_proves_itself() -> None:
    before = verify_dump(io.BytesIO(make_dump(OLD)), [OLD])
    out, report = run(make_dump(OLD), URL_PAIRS)
    after = verify_dump(io.BytesIO(out), [OLD, f"https://{OLD}"])
    assert after.ok
    assert after.rows == {"wp_options": 9, "wp_posts": 3, "wp_postmeta": 1 + 1}
    assert after.rows_match(before.rows)
    assert after.rows == {t: c.rows for t, c in report.tables.items()}
    assert after.serialized_values == 8  # 5 options + 1 meta, and 2 nested inside them


def test_verify_finds_the_old_domain_in_every_form() -> None:
    proof = verify_dump(io.BytesIO(make_dump(OLD)), [f"https://{OLD}"])
    assert not proof.ok
    forms = {(p.table, p.row, p.detail.split(" ")[-1]) for p in proof.leftovers}
    assert ("wp_options", 9, "(json)") in forms
    assert ("wp_options", 9, "(urlencoded)") in forms
    assert ("wp_posts", 1, "(json)") in forms
    assert ("wp_posts", 2, "(urlencoded)") in forms
    assert ("wp_options", 1, "(plain)") in forms


def test_verify_ignores_case_and_finds_broken_serialized_values() -> None:
    dump = (
        b"CREATE TABLE `t` (\n  `v` text\n);\n"
        b"INSERT INTO `t` VALUES ('HTTPS://OLD.TEST/'),('s:3:\\\"ab\\\";'),"
        b'(\'a:1:{i:0;s:9:\\"s:1:\\"xy\\";\\";}\');\n'
    )
    proof = verify_dump(io.BytesIO(dump), ["https://old.test"])
    assert [(p.row, p.detail) for p in proof.leftovers] == [(1, "https://old.test (plain)")]
    assert [(p.row, p.detail) for p in proof.bad_serialized] == [
        (2, "length 3 does not end at '\";' at byte 8"),
        (3, "length 1 does not end at '\";' at byte 6"),  # the nested one is broken
    ]


def test_dry_run_writes_nothing_and_counts_what_a_real_run_changes() -> None:
    dry = search_replace(io.BytesIO(make_dump(OLD)), None, URL_PAIRS, dry_run=True)
    _, real = run(make_dump(OLD), URL_PAIRS)
    assert dry.dry_run and not real.dry_run
    assert {**dry.to_dict(), "dry_run": False} == real.to_dict()
    assert dry.replacements == 16


def test_skip_columns_are_honoured_qualified_or_not() -> None:
    out, report = run(make_dump(OLD), [(OLD, NEW)], skip_columns=["wp_posts.guid"])
    guids = re.findall(rb"'https?://[^']*\?p[^']*'", out)
    assert guids == [
        f"'https://{OLD}/?p=1'".encode(),
        f"'https://{OLD}/?p=2'".encode(),
        f"'http://{OLD}/?page_id=3'".encode(),
    ]
    assert report.tables["wp_posts"].values_changed == 2
    assert report.skip_columns_unused == []
    out2, report = run(make_dump(OLD), [(OLD, NEW)], skip_columns=["GUID", "option_value", "x.y"])
    assert report.skip_columns_unused == ["x.y"]
    assert out2.count(OLD.encode()) == make_dump(OLD).count(OLD.encode()) - 3  # post_content


def test_skip_columns_use_the_insert_column_list() -> None:
    dump = b"INSERT INTO `t` (`a`, `b`) VALUES ('x','x'),('x','y');\n"
    out, _ = run(dump, [("x", "z")], skip_columns=["t.b"])
    assert out == b"INSERT INTO `t` (`a`, `b`) VALUES ('z','x'),('z','y');\n"


def test_skip_columns_without_column_names_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no CREATE TABLE for 't'"):
        run(b"INSERT INTO `t` VALUES ('x');\n", [("x", "z")], skip_columns=["t.a"])


def test_pair_order_matters() -> None:
    dump = b"INSERT INTO `t` VALUES ('a b','s:3:\\\"a b\\\";');\n"
    out, report = run(dump, [("a", "bb"), ("b", "c")])
    assert out == b"INSERT INTO `t` VALUES ('cc c','s:4:\\\"cc c\\\";');\n"
    assert [p.total for p in report.pairs] == [2, 6]
    out, report = run(dump, [("b", "c"), ("a", "bb")])
    assert out == b"INSERT INTO `t` VALUES ('bb c','s:4:\\\"bb c\\\";');\n"
    assert [p.total for p in report.pairs] == [2, 2]


def test_sandbox_line_is_kept_unless_asked() -> None:
    out, report = run(make_dump(OLD), [("nothing-here", "x")])
    assert out == make_dump(OLD)  # byte for byte when nothing matches
    assert not report.sandbox_line_stripped
    out, report = run(make_dump(OLD), [("nothing-here", "x")], strip_sandbox_line=True)
    assert out == make_dump(OLD, sandbox=False)
    assert report.sandbox_line_stripped


def test_sql_escapes_quotes_and_multiline_statements() -> None:
    dump = (
        b"INSERT INTO `t` VALUES\n"
        b"(1,'it''s old.test; really','\"old.test\"'),\n"
        b'(2,\'line\nbreak old.test\',"dq \\"old.test\\" "),\n'
        b"(3,_binary 'old.test\\0',0x6F6C642E74657374);\n"
        b"INSERT INTO `t` VALUES (4,'old.test');\n"
    )
    out, report = run(dump, [("old.test", "new.example")])
    assert out == (
        b"INSERT INTO `t` VALUES\n"
        b"(1,'it\\'s new.example; really','\\\"new.example\\\"'),\n"
        b"(2,'line\\nbreak new.example','dq \\\"new.example\\\" '),\n"
        b"(3,_binary 'new.example\\0',0x6E65772E6578616D706C65);\n"
        b"INSERT INTO `t` VALUES (4,'new.example');\n"
    )
    assert report.tables["t"].rows == 4
    assert report.tables["t"].values_changed == 7


def test_sql_unescape_and_escape() -> None:
    body = rb"a\'b''c\"d\\e\nf\rg\0h\Zi\%j\_k\tl\qm"
    assert sql_unescape(body) == b"a'b'c\"d\\e\nf\rg\0h\x1ai\\%j\\_k\tlqm"
    assert sql_escape(b"a'b\"c\\d\ne\rf\0g\x1ah") == rb"a\'b\"c\\d\ne\rf\0g\Zh"


def test_replacer_nested_serialized_strings_get_exact_lengths() -> None:
    r = Replacer([("http://a.test", "https://www.a.test")])
    counts = r.zero()
    data = b'a:1:{i:0;s:31:"a:1:{i:0;s:13:"http://a.test";}";}'
    new = r.value(data, counts, [])
    assert new == b'a:1:{i:0;s:36:"a:1:{i:0;s:18:"https://www.a.test";}";}'
    assert counts == [1, 0, 0]


def test_replacer_keeps_references_objects_and_multibyte() -> None:
    r = Replacer([("a.test", "ü.test")])
    data = b'O:8:"stdClass":2:{s:1:"u";s:13:"http://a.test";s:1:"r";R:2;}'
    new = r.value(data, r.zero(), [])
    assert new == 'O:8:"stdClass":2:{s:1:"u";s:14:"http://ü.test";s:1:"r";R:2;}'.encode()


def test_replacer_keys_and_key_collisions() -> None:
    r = Replacer([("old", "new")])
    assert r.value(b'a:1:{s:3:"old";i:1;}', r.zero(), []) == b'a:1:{s:3:"new";i:1;}'
    problems: list[str] = []
    data = b'a:2:{s:3:"old";s:3:"old";s:3:"new";i:2;}'
    assert r.value(data, r.zero(), problems) == b'a:2:{s:3:"old";s:3:"new";s:3:"new";i:2;}'
    assert problems == ["replacing in array keys would make two keys equal: keys left"]


def test_broken_serialized_values_are_skipped_unless_lengths_cannot_change() -> None:
    broken = b's:99:"https://old.test/";'
    problems: list[str] = []
    counts = [0, 0, 0]
    r = Replacer([("old.test", "new.example")])
    assert r.value(broken, counts, problems) == broken
    assert counts == [0, 0, 0]
    assert problems == [
        "serialized value does not parse: length 99 runs past the end at byte 0; "
        "a plain replace would change its lengths: left unchanged"
    ]
    same = Replacer([("old.test", "new.test")])
    assert same.value(broken, same.zero(), []) == b's:99:"https://new.test/";'
    # parses but not canonical (s:05): plain replace that keeps lengths valid is fine
    r2 = Replacer([("hello", "help!")])
    assert r2.value(b's:05:"hello";', r2.zero(), []) == b's:05:"help!";'


def test_custom_serialized_payloads_are_reported() -> None:
    r = Replacer([("old.test", "new.test")])
    problems: list[str] = []
    data = b'a:1:{i:0;C:3:"Foo":8:{old.test}}'
    assert r.value(data, r.zero(), problems) == data
    assert problems == ["custom-serialized object C:Foo left unchanged (opaque payload)"]


def test_skipped_values_are_in_the_report() -> None:
    dump = b"INSERT INTO `t` (`id`,`v`) VALUES (1,'s:99:\\\"https://old.test/\\\";');\n"
    out, report = run(dump, [("old.test", "new.example")])
    assert out == dump
    assert report.skipped_total == 1
    skipped = report.skipped[0]
    assert (skipped.table, skipped.column, skipped.row) == ("t", "v", 1)
    assert report.pairs[0].total == 0


def test_create_table_columns() -> None:
    stmt = (
        b"CREATE TABLE IF NOT EXISTS `db`.`wp_x` (\n  `a` int,\n  b_plain decimal(10,2),\n"
        b"  `c``q` text COMMENT 'x, y',\n  PRIMARY KEY (`a`),\n  UNIQUE KEY `u` (`a`,b_plain)\n);"
    )
    assert create_table_columns(stmt) == ("wp_x", ["a", "b_plain", "c`q"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (gzip.compress(b"-- dump\n", mtime=0), "gzip-compressed"),
        (b"hello world\nINSERT INTO `t` VALUES ('x');\n", "does not look like an SQL dump"),
        (b"\x00\x01binary", "does not look like an SQL dump"),
    ],
)
def test_not_a_dump_is_a_usage_error(data: bytes, message: str) -> None:
    out = io.BytesIO()
    with pytest.raises(NotADumpError, match=message):
        search_replace(io.BytesIO(data), out, [("a", "b")])
    assert out.getvalue() == b""


def test_an_empty_old_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty OLD"):
        run(b"-- x\n", [("", "b")])


def _serialized_literals(dump: bytes) -> list[bytes]:
    """Every quoted literal of the dump that looks serialized, unescaped (test's own regex)."""
    values = []
    for body in re.findall(rb"'((?:[^'\\]|\\.|'')*)'", dump, re.S):
        value = re.sub(rb"\\(.)", lambda m: {b"n": b"\n", b"0": b"\0"}.get(m[1], m[1]), body)
        if re.match(rb"[aOs]:\d+:", value):
            values.append(value)
    return values


def test_real_php_unserializes_every_replaced_value() -> None:
    requires.require({"php": "php-cli"}, "checking with PHP's unserialize")
    out, _ = run(make_dump(OLD), URL_PAIRS)
    values = _serialized_literals(out)
    assert len(values) == 6
    for value in values:
        parse(value)  # ours agrees first
    # ok when PHP unserializes the value, every serialized string nested in it, and writes
    # the same bytes back; the count of nested values checked follows the "ok"
    script = r"""
function check($v, &$n) {
    $u = @unserialize($v);
    if ($u === false || serialize($u) !== $v) return false;
    $ok = true;
    if (is_array($u)) array_walk_recursive($u, function ($x) use (&$ok, &$n) {
        if (is_string($x) && preg_match('/^[aOs]:\d+:/', $x)) { $n++; $ok = $ok && check($x, $n); }
    });
    if (is_object($u)) foreach (get_object_vars($u) as $x) {
        if (is_string($x) && preg_match('/^[aOs]:\d+:/', $x)) { $n++; $ok = $ok && check($x, $n); }
    }
    return $ok;
}
while (($l = fgets(STDIN)) !== false) {
    $n = 0; echo check(base64_decode(trim($l)), $n) ? "ok$n" : "BAD", "\n";
}
"""
    lines = b"\n".join(base64.b64encode(v) for v in values) + b"\n"
    done = subprocess.run(
        ["php", "-r", script], input=lines, capture_output=True, check=True, timeout=30
    )
    assert done.stdout.decode().split() == ["ok0", "ok0", "ok0", "ok0", "ok2", "ok0"]


# --- the CLI -------------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from wpfleet.cli import cmd_content  # noqa: F401  (registers `content` until main does)
    from wpfleet.cli.main import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_gzip_and_proves_it(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = tmp_path / "in.sql", tmp_path / "out.sql.gz"
    src.write_bytes(make_dump(OLD))
    args = ["content", "search-replace", str(src), str(dst), "-r", f"{OLD}={NEW}"]
    code, out, err = cli(capsys, "-o", "json", *args, "--for-mysql")
    assert (code, err) == (0, "")
    assert gzip.decompress(dst.read_bytes()) == make_dump(NEW, sandbox=False)
    data = json.loads(out)
    assert data["replacements"] == 16
    assert data["proof"]["ok"] is True
    assert data["proof"]["rows"] == {"wp_options": 9, "wp_posts": 3, "wp_postmeta": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.sql", "out.sql.gz"]


def test_cli_dry_run_and_skip_column(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(make_dump(OLD))
    args = ["content", "search-replace", str(src), "--dry-run", "-r", f"{OLD}={NEW}"]
    code, out, _ = cli(capsys, *args, "--skip-column", "wp_posts.guid")
    assert code == 0
    assert "dry run" in out
    assert re.search(r"wp_posts\s*│\s*3\s*│\s*2\s*│\s*2\s*│", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.sql"]


def test_cli_fails_the_proof_when_a_value_is_skipped(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.sql", tmp_path / "out.sql"
    src.write_bytes(b"INSERT INTO `t` (`v`) VALUES ('s:99:\\\"https://old.test/\\\";');\n")
    code, out, err = cli(capsys, "content", "search-replace", str(src), str(dst), "-r", "old=n")
    assert code == ExitStatus.VERIFY_FAILED
    assert "does not parse" in out
    assert "1 value(s) still hold an OLD text; 1 serialized value(s) do not parse" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-r", "nothing"], "has no '='"),
        (["-r", "=new"], "has an empty OLD"),
        (["-r", "a=a"], "replaces a text with itself"),
        ([], "nothing to replace"),
        (["-r", "https://old.test/?p=1=https://new.test/?p=1"], "is ambiguous: it holds 3 '='"),
        (["-r", "a==b"], "is ambiguous"),
        (["--old", "a", "--old", "b", "--new", "c"], "2 --old but 1 --new"),
        (["--old", "", "--new", "x"], "an empty OLD"),
        (["--old", "q=1", "--new", "q=1"], "replaces a text with itself"),
    ],
)
def test_cli_rejects_bad_pairs(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(make_dump(OLD))
    code, _, err = cli(capsys, "content", "search-replace", str(src), str(tmp_path / "o"), *args)
    assert code == ExitStatus.USAGE
    assert message in err
    assert "hint:" in err


def test_cli_old_new_pairs_may_hold_equals_signs(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``=`` in OLD/NEW (query strings, attributes) replaces exactly that text, nothing else."""
    src, dst = tmp_path / "in.sql", tmp_path / "out.sql"
    src.write_bytes(
        b"INSERT INTO `t` VALUES (1,'<a href=\\\"https://old.test/?p=1\\\">'),"
        b"(2,'https://old.test/?p=2'),(3,'x=1');\n"
    )
    args = ["--old", 'href="https://old.test/?p=1', "--new", 'href="https://new.test/?page=1']
    args += ["-r", "x=y", "--old", "p=2", "--new", "page=2"]
    code, _, _ = cli(capsys, "content", "search-replace", str(src), str(dst), *args)
    assert code == ExitStatus.OK
    assert dst.read_bytes() == (
        b"INSERT INTO `t` VALUES (1,'<a href=\\\"https://new.test/?page=1\\\">'),"
        b"(2,'https://old.test/?page=2'),(3,'y=1');\n"
    )


def test_cli_rejects_what_is_not_a_dump(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = tmp_path / "notes.txt", tmp_path / "out.sql"
    src.write_text("just some notes\n")
    code, _, err = cli(capsys, "content", "search-replace", str(src), str(dst), "-r", "a=b")
    assert code == ExitStatus.USAGE
    assert "does not look like an SQL dump" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    code, _, err = cli(capsys, "content", "search-replace", str(src), str(src), "-r", "a=b")
    assert (code, "DUMP and OUT are the same file" in err) == (ExitStatus.USAGE, True)


def test_routines_and_triggers_pass_through_and_a_bom_is_fine() -> None:
    dump = (
        b"\xef\xbb\xbf-- dump\n"
        b"DELIMITER ;;\n"
        b"/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
        b"INSERT INTO log VALUES ('old.test');\n"
        b"END */;;\n"
        b"DELIMITER ;\n"
        b"INSERT INTO `x` VALUES ('old.test');\n"
    )
    out, report = run(dump, [("old.test", "new.test")])
    last = b"INSERT INTO `x` VALUES ('old.test');\n"
    assert out == dump[: -len(last)] + b"INSERT INTO `x` VALUES ('new.test');\n"
    assert out.count(b"old.test") == 1  # the trigger body is code, not data
    proof = verify_dump(io.BytesIO(out), ["old.test"])
    assert (proof.ok, proof.outside_rows, proof.rows) == (True, 1, {"x": 1})
    assert report.tables["x"].values_changed == 1
    assert "log" not in report.tables


def test_the_cli_module_stays_light() -> None:
    probe = (
        "import sys; import wpfleet.cli.cmd_content; "
        "print(','.join(m for m in sys.modules if m.startswith('wpfleet.content.')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_verify_skips_the_columns_a_replace_skipped() -> None:
    out, _ = run(make_dump(OLD), [(OLD, NEW)], skip_columns=["wp_posts.guid"])
    assert verify_dump(io.BytesIO(out), [OLD]).leftovers_total == 3
    assert verify_dump(io.BytesIO(out), [OLD], skip_columns=["wp_posts.guid"]).ok


def test_report_as_data() -> None:
    dump = b"INSERT INTO `t` (`id`,`v`) VALUES (1,'https://old.test/a'),(2,'x');\n"
    _, report = run(dump, [("https://old.test", "https://new.test")], skip_columns=["t.nope"])
    assert report.to_dict() == {
        "dry_run": False,
        "replacements": 1,
        "values_changed": 1,
        "pairs": [
            {
                "old": "https://old.test",
                "new": "https://new.test",
                "plain": 1,
                "json": 0,
                "urlencoded": 0,
                "total": 1,
            }
        ],
        "tables": {"t": {"rows": 2, "rows_changed": 1, "values_changed": 1}},
        "skipped_total": 0,
        "skipped": [],
        "sandbox_line_stripped": False,
        "statements_not_understood": 0,
        "unterminated_statement": False,
        "skip_columns_unused": ["t.nope"],
    }


PIECES = ["https://{d}/", "it's", '"q"', "back\\slash", "\n\r\t", "\0\x1a", "ü☕", "{d}", "x"]


def _random_value(rng: Any, d: str, depth: int = 0) -> Any:
    pieces = [p.format(d=d) for p in PIECES]
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice([None, True, False, -7, 3, 0.25, -1e-9])
    if kind in (1, 2, 3):
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(4)))
    if kind == 4:
        return dumps(_random_value(rng, d, depth + 1)).decode("utf-8")  # serialized in a string
    if kind == 5:
        return [_random_value(rng, d, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 6:
        return {f"k{i}": _random_value(rng, d, depth + 1) for i in range(rng.randrange(4))}
    return PHPObject("WP_Thing", {"p": _random_value(rng, d, depth + 1)})


def _random_dump(seed: int, d: str) -> bytes:
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(60):
        value = _random_value(rng, d)
        plain = "".join(rng.choice(PIECES) for _ in range(5)).format(d=d).encode("utf-8")
        text = dumps(value) if rng.random() < 0.7 else plain
        rows.append(f"({i},{q(text)})")
    head = "CREATE TABLE `wp_meta` (\n  `id` int,\n  `v` longtext\n);\n"
    return (head + "INSERT INTO `wp_meta` VALUES " + ",".join(rows) + ";\n").encode("utf-8")


@pytest.mark.parametrize("seed", range(8))
def test_random_wordpress_values_come_out_as_if_written_for_the_new_domain(seed: int) -> None:
    out, report = run(_random_dump(seed, OLD), [(OLD, NEW)])
    assert out == _random_dump(seed, NEW)
    assert report.skipped_total == 0
    proof = verify_dump(io.BytesIO(out), [OLD])
    assert proof.ok
    assert proof.rows == {"wp_meta": 60}
    out2, _ = run(_random_dump(seed, OLD), [(f"https://{OLD}", f"https://{NEW}"), (OLD, NEW)])
    assert out2 == out
