"""The WordPress checks, written once for every backend: they ask a ``SiteProbe``
(``wpfleet.checks.probe``) and judge the answer with ``wpfleet.checks.page``.

- ``http``: ``GET /`` is the site's front page: HTML whose ``<title>`` names the site and
  that shows something (a theme's stylesheet or visible text); a redirect elsewhere is
  fine (the seeds accept 301/302), a redirect to itself is a loop;
- ``wp-title``: the front page's ``<title>`` names the site;
- ``wp-admin``: ``/wp-admin/`` redirects to the login page;
- ``basic-auth``: without credentials the site answers 401, with them it answers;
- ``https``: the public address (through CloudFront on aws): the basic-auth gate where
  the environment has one, then the front page.

Backends add their infrastructure checks (secret, service, running, target, logs);
``in_report_order`` puts everything in the order reports show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.page import (
    AUTH_REQUIRED,
    OK_STATUSES,
    REDIRECTS,
    read_page,
    status_ok,
    title_names,
    title_of,
)
from wpfleet.checks.probe import Reply, SiteProbe
from wpfleet.errors import WpfleetError

#: the order of checks in reports (the seeds' six first)
ORDER = (
    "secret", "service", "running", "target", "http", "logs",
    "wp-title", "wp-admin", "basic-auth", "https",
)  # fmt: skip

Credentials = tuple[str, str]


def _no_credentials() -> Credentials | None:
    return None


@dataclass(frozen=True)
class SiteExpectations:
    """What the site should be: its name (the tenant's display name) and whether the
    route the probe takes is behind basic auth (then ``credentials`` gives the login)."""

    name: str
    #: the site's host name, without port (a redirect to it at "/" is a loop)
    host: str
    basic_auth: bool = False
    credentials: Callable[[], Credentials | None] = field(default=_no_credentials)


class SiteCheck(Check):
    def __init__(self, probe: SiteProbe, expect: SiteExpectations) -> None:
        self.probe = probe
        self.expect = expect

    def login(self) -> Credentials | None:
        """The basic-auth login to send; None when the route has no basic auth or the
        login cannot be read (the request then fails visibly with 401)."""
        if not self.expect.basic_auth:
            return None
        try:
            return self.expect.credentials()
        except WpfleetError:
            return None

    def get(self, path: str, *, with_login: bool = True) -> Reply:
        return self.probe.get(path, auth=self.login() if with_login else None)


def front_page_verdict(reply: Reply, name: str, host: str) -> tuple[bool, str]:
    """Is ``reply`` (to ``GET /``) the front page of the site called ``name``? The detail
    names what was found."""
    if reply.status in REDIRECTS:
        location = reply.header("location")
        target = urlsplit(location)
        if target.path in ("", "/") and target.netloc.split(":")[0] in ("", host):
            return False, f"HTTP {reply.status} to {location} (redirects to itself: a loop)"
        return True, f"HTTP {reply.status} to {location}"
    if reply.status != 200:
        hint = " (basic auth: no login, or a wrong one)" if reply.status == AUTH_REQUIRED else ""
        want = ", ".join(str(s) for s in sorted(OK_STATUSES))
        return False, f"{reply.summary}{hint}, want one of {want}"
    page = read_page(reply.status, reply.header("content-type"), reply.body)
    problems = page.problems(name)
    if problems:
        return False, f"{'; '.join(problems)}; found {page.describe()}"
    return True, f"front page of {name!r}: {page.describe()}"


class HttpCheck(SiteCheck):
    name = "http"
    description = "GET / is the site's front page (title and content), or a redirect"

    def ask(self) -> CheckResult:
        ok, detail = front_page_verdict(self.get("/"), self.expect.name, self.expect.host)
        return self.result(ok, f"{self.probe.where}: {detail}")


class TitleCheck(SiteCheck):
    name = "wp-title"
    description = "the front page's <title> names the site (the tenant's display name)"

    def ask(self) -> CheckResult:
        reply = self.get("/")
        title = title_of(reply.body)
        ok = reply.status == 200 and title_names(title, self.expect.name)
        seen = "no <title>" if title is None else f"<title> {title[:120]!r}"
        return self.result(ok, f"{reply.summary}, {seen}, want {self.expect.name!r}")


class WpAdminCheck(SiteCheck):
    name = "wp-admin"
    description = "/wp-admin/ redirects to the login page"

    def ask(self) -> CheckResult:
        reply = self.get("/wp-admin/")
        location = reply.header("location")
        ok = reply.status in REDIRECTS and "wp-login.php" in urlsplit(location).path
        where = f"to {location}" if location else "(no redirect)"
        return self.result(ok, f"GET /wp-admin/: {reply.summary} {where}, want wp-login.php")


def gate_verdict(check: SiteCheck) -> tuple[bool, str]:
    """The basic-auth gate: 401 without credentials, an answer with them."""
    anonymous = check.get("/", with_login=False)
    if not status_ok(anonymous.status, auth_expected=True, sent_credentials=False):
        return False, f"without credentials {anonymous.summary} (want 401)"
    if anonymous.status != AUTH_REQUIRED:
        return False, f"without credentials {anonymous.summary}: the site is not protected"
    login = check.login()
    if login is None:
        return False, "401 without credentials; the basic-auth login could not be read"
    authed = check.probe.get("/", auth=login)
    ok = status_ok(authed.status)
    return ok, f"401 without credentials, {authed.summary} with"


class BasicAuthCheck(SiteCheck):
    name = "basic-auth"
    description = "without credentials the site answers 401, with them it answers"

    def ask(self) -> CheckResult:
        ok, detail = gate_verdict(self)
        return self.result(ok, f"{self.probe.where}: {detail}")


class HttpsCheck(SiteCheck):
    """The seeds' "Test HTTPS Endpoint": the public address answers as a visitor sees
    it (through CloudFront and its basic auth on aws)."""

    name = "https"
    description = "the public address: basic-auth gate (if any), then the front page"
    after_dns = True

    def ask(self) -> CheckResult:
        gate = ""
        if self.expect.basic_auth:
            ok, gate = gate_verdict(self)
            if not ok:
                return self.result(False, f"{self.probe.where}: {gate}")
            gate += "; "
        ok, page = front_page_verdict(self.get("/"), self.expect.name, self.expect.host)
        return self.result(ok, f"{self.probe.where}: {gate}{page}")


def site_checks(probe: SiteProbe, expect: SiteExpectations) -> list[Check]:
    """The WordPress checks of a site reached through ``probe``."""
    out: list[Check] = [HttpCheck(probe, expect), TitleCheck(probe, expect)]
    out.append(WpAdminCheck(probe, expect))
    if expect.basic_auth:
        out.append(BasicAuthCheck(probe, expect))
    return out


def in_report_order(checks: Iterable[Check]) -> list[Check]:
    """Checks sorted by ``ORDER`` (unknown names last, in their given order)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(checks, key=lambda c: rank.get(c.name, len(ORDER)))
