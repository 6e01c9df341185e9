"""Reading front pages (recorded in fixtures/, see its README): title, theme stylesheet,
visible text, and the one status rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpfleet.checks.page import (
    has_theme_stylesheet,
    read_page,
    status_ok,
    title_names,
    title_of,
    visible_text,
)

FIXTURES = Path(__file__).parent / "fixtures"
TT3 = (FIXTURES / "wp61-twentytwentythree-home.html").read_bytes()
CLASSIC = (FIXTURES / "classic-theme-home.html").read_bytes()
HTML = "text/html; charset=UTF-8"


def test_block_theme_page_has_its_title_and_visible_content() -> None:
    assert title_of(TT3) == "Alpha Bakery & Cafe"  # &amp; unescaped
    assert not has_theme_stylesheet(TT3)  # a block theme inlines its styles
    assert "Hello world!" in visible_text(TT3)
    assert "window._wpemojiSettings" not in visible_text(TT3, limit=10_000)
    page = read_page(200, HTML, TT3)
    assert page.problems("Alpha Bakery & Cafe") == []


def test_classic_theme_page_shows_its_stylesheet() -> None:
    assert title_of(CLASSIC) == "Page not found \u2013 Goldencrust Bakery"
    assert has_theme_stylesheet(CLASSIC)
    assert visible_text(CLASSIC) == ""  # the script is not visible text
    assert read_page(200, HTML, CLASSIC).problems("Goldencrust Bakery") == []


def test_a_blank_page_names_everything_it_lacks() -> None:
    page = read_page(200, HTML, b"")
    assert page.problems("Alpha") == [
        "no <title>",
        "no theme stylesheet and no visible content (a blank page)",
    ]
    assert page.describe() == (
        "HTTP 200, text/html; charset=UTF-8, 0 bytes, <title> none, "
        "theme stylesheet absent, 0 chars of visible text"
    )


def test_a_title_without_content_is_still_blank() -> None:
    body = b"<html><head><title>Alpha</title></head><body>  <script>x()</script></body></html>"
    problems = read_page(200, HTML, body).problems("Alpha")
    assert problems == ["no theme stylesheet and no visible content (a blank page)"]


def test_a_page_that_is_not_html_or_of_another_site() -> None:
    assert read_page(200, "application/json", TT3).problems("Alpha Bakery & Cafe") == [
        "not an HTML page"
    ]
    assert read_page(200, HTML, TT3).problems("Beta") == ["<title> does not name 'Beta'"]


@pytest.mark.parametrize(
    "title,name,ok",
    [
        ("Alpha Bakery & Cafe", "Alpha Bakery &amp; Cafe", True),
        ("alpha  bakery", "Alpha Bakery", True),
        ("Alpha \u2013 Just another WordPress site", "Alpha", True),
        ("Contact | Alpha", "Alpha", True),
        ("Alphabet Soup", "Alpha", False),
        ("Alpha Beta", "Alpha", False),
        ("", "Alpha", False),
        (None, "Alpha", False),
    ],
)
def test_title_names_the_site(title: str | None, name: str, ok: bool) -> None:
    assert title_names(title, name) is ok


def test_stylesheet_detection_needs_both_rel_and_a_theme_href() -> None:
    theme = b"/wp-content/themes/t/style.css"
    assert has_theme_stylesheet(b'<link href="' + theme + b'" rel="stylesheet">')
    assert has_theme_stylesheet(b"<LINK REL=stylesheet HREF=" + theme + b">")
    assert not has_theme_stylesheet(b'<link rel="preload" href="' + theme + b'">')
    assert not has_theme_stylesheet(b'<link rel="stylesheet" href="/wp-includes/x.css">')


@pytest.mark.parametrize(
    "status,auth_expected,sent,ok",
    [
        (200, False, True, True),
        (301, False, True, True),
        (302, False, True, True),
        (401, True, False, True),  # the gate answering a visitor without a login
        (401, True, True, False),  # a login was sent and refused
        (401, False, False, False),  # no gate expected here
        (404, False, True, False),
        (500, False, True, False),
        (0, False, True, False),
    ],
)
def test_the_one_status_rule(status: int, auth_expected: bool, sent: bool, ok: bool) -> None:
    assert status_ok(status, auth_expected=auth_expected, sent_credentials=sent) is ok


def test_title_names_survive_wptexturize() -> None:
    """WordPress curls the quote and turns "--" into an en dash in the title."""
    assert title_names("\u2019; DROP TABLE wp_users; \u2013", "'; DROP TABLE wp_users; --")
    assert title_names("Joe\u2019s \u2013 Bakery", "Joe's -- Bakery")
    assert not title_names("Joe\u2019s Bakery", "Jim's Bakery")


def test_a_spaced_double_hyphen_becomes_an_em_dash() -> None:
    """wptexturize turns " -- " into an em dash (seen on WordPress 6.1)."""
    assert title_names("'; DROP TABLE wp_users; \u2014", "'; DROP TABLE wp_users; --")
    assert title_names("A \u2014 B", "A --- B")
