"""The shared WordPress checks, asked over real HTTP (the ``stage`` server in conftest)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.checks.stage import Answer, Stage
from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.probe import HttpProbe, Reply
from wpfleet.checks.site import (
    BasicAuthCheck,
    HttpCheck,
    HttpsCheck,
    SiteExpectations,
    TitleCheck,
    WpAdminCheck,
    in_report_order,
    site_checks,
)
from wpfleet.errors import NotFoundError

TT3 = (Path(__file__).parent / "fixtures" / "wp61-twentytwentythree-home.html").read_bytes()
NAME = "Alpha Bakery & Cafe"
LOGIN = ("bbws-sit", "s3cret")
GOOD = "Basic " + base64.b64encode(b"bbws-sit:s3cret").decode()


def expect(basic_auth: bool = False) -> SiteExpectations:
    return SiteExpectations(NAME, "alpha.test", basic_auth, lambda: LOGIN)


def test_a_blank_200_fails_and_says_what_it_found(stage: Stage) -> None:
    stage.answers["/"] = Answer(200, b"")
    http = HttpCheck(stage.probe(), expect()).run()
    assert not http.ok
    assert "no <title>" in http.detail and "a blank page" in http.detail
    assert "HTTP 200, text/html, 0 bytes, <title> none, theme stylesheet absent" in http.detail
    title = TitleCheck(stage.probe(), expect()).run()
    assert not title.ok and "no <title>" in title.detail


def test_a_themed_wordpress_front_page_passes(stage: Stage) -> None:
    stage.answers["/"] = Answer(200, TT3, {"Content-Type": "text/html; charset=UTF-8"})
    http = HttpCheck(stage.probe(), expect()).run()
    assert http.ok, http.detail
    assert f"<title> {NAME!r}" in http.detail
    assert TitleCheck(stage.probe(), expect()).run().ok
    other = SiteExpectations("Beta", "alpha.test")
    assert not HttpCheck(stage.probe(), other).run().ok
    assert "want 'Beta'" in TitleCheck(stage.probe(), other).run().detail


@pytest.mark.parametrize(
    "status,location,ok",
    [
        (301, "http://alpha.test:8080/en/", True),
        (302, "http://alpha.test:8080/wp-login.php", True),
        (301, "http://alpha.test:8080/", False),  # a redirect to itself: a loop
        (302, "/", False),
        (500, "", False),
        (404, "", False),
    ],
)
def test_http_accepts_redirects_but_not_a_loop(
    stage: Stage, status: int, location: str, ok: bool
) -> None:
    stage.answers["/"] = Answer(status, b"", {"Location": location} if location else {})
    result = HttpCheck(stage.probe(), expect()).run()
    assert result.ok is ok, result.detail
    assert result.detail.startswith(f"http://alpha.test via 127.0.0.1:{stage.port}: HTTP {status}")


def test_wp_admin_wants_the_login_page(stage: Stage) -> None:
    login = "https://alpha.test/wp-login.php?redirect_to=x&reauth=1"
    stage.answers["/wp-admin/"] = Answer(302, b"", {"Location": login})
    assert WpAdminCheck(stage.probe(), expect()).run().ok
    # FORCE_SSL_ADMIN's answer when WordPress thinks the request came over http
    stage.answers["/wp-admin/"] = Answer(302, b"", {"Location": "https://alpha.test/wp-admin/"})
    result = WpAdminCheck(stage.probe(), expect()).run()
    assert not result.ok and "to https://alpha.test/wp-admin/" in result.detail


def test_basic_auth_gate(stage: Stage) -> None:
    stage.answers["/"] = Answer(200, TT3, require_auth=GOOD)
    result = BasicAuthCheck(stage.probe(), expect(basic_auth=True)).run()
    assert result.ok and "401 without credentials, HTTP 200 with" in result.detail
    assert [s.get("authorization") for s in stage.seen] == [None, GOOD]
    wrong = SiteExpectations(NAME, "alpha.test", True, lambda: ("bbws-sit", "nope"))
    assert "HTTP 401 with" in BasicAuthCheck(stage.probe(), wrong).run().detail

    def unreadable() -> tuple[str, str] | None:
        raise NotFoundError("no basic-auth secret")

    missing = SiteExpectations(NAME, "alpha.test", True, unreadable)
    result = BasicAuthCheck(stage.probe(), missing).run()
    assert not result.ok and "login could not be read" in result.detail
    stage.answers["/"] = Answer(200, TT3)  # the gate is gone
    result = BasicAuthCheck(stage.probe(), expect(basic_auth=True)).run()
    assert not result.ok and "HTTP 200: the site is not protected" in result.detail


def test_https_is_the_gate_then_the_front_page(stage: Stage) -> None:
    stage.answers["/"] = Answer(200, TT3, require_auth=GOOD)
    check = HttpsCheck(stage.probe(), expect(basic_auth=True))
    assert check.after_dns
    result = check.run()
    assert result.ok and "401 without credentials" in result.detail and NAME in result.detail
    stage.answers["/"] = Answer(200, b"", require_auth=GOOD)  # gated, but blank
    result = check.run()
    assert not result.ok and "a blank page" in result.detail
    stage.answers["/"] = Answer(200, TT3)
    assert HttpsCheck(stage.probe(), expect()).run().ok  # no gate expected: page only


def test_no_answer_is_a_failure_naming_the_error() -> None:
    probe = HttpProbe("127.0.0.1", 9, "alpha.test", timeout=1.0)  # discard: nothing listens
    result = HttpCheck(probe, expect()).run()
    assert not result.ok and "no answer (ConnectionRefusedError" in result.detail


class Exploding:
    where = "nowhere"

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        raise RuntimeError("probe <broken>")


@pytest.mark.parametrize("kind", [HttpCheck, TitleCheck, WpAdminCheck, BasicAuthCheck, HttpsCheck])
def test_no_check_crashes(kind: type[HttpCheck]) -> None:
    result = kind(Exploding(), expect(basic_auth=True)).run()
    assert result == CheckResult(kind.name, False, "check failed: RuntimeError: probe <broken>")


def test_site_checks_and_report_order(stage: Stage) -> None:
    names = [c.name for c in site_checks(stage.probe(), expect())]
    assert names == ["http", "wp-title", "wp-admin"]
    gated = site_checks(stage.probe(), expect(basic_auth=True))
    assert [c.name for c in gated][-1] == "basic-auth"

    class Named(Check):
        def __init__(self, name: str) -> None:
            self.name = name

    mixed = [Named(n) for n in ("zz", "https", "logs", "http", "secret", "wp-title")]
    ordered = [c.name for c in in_report_order(mixed)]
    assert ordered == ["secret", "http", "logs", "wp-title", "https", "zz"]
