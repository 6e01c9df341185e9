"""``AwsBackend``: one AWS environment of the fleet (ECS Fargate, ALB, EFS, RDS,
Secrets Manager, Route53, CloudFront), behind the same interface as the local backend.

Nothing here runs before ``preflight`` has checked the account with STS; every
resource reads first and is tagged (or recorded in the state store) as wpfleet's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from wpfleet import naming
from wpfleet.aws.errors import AwsNotFound
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import (
    cloudwatch,
    ecs,
    efs_policy,
    elbv2,
    pages,
    platform,
    s3,
    secretsmanager,
    tagging,
)
from wpfleet.backends.aws.checks import checks_for
from wpfleet.backends.aws.discover import Discovered, discover
from wpfleet.backends.aws.resources.access_point import AccessPoint
from wpfleet.backends.aws.resources.alarms import Alarms
from wpfleet.backends.aws.resources.database import Database
from wpfleet.backends.aws.resources.database_user import DbUser
from wpfleet.backends.aws.resources.dns_record import DnsRecord
from wpfleet.backends.aws.resources.listener_rule import ListenerRule
from wpfleet.backends.aws.resources.log_group import LogGroup
from wpfleet.backends.aws.resources.roles import ExecRole, SharedSecretsPolicy, TaskRole
from wpfleet.backends.aws.resources.secret import AdminSecret, DbSecret
from wpfleet.backends.aws.resources.service import Service
from wpfleet.backends.aws.resources.target_group import TargetGroup
from wpfleet.backends.aws.resources.task_definition import TaskDefinition
from wpfleet.backends.aws.resources.wordpress_install import WordPressInstall
from wpfleet.backends.aws.tenant import EnvCache, TenantAws
from wpfleet.backends.base import (
    AuditFinding,
    Backend,
    ComponentStatus,
    ContentAccess,
    CostData,
    Credentials,
    Diagnosis,
    LogLine,
    PlatformStatus,
    TenantContext,
    TenantHealth,
)
from wpfleet.checks.base import Check
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import AwsSettings, Environment
from wpfleet.engine.resource import Resource
from wpfleet.errors import ConfigError, ConfigProblem, NotFoundError, ValidationError
from wpfleet.state.base import StateStore

#: how long a passed preflight of an unchanged ``aws:`` block is trusted
PREFLIGHT_TTL = 600.0


class AwsBackend(Backend):
    def __init__(
        self,
        loaded: LoadedFleet,
        env: Environment,
        store: StateStore,
        *,
        session: AwsSession | None = None,
    ) -> None:
        super().__init__(loaded, env, store)
        if env.aws is None:
            raise ConfigError(
                [
                    ConfigProblem(
                        str(loaded.path),
                        f"environments[{env.name}].aws",
                        "backend is aws but the aws: block is missing",
                        f"fill it with `wpfleet platform discover --env {env.name}`",
                    )
                ]
            )
        self.settings: AwsSettings = env.aws
        self.aws = session or AwsSession(env.aws, env.name)
        self.cache = EnvCache()
        self._preflight_done = False

    def tenant(self, ctx: TenantContext) -> TenantAws:
        return TenantAws(self.aws, ctx, self.cache)

    # --- platform ------------------------------------------------------------------------
    def preflight(self) -> None:
        """STS account check (every run), then every base resource the environment names;
        all missing ones are reported together. Base resources change rarely: a passed
        check is remembered in the state store for ``PREFLIGHT_TTL`` seconds per exact
        ``aws:`` block, so a batch or a CI matrix does not describe them again."""
        if self._preflight_done:
            return
        self.aws.check_account()
        key = f"aws/preflight/{self.env.name}"
        fingerprint = _fingerprint(self.settings)
        cached = self.store.get_document(key) or {}
        fresh = time.time() - float(cached.get("at", 0)) < PREFLIGHT_TTL
        if not (fresh and cached.get("settings") == fingerprint):
            found = platform.base_components(self.aws, self.env, self.cache)
            missing = [c for c in found if not c.running]
            if missing:
                self.store.delete_document(key)
                raise ValidationError(
                    f"environment {self.env.name}: base resources missing or unsafe: "
                    + "; ".join(c.detail for c in missing),
                    hint=f"fix the aws: block (`wpfleet platform discover --env {self.env.name}`)",
                )
            self.store.put_document(key, {"at": time.time(), "settings": fingerprint})
        self._preflight_done = True

    def platform_status(self) -> PlatformStatus:
        status = PlatformStatus(env=self.env.name)
        try:
            self.aws.check_account()
            status.components.append(ComponentStatus("account", True, self.aws.account_id))
        except ValidationError as exc:
            status.components.append(ComponentStatus("account", False, exc.message))
            return status
        status.components += platform.base_components(self.aws, self.env)
        if self.env.basic_auth:
            creds = platform.basic_auth_credentials(
                self.aws, self.loaded.fleet.fleet, self.env.name
            )
            status.components.append(
                ComponentStatus(
                    "basic-auth",
                    creds is not None,
                    "secret present" if creds else "not bootstrapped: run `wpfleet platform up`",
                )
            )
        status.limitations.append("base resources (VPC, ALB, EFS, RDS) are not created by wpfleet")
        return status

    def platform_up(self) -> PlatformStatus:
        """Bootstrap what wpfleet owns per environment: basic auth (where enabled)."""
        self.aws.check_account()
        if self.env.basic_auth:
            platform.bootstrap_basic_auth(self.aws, self.loaded.fleet.fleet, self.env.name)
        return self.platform_status()

    def platform_fix(self) -> list[str]:
        """``platform up --fix``: the base-resource settings wpfleet may repair (never
        create): the EFS file-system policy that tenant isolation needs."""
        self.aws.check_account()
        done = []
        efs_id = self.settings.efs_id
        if efs_id and efs_policy.fix(self.aws, efs_id):
            done.append(f"applied wpfleet's file-system policy to EFS {efs_id}")
        self.store.delete_document(f"aws/preflight/{self.env.name}")
        return done

    def environment_drift(self) -> list[ComponentStatus]:
        """Every cache behavior of the distribution carries the basic-auth function."""
        if not (self.env.basic_auth and self.settings.cloudfront_distribution_id):
            return []
        self.aws.check_account()
        return [platform.basic_auth_coverage(self.aws, self.env)]

    def tenant_traces(self) -> dict[str, list[str]]:
        """Resources tagged ``wpfleet:env`` = this environment, by their
        ``wpfleet:tenant`` tag (the Resource Groups Tagging API, every page)."""
        return tagging.tenant_resources(self.aws, self.env.name)

    def discover(self) -> Discovered:
        """The environment's ``aws:`` block as found by names and tags (read only)."""
        return discover(self.aws, self.env)

    def costs(self, days: int, today: dt.date) -> CostData:
        """Cost Explorer with this environment's own credentials (profile, account)."""
        from wpfleet.backends.aws.ce import env_costs

        self.aws.check_account()
        return env_costs(self.aws, self.env.name, days, today)

    def diagnose(self, ctx: TenantContext) -> list[Diagnosis]:
        """The seeds' troubleshooting table: targets, tasks, logs, endpoint, groups, rules."""
        from wpfleet.backends.aws.doctor import diagnose

        self.aws.check_account()
        return diagnose(self.tenant(ctx), self.env.basic_auth)

    def audit_isolation(self, ctxs: list[TenantContext]) -> list[AuditFinding]:
        """Database grants, access points, IAM policies, the EFS policy, security groups."""
        from wpfleet.backends.aws.audit import audit

        self.aws.check_account()
        return audit([self.tenant(c) for c in ctxs])

    def logs(
        self, ctx: TenantContext, since: float, pattern: str | None, cursor: Any = None
    ) -> tuple[list[LogLine], Any]:
        """CloudWatch Logs: the tenant's own group ``/ecs/{env}/{tenant}``."""
        from wpfleet.backends.aws.logs import Cursor, read_events

        start = cursor if isinstance(cursor, Cursor) else Cursor(int(since * 1000), frozenset())
        prefix, group = f"{ctx.names.log_stream_prefix}/", ctx.names.log_group
        try:
            return read_events(self.aws, group, prefix, pattern, start)
        except AwsNotFound:
            raise NotFoundError(
                f"{ctx.tenant.id} in {self.env.name}: log group {group} does not exist",
                hint=f"deploy the tenant (`wpfleet deploy {ctx.tenant.id} --env "
                f"{self.env.name}`): it creates the group; before per-tenant groups a "
                f"tenant logged to {naming.log_group(self.env.name)}",
            ) from None

    def platform_down(self) -> PlatformStatus:
        raise NotImplementedError(
            "platform down is not supported on aws: the base resources are not wpfleet's; "
            "destroy tenants with `wpfleet destroy`"
        )

    # --- tenants -------------------------------------------------------------------------
    def resources(self, ctx: TenantContext) -> list[Resource]:
        t = self.tenant(ctx)
        out: list[Resource] = [DbSecret(t), AdminSecret(t), Database(t), DbUser(t)]
        if self.settings.iam_mode == "per-tenant-roles":
            out += [ExecRole(t), AccessPoint(t), TaskRole(t)]
        else:
            out += [SharedSecretsPolicy(t), AccessPoint(t)]
        out.append(LogGroup(t))
        out += [TaskDefinition(t), TargetGroup(t), ListenerRule(t), Service(t), WordPressInstall(t)]
        out.append(Alarms(t))
        if self.settings.hosted_zone_id:
            out.append(DnsRecord(t))
        return out

    def checks(self, ctx: TenantContext) -> list[Check]:
        return checks_for(self.tenant(ctx))

    def urls(self, ctx: TenantContext) -> dict[str, str]:
        url = f"{self.settings.scheme}://{ctx.names.host}"
        return {"url": url, "admin_url": f"{url}/wp-admin", "health_check_url": f"{url}/"}

    def document_sections(self, ctx: TenantContext) -> dict[str, Any]:
        from wpfleet.backends.aws.documents import sections

        return sections(self.tenant(ctx))

    def publish_document(self, ctx: TenantContext, doc: dict[str, Any] | None) -> None:
        bucket = self.settings.config_bucket
        if not bucket:
            return
        key = ctx.names.config_document
        if doc is None:
            s3.delete_object(self.aws, bucket, key)
        else:
            s3.put_object_json(self.aws, bucket, key, doc)

    def content_access(self, ctx: TenantContext) -> ContentAccess:
        """``db_mode: direct`` and ``aws.content_bucket`` needed (``aws/content.py``)."""
        from wpfleet.backends.aws.content import content_access

        self.aws.check_account()
        return content_access(self.tenant(ctx), self.urls(ctx)["url"])

    def image_digest(self, ctx: TenantContext) -> str | None:
        """``imageDigest`` of the service's running task (DescribeTasks reports it per
        container once the image is pulled); None while there is none."""
        cluster = self.settings.cluster or ""
        arns = ecs.running_task_arns(self.aws, cluster, ctx.names.service)
        for task in ecs.describe_tasks(self.aws, cluster, arns[:1]) if arns else []:
            for container in task.get("containers", []):
                if container.get("imageDigest"):
                    return str(container["imageDigest"])
        return None

    def health(self, ctxs: list[TenantContext], *, http: bool = True) -> dict[str, TenantHealth]:
        """Batched: describe_services by 10, the ALB's target groups in one paginated
        call, one GetMetricData for every target group's healthy host count (100 tenants:
        12 calls; the seeds' verify script makes 5 per tenant); then (``http``) the front
        page of each tenant ECS calls healthy, its title checked (``pages.py``)."""
        if not ctxs:
            return {}
        cluster = self.settings.cluster or ""
        with ThreadPoolExecutor(max_workers=2) as pool:  # ECS and ELB+CloudWatch at once
            found = pool.submit(
                ecs.describe_services, self.aws, cluster, [c.names.service for c in ctxs]
            )
            tgs = {g["TargetGroupName"]: g for g in self._target_groups(ctxs)}
            hosts = self._healthy_hosts(tgs)
            services = {s["serviceName"]: s for s in found.result()}
        out = {}
        for c in ctxs:
            out[c.tenant.id] = _tenant_health(
                c,
                services.get(c.names.service),
                hosts.get(c.names.target_group),
                self.urls(c)["url"],
            )
        if http:
            pages.with_pages([self.tenant(c) for c in ctxs], out)
        return out

    def _target_groups(self, ctxs: list[TenantContext]) -> list[dict[str, Any]]:
        """The ALB's target groups in one paginated call (400 a page; the ALB's ARN is read
        from the listener's, no round trip), else by name."""
        lb_arn = elbv2.load_balancer_of(self.settings.listener_arn or "")
        found = elbv2.describe_target_groups_of_lb(self.aws, lb_arn) if lb_arn else []
        if found:
            return found
        return elbv2.describe_target_groups_by_name(self.aws, [c.names.target_group for c in ctxs])

    def _healthy_hosts(self, tgs: dict[str, dict[str, Any]]) -> dict[str, float | None]:
        lb_arns = {a for g in tgs.values() for a in g.get("LoadBalancerArns", [])}
        if not tgs or len(lb_arns) != 1:
            return {}
        lb_dim = _dimension(lb_arns.pop(), "loadbalancer/")
        dims = {name: _dimension(g["TargetGroupArn"], "targetgroup/") for name, g in tgs.items()}
        return cloudwatch.healthy_host_counts(self.aws, lb_dim, dims)

    # --- credentials ---------------------------------------------------------------------
    def basic_auth_credentials(self) -> Credentials | None:
        if not self.env.basic_auth:
            return None
        return platform.basic_auth_credentials(self.aws, self.loaded.fleet.fleet, self.env.name)

    def admin_credentials(self, ctx: TenantContext) -> Credentials:
        value = secretsmanager.get_secret_value(self.aws, ctx.names.admin_secret)
        return Credentials(
            username=str(value["username"]),
            password=str(value["password"]),
            url=self.urls(ctx)["admin_url"],
            description=f"WordPress admin of {ctx.tenant.id} in {self.env.name}",
        )


def _fingerprint(settings: AwsSettings) -> str:
    raw = json.dumps(settings.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _dimension(arn: str, marker: str) -> str:
    """CloudWatch's dimension value: the ARN from ``targetgroup/`` or ``app/`` on."""
    tail = arn.split(":")[-1]
    return tail[len(marker) :] if tail.startswith(marker) and marker == "loadbalancer/" else tail


def _tenant_health(
    ctx: TenantContext, svc: dict[str, Any] | None, healthy_hosts: float | None, url: str
) -> TenantHealth:
    if svc is None:
        return TenantHealth(ctx.tenant.id, deployed=False, healthy=None, url=url)
    running, desired = svc.get("runningCount", 0), svc.get("desiredCount", 0)
    ok = svc.get("status") == "ACTIVE" and running == desired and desired > 0
    if healthy_hosts is not None:
        ok = ok and healthy_hosts > 0
    detail = f"{running}/{desired} running"
    if healthy_hosts is not None:
        detail += f", {healthy_hosts:.0f} healthy target(s)"
    return TenantHealth(ctx.tenant.id, deployed=True, healthy=ok, url=url, detail=detail)
