"""The seeds' six checks on AWS (secret, service, running, target, http, logs) plus the
WordPress-level ones (wp-title, wp-admin). Each asks once and never raises for a
failing answer; the verify runner polls them to a deadline."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from wpfleet.backends.aws import ecs, elbv2, logs, secretsmanager
from wpfleet.backends.aws.res_wordpress import site
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.checks.base import Check, CheckResult
from wpfleet.errors import WpfleetError

OK_STATUSES = (200, 301, 302)
ERROR_TERMS = ("Fatal", "SQLSTATE")


class AwsCheck(Check):
    def __init__(self, t: TenantAws) -> None:
        self.t = t

    def run(self) -> CheckResult:
        try:
            return self.ask()
        except WpfleetError as exc:
            return self.result(False, exc.message)

    def ask(self) -> CheckResult:
        raise NotImplementedError


class SecretCheck(AwsCheck):
    name = "secret"
    description = "the tenant's database secret exists"

    def ask(self) -> CheckResult:
        meta = secretsmanager.describe_secret(self.t.aws, self.t.names.db_secret)
        if meta is None:
            return self.result(False, f"secret {self.t.names.db_secret} not found")
        return self.result(True, f"secret {meta['Name']}")


def _service(t: TenantAws) -> dict[str, object] | None:
    found = ecs.describe_services(t.aws, t.require("cluster"), [t.names.service])
    return found[0] if found else None


class ServiceCheck(AwsCheck):
    name = "service"
    description = "the ECS service is ACTIVE"

    def ask(self) -> CheckResult:
        svc = _service(self.t)
        status = svc.get("status") if svc else "missing"
        return self.result(status == "ACTIVE", f"service {self.t.names.service}: {status}")


class RunningCheck(AwsCheck):
    name = "running"
    description = "running tasks = desired tasks"

    def ask(self) -> CheckResult:
        svc = _service(self.t)
        if svc is None:
            return self.result(False, f"service {self.t.names.service} missing")
        running, desired = svc.get("runningCount", 0), svc.get("desiredCount", 0)
        ok = running == desired and isinstance(desired, int) and desired > 0
        return self.result(ok, f"{running} running of {desired} desired")


class TargetCheck(AwsCheck):
    name = "target"
    description = "the target group has targets and all are healthy"

    def ask(self) -> CheckResult:
        found = elbv2.describe_target_groups_by_name(self.t.aws, [self.t.names.target_group])
        tg = found[0] if found else None
        if tg is None:
            return self.result(False, f"target group {self.t.names.target_group} missing")
        health = elbv2.describe_target_health(self.t.aws, tg["TargetGroupArn"])
        if not health:
            return self.result(False, "no registered targets (an empty list is unhealthy)")
        states = [h.get("TargetHealth", {}).get("State") for h in health]
        return self.result(all(s == "healthy" for s in states), f"targets: {states}")


class HttpCheck(AwsCheck):
    name = "http"
    description = "GET / answers 200, 301 or 302"

    def ask(self) -> CheckResult:
        reply = site(self.t).request("/")
        detail = f"HTTP {reply.status}" if reply.status else f"no answer: {reply.body}"
        return self.result(reply.status in OK_STATUSES, f"{self.t.names.host}: {detail}")


class LogsCheck(AwsCheck):
    name = "logs"
    description = "no Fatal / SQLSTATE in the tenant's logs since the deploy started"

    def ask(self) -> CheckResult:
        group = f"/ecs/{self.t.env}"
        start_ms = int(self.t.ctx.started_at * 1000)
        hits: list[str] = []
        for term in ERROR_TERMS:  # one call per term: moto honours a single term only
            events = logs.filter_log_events(
                self.t.aws, group, f"{self.t.names.log_stream_prefix}/", term, start_ms
            )
            hits += [str(e.get("message", ""))[:200] for e in events]
        if hits:
            return self.result(False, f"{len(hits)} error line(s), first: {hits[0]}")
        return self.result(True, f"no {' / '.join(ERROR_TERMS)} in {group}")


class WpTitleCheck(AwsCheck):
    name = "wp-title"
    description = "the home page's title is the tenant's name"

    def ask(self) -> CheckResult:
        reply = site(self.t).request("/")
        match = re.search(r"<title>(.*?)</title>", reply.body, re.S | re.I)
        title = html.unescape(match.group(1)).strip() if match else ""
        want = self.t.ctx.tenant.name
        return self.result(want in title, f"title {title!r} (want {want!r})")


class WpAdminCheck(AwsCheck):
    name = "wp-admin"
    description = "/wp-admin/ redirects to the login page"

    def ask(self) -> CheckResult:
        reply = site(self.t).request("/wp-admin/")
        location = reply.headers.get("Location", "")
        ok = reply.status in (301, 302) and "wp-login.php" in location
        return self.result(ok, f"HTTP {reply.status} → {location or 'no redirect'}")


class HttpsCheck(AwsCheck):
    """The seeds' "Test HTTPS Endpoint" after DNS: the public URL answers through
    CloudFront; with basic auth, 401 without credentials and 200/30x with them."""

    name = "https"
    description = "https://{host} answers (basic auth: 401 without, 200/30x with)"

    def ask(self) -> CheckResult:
        public = site(self.t, with_auth=False, public=True)
        anonymous = public.request("/")
        if not self.t.ctx.env.basic_auth:
            ok = anonymous.status in OK_STATUSES
            return self.result(ok, f"{public.base}: HTTP {anonymous.status or anonymous.body}")
        if anonymous.status != 401:
            return self.result(
                False, f"{public.base}: HTTP {anonymous.status} without credentials (want 401)"
            )
        authed = site(self.t, public=True).request("/")
        ok = authed.status in OK_STATUSES
        return self.result(ok, f"{public.base}: 401 without credentials, {authed.status} with")


ALL: tuple[Callable[[TenantAws], AwsCheck], ...] = (
    SecretCheck,
    ServiceCheck,
    RunningCheck,
    TargetCheck,
    HttpCheck,
    LogsCheck,
    WpTitleCheck,
    WpAdminCheck,
)


def checks_for(t: TenantAws) -> list[Check]:
    """The six + WordPress checks; ``https`` too where verify runs after DNS (prod) and
    the site is reached through its public name (no ``http_check_address``)."""
    out: list[Check] = [make(t) for make in ALL]
    if t.ctx.env.is_prod and t.settings.hosted_zone_id and not t.settings.http_check_address:
        out.append(HttpsCheck(t))
    return out
