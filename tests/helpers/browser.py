"""A real browser for tests: Debian's chromium, driven by Playwright.

What a person's browser would show is the proof that a site works: a 200 with an empty
body is not. Playwright's own browser downloads are never used (``playwright install``
needs a network this project does not have); Debian's ``chromium`` package is launched
instead, headless, with a fresh profile, and with everything that would reach outside
this machine turned off.

    with browser_context() as ctx:
        view = look_at(ctx, "http://goldencrust.wpdev.localhost:8080/")
        assert view.title == "Golden Crust Bakery"
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import requires

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",  # the sites are on this machine; nothing goes through a proxy
]

# Collected in the page: the title, the text a person sees, and the style sheets (with
# whether one comes from a theme: a link to it, or CSS that names its files).
_LOOK = """() => {
  const sheets = [...document.styleSheets].map(s => {
    let text = "";
    try { text = [...s.cssRules].map(r => r.cssText).join("\\n"); } catch (e) {}
    return {href: s.href || "", id: (s.ownerNode && s.ownerNode.id) || "", text};
  });
  return {
    title: document.title,
    text: document.body ? document.body.innerText.trim() : "",
    stylesheets: sheets.map(s => s.href || "#" + s.id),
    theme_css: sheets.filter(s => (s.href + s.text).includes("/wp-content/themes/"))
                     .map(s => s.href || "#" + s.id),
  };
}"""


@dataclass(frozen=True)
class PageView:
    """What the browser showed: final URL, HTTP status, title, visible text, style sheets."""

    url: str
    status: int
    title: str
    text: str
    stylesheets: list[str]
    theme_css: list[str]


@contextmanager
def browser_context(*, http_credentials: dict[str, str] | None = None) -> Iterator[BrowserContext]:
    """A headless chromium with a fresh, throw-away profile. Missing chromium or
    Playwright skips, or fails under CI/`make test` (see ``requires``)."""
    requires.require({CHROMIUM: "chromium"}, "looking at pages in a real browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "Playwright is not installed: pip install -e '.[test]' (make test does)"
        if requires.strict():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    profile = tempfile.mkdtemp(prefix="wpfleet-chromium-")
    try:
        with sync_playwright() as pw:
            options: dict[str, Any] = (
                {"http_credentials": http_credentials} if http_credentials else {}
            )
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=ARGS, **options
            )
            ctx.set_default_timeout(30_000)
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def look_at(ctx: BrowserContext, url: str) -> PageView:
    """Open ``url`` in a new tab, wait for it to load, and report what it shows."""
    page = ctx.new_page()
    try:
        response = page.goto(url, wait_until="load")
        seen = page.evaluate(_LOOK)
        return PageView(
            url=page.url,
            status=response.status if response else 0,
            title=seen["title"],
            text=seen["text"],
            stylesheets=seen["stylesheets"],
            theme_css=seen["theme_css"],
        )
    finally:
        page.close()
