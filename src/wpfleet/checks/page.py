"""Reading a front page the way a person would judge it: is it an HTML page, does its
``<title>`` name the site, and does it show anything (a theme's stylesheet, or visible
text in ``<body>``)? Pure functions over bytes, tested from recorded pages.

Why: a WordPress without a theme answers ``200`` with an empty body; a status code alone
called that healthy.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: statuses that mean "the site answers" (the seeds accept redirects)
OK_STATUSES = frozenset({200, 301, 302})
REDIRECTS = frozenset({301, 302})
#: the answer of a site behind basic auth to a request without credentials
AUTH_REQUIRED = 401

TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.S | re.I)
LINK = re.compile(rb"<link\b[^>]*>", re.S | re.I)
REL_STYLESHEET = re.compile(rb"""\brel\s*=\s*["']?[^"'>]*\bstylesheet\b""", re.I)
THEME_HREF = re.compile(rb"""\bhref\s*=\s*["']?[^"'>\s]*/wp-content/themes/""", re.I)
BODY = re.compile(rb"<body\b[^>]*>(.*?)(?:</body\s*>|\Z)", re.S | re.I)
INVISIBLE = re.compile(rb"<(script|style|template|noscript)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
TAG = re.compile(rb"<[^>]*>")
#: what themes put between the parts of a title: - en-dash em-dash | middle-dot : and guillemets
SEPARATOR = re.compile("\\s+[-\u2013\u2014|\u00b7:\u00bb\u00ab]\\s+")
#: this much visible body text counts as "shows something" (WordPress's blank page: 0)
MIN_VISIBLE = 20


def status_ok(status: int, *, auth_expected: bool = False, sent_credentials: bool = True) -> bool:
    """The one status rule: 200/301/302; also 401 where basic auth is expected and no
    credentials were sent (the password gate is then the right answer)."""
    if status in OK_STATUSES:
        return True
    return status == AUTH_REQUIRED and auth_expected and not sent_credentials


def title_of(body: bytes) -> str | None:
    """The text of the first ``<title>``, HTML-unescaped and whitespace-collapsed; None
    when the page has none."""
    m = TITLE.search(body)
    if m is None:
        return None
    text = html.unescape(m.group(1).decode("utf-8", "replace"))
    return " ".join(text.split())


def title_names(title: str | None, name: str) -> bool:
    """True when ``title`` is the site's name, alone or as one part of a title that
    themes join with a separator ("Name - Tagline" with an en dash, "Page | Name"):
    compared HTML-unescaped, ignoring case and runs of whitespace."""
    if not title:
        return False
    want = _fold(html.unescape(name))
    if _fold(title) == want:
        return True
    return any(_fold(part) == want for part in SEPARATOR.split(title))


#: what WordPress's wptexturize() makes of plain punctuation in a title
_TEXTURIZED = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2032": "'", "\u2033": '"', "\u2026": "...",
                             "\u2013": "--", "\u2014": "--", "\u00d7": "x"})  # fmt: skip


def _fold(text: str) -> str:
    """Case, runs of whitespace and wptexturize's curly quotes and dashes ignored: a
    name "Joe's -- Bakery" is shown as "Joe\u2019s \u2013 Bakery"."""
    folded = re.sub(r"-{2,3}", "--", text.translate(_TEXTURIZED))  # "--"/"---": a dash
    return " ".join(folded.split()).casefold()


def has_theme_stylesheet(body: bytes) -> bool:
    """A ``<link rel="stylesheet" href=".../wp-content/themes/...">`` (classic themes)."""
    return any(REL_STYLESHEET.search(tag) and THEME_HREF.search(tag) for tag in LINK.findall(body))


def visible_text(body: bytes, limit: int = 200) -> str:
    """Text a browser would show from ``<body>`` (scripts, styles, comments and tags
    dropped), up to ``limit`` characters."""
    m = BODY.search(body)
    if m is None:
        return ""
    inner = TAG.sub(b" ", INVISIBLE.sub(b" ", m.group(1)))
    text = html.unescape(inner.decode("utf-8", "replace"))
    return " ".join(text.split())[:limit]


@dataclass(frozen=True)
class PageFindings:
    """What a front page showed; ``describe`` names it in a check's detail."""

    status: int
    content_type: str
    length: int
    title: str | None
    stylesheet: bool
    visible: str

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in (
            "text/html",
            "application/xhtml+xml",
        )

    @property
    def shows_something(self) -> bool:
        return self.stylesheet or len(self.visible) >= MIN_VISIBLE

    def problems(self, site_name: str) -> list[str]:
        """What is wrong with this page as the site's front page (empty: nothing)."""
        out = []
        if not self.is_html:
            out.append("not an HTML page")
        if self.title is None:
            out.append("no <title>")
        elif not title_names(self.title, site_name):
            out.append(f"<title> does not name {site_name!r}")
        if not self.shows_something:
            out.append("no theme stylesheet and no visible content (a blank page)")
        return out

    def describe(self) -> str:
        title = "none" if self.title is None else repr(self.title[:120])
        return (
            f"HTTP {self.status}, {self.content_type or 'no content-type'}, "
            f"{self.length} bytes, <title> {title}, "
            f"theme stylesheet {'present' if self.stylesheet else 'absent'}, "
            f"{len(self.visible)} chars of visible text"
        )


def read_page(status: int, content_type: str, body: bytes) -> PageFindings:
    return PageFindings(
        status=status,
        content_type=content_type,
        length=len(body),
        title=title_of(body),
        stylesheet=has_theme_stylesheet(body),
        visible=visible_text(body),
    )
