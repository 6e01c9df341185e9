"""The verify phase's checks on the local backend: the seeds' six (secret, service,
running, target, http, logs) and WordPress-level ones (wp-title, wp-admin, basic-auth).

Every check asks once, cheaply, with short timeouts; the verify runner polls.
"""

from __future__ import annotations

import html
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from wpfleet.backends.local import probe, proc, safefs, secretfiles
from wpfleet.backends.local.nginx import PING_PATH, TENANT_HEADER
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.checks.base import Check, CheckResult
from wpfleet.errors import WpfleetError

OK_STATUSES = (200, 301, 302)
FATAL_MARKERS = ("PHP Fatal", "[crit]", "[emerg]", "[alert]")
PHP_STAMP = re.compile(r"^\[(\d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2}) ([^\]]+)\]")
NGINX_STAMP = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) ")
TAIL_BYTES = 1 << 20
TIMEOUT = 5.0


class LocalCheck(Check):
    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant

    def auth(self) -> tuple[str, str] | None:
        """The environment's basic-auth login; None when it has none or it is missing (the
        request then fails visibly with 401 rather than the check raising)."""
        try:
            creds = self.t.platform.basic_auth_credentials()
        except WpfleetError:
            return None
        return (creds.username, creds.password) if creds else None

    def get(self, path: str, *, auth: bool = True) -> probe.Reply:
        return probe.request(
            self.t.port,
            self.t.host,
            path,
            auth=self.auth() if auth else None,
            address=self.t.platform.nginx.bind,
            timeout=TIMEOUT,
        )


class SecretCheck(LocalCheck):
    name = "secret"
    description = "tenant secret file present with mode 0600"

    def run(self) -> CheckResult:
        mode = secretfiles.secret_mode(self.t.secret_path)
        if mode is None:
            return self.result(False, f"{self.t.secret_path} is missing")
        return self.result(mode == 0o600, f"{self.t.secret_path} mode {mode:04o}")


class ServiceCheck(LocalCheck):
    name = "service"
    description = "php-fpm pool configured and the master running"

    def run(self) -> CheckResult:
        fpm = self.t.platform.fpm
        pid = fpm.pid()
        configured = fpm.pool_configured(self.t.pool_name)
        ok = configured and pid is not None
        return self.result(ok, f"pool {self.t.pool_name} configured={configured}, master pid {pid}")


class RunningCheck(LocalCheck):
    name = "running"
    description = "the pool's socket accepts connections"

    def run(self) -> CheckResult:
        ok = proc.unix_open(self.t.socket, timeout=1.0)
        return self.result(ok, f"{self.t.socket} {'accepts' if ok else 'refuses'} connections")


class TargetCheck(LocalCheck):
    name = "target"
    description = "the tenant's Host header is routed to this tenant's vhost"

    def run(self) -> CheckResult:
        reply = self.get(PING_PATH, auth=False)
        got = reply.header(TENANT_HEADER)
        detail = f"{TENANT_HEADER}: {got or '(none)'}" + (
            f" ({reply.error})" if reply.error else ""
        )
        return self.result(got == self.t.id, detail)


class HttpCheck(LocalCheck):
    name = "http"
    description = "GET / answers 200, 301 or 302"

    def run(self) -> CheckResult:
        """A redirect is fine (the seeds accept 301/302), but not one to the page itself:
        that is a loop no browser gets out of."""
        reply = self.get("/")
        detail = f"GET / -> {reply.status or reply.error}"
        if reply.status in (301, 302):
            location = reply.header("location")
            detail += f" {location}"
            if urlsplit(location).path in ("", "/") and self.t.host in location:
                return self.result(False, detail + " (redirects to itself: a loop)")
        return self.result(reply.status in OK_STATUSES, detail)


class BasicAuthCheck(LocalCheck):
    name = "basic-auth"
    description = "without credentials the site answers 401"

    def run(self) -> CheckResult:
        reply = self.get("/", auth=False)
        return self.result(reply.status == 401, f"GET / without credentials -> {reply.status}")


class WpTitleCheck(LocalCheck):
    name = "wp-title"
    description = "the site's name (/wp-json/) is the tenant's display name"

    def run(self) -> CheckResult:
        reply = self.get("/wp-json/")
        try:
            name = html.unescape(str(json.loads(reply.body)["name"]))
        except (ValueError, KeyError, TypeError):
            return self.result(False, f"GET /wp-json/ -> {reply.status or reply.error}, no name")
        want = self.t.ctx.tenant.name
        return self.result(name == want, f"site name {name!r}, expected {want!r}")


class WpAdminCheck(LocalCheck):
    name = "wp-admin"
    description = "/wp-admin/ redirects to the login page"

    def run(self) -> CheckResult:
        reply = self.get("/wp-admin/")
        location = reply.header("location")
        ok = reply.status in (301, 302) and "wp-login.php" in location
        return self.result(ok, f"GET /wp-admin/ -> {reply.status} {location}")


class LogsCheck(LocalCheck):
    name = "logs"
    description = "no fatal lines in the tenant's PHP and nginx error logs since the deploy"

    def run(self) -> CheckResult:
        since = self.t.ctx.started_at
        f = self.t.files
        found = []
        for log in (f.php_error_log, f.nginx_error_log):
            found += fatal_lines(f.root, str(log.relative_to(f.root)), since)
        if found:
            return self.result(False, f"{len(found)} fatal line(s), last: {found[-1][:300]}")
        return self.result(True, "no fatal lines")


def fatal_lines(base: Path, rel: str, since: float) -> list[str]:
    """Fatal lines of ``base/rel`` stamped at or after ``since``; continuation lines carry
    the stamp of the line they continue. Symlinks below ``base`` are not followed (the
    tenant owns its logs directory)."""
    data = safefs.read_tail(base, rel, TAIL_BYTES)
    if data is None:
        return []
    text = data.decode(errors="replace")
    out: list[str] = []
    stamp = 0.0
    for line in text.splitlines():
        stamp = line_time(line) or stamp
        if stamp >= int(since) and any(marker in line for marker in FATAL_MARKERS):
            out.append(line)
    return out


def line_time(line: str) -> float | None:
    """Unix time of a PHP (``[22-Nov-2026 20:07:54 UTC]``) or nginx line, else None."""
    m = PHP_STAMP.match(line)
    if m:
        parsed = datetime.strptime(m.group(1), "%d-%b-%Y %H:%M:%S")
        if m.group(2) == "UTC":
            return parsed.replace(tzinfo=UTC).timestamp()
        return time.mktime(parsed.timetuple())
    m = NGINX_STAMP.match(line)
    if m:
        return time.mktime(time.strptime(m.group(1), "%Y/%m/%d %H:%M:%S"))
    return None


def checks_for(tenant: LocalTenant) -> list[Check]:
    kinds: list[type[LocalCheck]] = [
        SecretCheck,
        ServiceCheck,
        RunningCheck,
        TargetCheck,
        HttpCheck,
        LogsCheck,
        WpTitleCheck,
        WpAdminCheck,
    ]
    if tenant.ctx.env.basic_auth:
        kinds.append(BasicAuthCheck)
    return [kind(tenant) for kind in kinds]
