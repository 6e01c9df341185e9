"""The local backend's part of verify: its infrastructure checks (secret file, pool
configured, pool socket answering, vhost routing, logs free of fatal lines) and its site
probe (nginx on the environment's port). The WordPress checks (http, wp-title, wp-admin,
basic-auth) are the shared ones in ``wpfleet.checks.site``.

Every check asks once, cheaply, with short timeouts; the verify runner polls.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from wpfleet.backends.local import probe, proc, safefs, secretfiles
from wpfleet.backends.local.nginx import PING_PATH, TENANT_HEADER
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.site import SiteExpectations, in_report_order, site_checks

FATAL_MARKERS = ("PHP Fatal", "[crit]", "[emerg]", "[alert]")
PHP_STAMP = re.compile(r"^\[(\d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2}) ([^\]]+)\]")
NGINX_STAMP = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) ")
TAIL_BYTES = 1 << 20
TIMEOUT = 5.0


class LocalCheck(Check):
    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant

    def site(self) -> probe.HttpProbe:
        return site_probe(self.t)


def site_probe(t: LocalTenant) -> probe.HttpProbe:
    return probe.site_probe(t.port, t.host, address=t.platform.nginx.bind, timeout=TIMEOUT)


def expectations(t: LocalTenant) -> SiteExpectations:
    """What the tenant's site should show; the basic-auth login is read when needed."""

    def login() -> tuple[str, str] | None:
        creds = t.platform.basic_auth_credentials()
        return (creds.username, creds.password) if creds else None

    return SiteExpectations(t.ctx.tenant.name, t.host, bool(t.ctx.env.basic_auth), login)


class SecretCheck(LocalCheck):
    name = "secret"
    description = "tenant secret file present with mode 0600"

    def ask(self) -> CheckResult:
        mode = secretfiles.secret_mode(self.t.secret_path)
        if mode is None:
            return self.result(False, f"{self.t.secret_path} is missing")
        return self.result(mode == 0o600, f"{self.t.secret_path} mode {mode:04o}")


class ServiceCheck(LocalCheck):
    name = "service"
    description = "php-fpm pool configured and the master running"

    def ask(self) -> CheckResult:
        fpm = self.t.platform.fpm
        pid = fpm.pid()
        configured = fpm.pool_configured(self.t.pool_name)
        ok = configured and pid is not None
        return self.result(ok, f"pool {self.t.pool_name} configured={configured}, master pid {pid}")


class RunningCheck(LocalCheck):
    name = "running"
    description = "the pool's socket accepts connections"

    def ask(self) -> CheckResult:
        ok = proc.unix_open(self.t.socket, timeout=1.0)
        return self.result(ok, f"{self.t.socket} {'accepts' if ok else 'refuses'} connections")


class TargetCheck(LocalCheck):
    name = "target"
    description = "the tenant's Host header is routed to this tenant's vhost"

    def ask(self) -> CheckResult:
        reply = self.site().get(PING_PATH)
        got = reply.header(TENANT_HEADER)
        detail = f"{TENANT_HEADER}: {got or '(none)'}" + (
            f" ({reply.error})" if reply.error else ""
        )
        return self.result(got == self.t.id, detail)


class LogsCheck(LocalCheck):
    name = "logs"
    description = "no fatal lines in the tenant's PHP and nginx error logs since the deploy"

    def ask(self) -> CheckResult:
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
    """The infrastructure checks, then the shared WordPress checks, in report order."""
    infra: list[Check] = [
        kind(tenant) for kind in (SecretCheck, ServiceCheck, RunningCheck, TargetCheck, LogsCheck)
    ]
    return in_report_order(infra + site_checks(site_probe(tenant), expectations(tenant)))
