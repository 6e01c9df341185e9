"""The AWS backend's part of verify: its infrastructure checks (secret, service ACTIVE,
running = desired, targets healthy, logs free of errors) and its site probes (the ALB or
``http_check_address``; the public name through CloudFront for ``https``). The WordPress
checks are the shared ones in ``wpfleet.checks.site``. Each asks once; the verify runner
polls them to a deadline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wpfleet.aws.errors import AwsNotFound
from wpfleet.backends.aws import ecs, elbv2, logs, secretsmanager
from wpfleet.backends.aws.resources.wordpress_install import site
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.backends.aws.web import Site
from wpfleet.checks.base import Check, CheckResult
from wpfleet.checks.probe import Reply
from wpfleet.checks.site import HttpsCheck, SiteExpectations, in_report_order, site_checks

ERROR_TERMS = ("Fatal", "SQLSTATE")


class AwsCheck(Check):
    def __init__(self, t: TenantAws) -> None:
        self.t = t


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


def running_counts(svc: dict[str, object]) -> tuple[bool, object, object]:
    """(all desired tasks run, running, desired) from one DescribeServices service;
    desired 0 is not running."""
    running, desired = svc.get("runningCount", 0), svc.get("desiredCount", 0)
    return running == desired and isinstance(desired, int) and desired > 0, running, desired


def target_states(health: list[dict[str, Any]]) -> list[str | None]:
    """Each target's state from DescribeTargetHealth's TargetHealthDescriptions."""
    return [h.get("TargetHealth", {}).get("State") for h in health]


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
        ok, running, desired = running_counts(svc)
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
        states = target_states(health)
        return self.result(all(s == "healthy" for s in states), f"targets: {states}")


class LogsCheck(AwsCheck):
    name = "logs"
    description = "no Fatal / SQLSTATE in the tenant's logs since the deploy started"

    def ask(self) -> CheckResult:
        group = self.t.names.log_group
        start_ms = int(self.t.ctx.started_at * 1000)
        hits: list[str] = []
        complete = True
        for term in ERROR_TERMS:  # one call per term: moto honours a single term only
            try:
                search = logs.filter_log_events(
                    self.t.aws, group, f"{self.t.names.log_stream_prefix}/", term, start_ms
                )
            except AwsNotFound:
                return self.result(False, f"log group {group} is missing (a deploy creates it)")
            hits += [str(e.get("message", ""))[:200] for e in search.events]
            complete = complete and search.complete
        if hits:
            return self.result(False, f"{len(hits)} error line(s), first: {hits[0]}")
        if not complete:
            return self.result(
                False, f"{group}: searched {logs.MAX_PAGES} pages, AWS says more remain"
            )
        return self.result(True, f"no {' / '.join(ERROR_TERMS)} in {group}")


INFRA: tuple[Callable[[TenantAws], AwsCheck], ...] = (
    SecretCheck,
    ServiceCheck,
    RunningCheck,
    TargetCheck,
    LogsCheck,
)


def expectations(t: TenantAws, *, public: bool) -> SiteExpectations:
    """The ALB and ``http_check_address`` have no basic auth (it is CloudFront's, by
    Lambda@Edge); the public name has the environment's."""

    def login() -> tuple[str, str] | None:
        from wpfleet.backends.aws.platform import basic_auth_credentials

        creds = basic_auth_credentials(t.aws, t.ctx.fleet_name, t.env)
        return (creds.username, creds.password) if creds else None

    gated = public and bool(t.ctx.env.basic_auth)
    return SiteExpectations(t.ctx.tenant.name, t.names.host, gated, login)


class TenantSite:
    """A ``SiteProbe`` that finds its way in (``resources.wordpress_install.site``: AWS calls) when
    first asked, not when the checks are built: a missing listener fails a check, it
    does not stop verify."""

    def __init__(self, t: TenantAws, *, public: bool) -> None:
        self.t, self.public = t, public
        self._site: Site | None = None

    def resolve(self) -> Site:
        if self._site is None:
            self._site = site(self.t, with_auth=False, public=self.public)
        return self._site

    @property
    def where(self) -> str:
        return self._site.where if self._site else f"the site of {self.t.names.host}"

    def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        return self.resolve().get(path, headers, auth)


def checks_for(t: TenantAws) -> list[Check]:
    """The infrastructure checks and the WordPress checks through the ALB (or
    ``http_check_address``); ``https`` too, through the public name, wherever the deploy
    makes the DNS record (sit and prod, after the DNS phase: ``after_dns``)."""
    out: list[Check] = [make(t) for make in INFRA]
    out += site_checks(TenantSite(t, public=False), expectations(t, public=False))
    if t.settings.hosted_zone_id and not t.settings.http_check_address:
        out.append(HttpsCheck(TenantSite(t, public=True), expectations(t, public=True)))
    return in_report_order(out)
