"""URL pairs between two environments' hosts: every spelling, in a safe order."""

from __future__ import annotations

import io

import pytest

from wpfleet.content.proof import verify_dump
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.urlpairs import check_order, safe_order, url_pairs
from wpfleet.errors import UsageError


def test_every_spelling_longest_first() -> None:
    pairs = url_pairs("gc.wpdev.kimmyai.io", "gc.wpsit.kimmyai.io")
    assert pairs == [
        ("https://gc.wpdev.kimmyai.io", "https://gc.wpsit.kimmyai.io"),
        ("http://gc.wpdev.kimmyai.io", "http://gc.wpsit.kimmyai.io"),
        ("//gc.wpdev.kimmyai.io", "//gc.wpsit.kimmyai.io"),
        ("gc.wpdev.kimmyai.io", "gc.wpsit.kimmyai.io"),
    ]
    check_order(pairs)


def test_escaped_forms_and_ports() -> None:
    pairs = url_pairs("gc.dev.localhost:8088", "gc.sit.localhost:8089", escaped_forms=True)
    olds = [o for o, _ in pairs]
    assert dict(pairs)["https:\\/\\/gc.dev.localhost:8088"] == "https:\\/\\/gc.sit.localhost:8089"
    assert dict(pairs)["https%3A%2F%2Fgc.dev.localhost%3A8088"] == (
        "https%3A%2F%2Fgc.sit.localhost%3A8089"
    )
    assert dict(pairs)["\\/\\/gc.dev.localhost:8088"] == "\\/\\/gc.sit.localhost:8089"
    assert dict(pairs)["gc.dev.localhost"] == "gc.sit.localhost"  # e-mail addresses
    assert olds.index("https://gc.dev.localhost:8088") < olds.index("//gc.dev.localhost:8088")
    assert olds[-1] == "gc.dev.localhost"
    assert [len(o) for o in olds] == sorted((len(o) for o in olds), reverse=True)
    check_order(pairs)


def test_scheme_change() -> None:
    pairs = url_pairs("a.test", "b.test", old_scheme="http", new_scheme="https")
    assert ("http://a.test", "https://b.test") in pairs
    assert ("https://a.test", "https://b.test") in pairs


def test_nested_hosts_are_refused_or_lose_the_bare_pair() -> None:
    with pytest.raises(UsageError, match="contains the old one"):
        url_pairs("site.test", "dev.site.test")
    pairs = url_pairs("site.test", "dev.site.test", allow_nested=True)
    assert "site.test" not in [o for o, _ in pairs]
    # the other way round is safe: the new host cannot match the old pair again
    assert ("dev.site.test", "site.test") in url_pairs("dev.site.test", "site.test")


@pytest.mark.parametrize("host", ["", "https://a.test", "a.test/x", "a b", "a.test:port"])
def test_bad_hosts_are_usage_errors(host: str) -> None:
    with pytest.raises(UsageError, match="is not a host name"):
        url_pairs(host, "b.test")


def test_same_host_is_refused() -> None:
    with pytest.raises(UsageError, match="the same"):
        url_pairs("A.test", "a.test")


def test_order_matters_and_is_checked() -> None:
    bad = [("a.test", "b.test"), ("https://a.test", "https://c.test")]
    with pytest.raises(UsageError, match="runs before"):
        check_order(bad)
    assert safe_order(bad) == [bad[1], bad[0]]


def test_pairs_move_a_dump_and_leave_no_old_host() -> None:
    old, new = "gc.dev.localhost:8088", "gc.sit.localhost:8089"
    dump = (
        b"INSERT INTO `t` VALUES (1,'https://gc.dev.localhost:8088/a'),"
        b"(2,'<a href=\\\"//gc.dev.localhost:8088/b\\\">'),(3,'admin@gc.dev.localhost'),"
        b'(4,\'{\\"u\\":\\"http:\\\\/\\\\/gc.dev.localhost:8088\\\\/c\\"}\'),'
        b"(5,'s:33:\\\"https://gc.dev.localhost:8088/x/y\\\";'),"
        b"(6,'?r=https%3A%2F%2Fgc.dev.localhost%3A8088%2F');\n"
    )
    out = io.BytesIO()
    search_replace(io.BytesIO(dump), out, url_pairs(old, new))
    text = out.getvalue()
    assert b"gc.dev.localhost" not in text
    assert b's:33:\\"https://gc.sit.localhost:8089/x/y\\";' in text
    assert b"http:\\\\/\\\\/gc.sit.localhost:8089\\\\/c" in text
    assert b"https%3A%2F%2Fgc.sit.localhost%3A8089%2F" in text
    assert verify_dump(io.BytesIO(text), [old, "gc.dev.localhost"]).ok
