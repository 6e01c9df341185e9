"""The fleet file, as Pydantic models.

Unknown keys are refused (a typo must not be silently ignored); the shape follows
DESIGN.md. Cross-field rules (names, limits, ranges) live in ``wpfleet.config.validate``
so that ``wpfleet validate`` can report all of them at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateConfig(Strict):
    backend: Literal["sqlite", "dynamodb"] = "sqlite"
    path: str | None = None  # sqlite: file, default .wpfleet/state.db next to the fleet file
    table: str | None = None  # dynamodb
    bucket: str | None = None  # dynamodb: S3 bucket for config documents and reports
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None


class Defaults(Strict):
    image: str = "wordpress:latest"
    #: a custom image must say that its entrypoint writes wp-config.php (seeds' pitfall 4)
    image_writes_wp_config: bool = False
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1


class PriorityRange(Strict):
    first: int = 10
    last: int = 260

    @model_validator(mode="after")
    def _ordered(self) -> PriorityRange:
        if self.first > self.last:
            raise ValueError(f"first ({self.first}) is after last ({self.last})")
        return self


class Approvals(Strict):
    required: int = Field(default=1, ge=1)
    #: people, or names of ``groups`` below; empty: anyone but the requester
    approvers: list[str] = Field(default_factory=list)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    wait_minutes: int = Field(default=0, ge=0)
    #: e.g. "Mon-Fri 08:00-17:00 Africa/Johannesburg"; empty: any time
    windows: list[str] = Field(default_factory=list)
    expire_hours: int = Field(default=72, ge=1)
    #: optional external gate: POSTed the request, must answer {"state": "approved"}
    webhook: str | None = None

    @model_validator(mode="after")
    def _satisfiable(self) -> Approvals:
        from wpfleet.config.windows import parse_window

        for window in self.windows:
            parse_window(window)  # WindowError (a ValueError) names the bad window
        if self.approvers:
            people = {m for a in self.approvers for m in self.groups.get(a, [a])}
            if len(people) < self.required:
                raise ValueError(
                    f"required is {self.required} but only {len(people)} distinct "
                    f"approver(s) are allowed ({', '.join(sorted(people))})"
                )
        return self


class LocalSettings(Strict):
    http_port: int = Field(default=8080, ge=1, le=65535)
    db_port: int = Field(default=3407, ge=1, le=65535)
    isolation: Literal["per-tenant", "shared"] = "per-tenant"
    bind: str = "127.0.0.1"


class DnsSettings(Strict):
    profile: str | None = None
    region: str | None = None


class AlarmSettings(Strict):
    #: where each tenant's CloudWatch alarms are sent; none: alarms without actions
    sns_topic_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"
    )


#: the retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


class LogSettings(Strict):
    """Each tenant's log group ``/ecs/{env}/{tenant}`` (made by deploy)."""

    #: how long CloudWatch keeps the tenant's log events
    retention_days: int = 30
    #: false: destroy deletes the tenant's log group; true: it stays until retention
    #: expires its events (a later deploy of the same tenant adopts it)
    keep_on_destroy: bool = False

    @model_validator(mode="after")
    def _retention(self) -> LogSettings:
        if self.retention_days not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
            raise ValueError(
                f"retention_days {self.retention_days} is not one CloudWatch Logs accepts "
                f"({allowed})"
            )
        return self


class AwsSettings(Strict):
    account_id: str | None = None
    region: str = "eu-west-1"
    profile: str | None = None
    dns: DnsSettings = Field(default_factory=DnsSettings)
    iam_mode: Literal["per-tenant-roles", "shared-role"] = "per-tenant-roles"
    http_check_address: str | None = None
    endpoint_url: str | None = None
    cluster: str | None = None
    listener_arn: str | None = None
    vpc_id: str | None = None
    subnets: list[str] = Field(default_factory=list)
    security_group: str | None = None
    efs_id: str | None = None
    execution_role: str | None = None
    task_role: str | None = None
    rds_endpoint: str | None = None
    rds_instance: str | None = None
    rds_master_secret: str | None = None
    db_mode: Literal["direct", "ecs-task"] = "direct"
    hosted_zone_id: str | None = None
    cloudfront_domain: str | None = None
    cloudfront_distribution_id: str | None = None
    certificate_arn: str | None = None
    config_bucket: str | None = None
    #: S3 bucket of content on aws: wp-content transfers and restore points, under
    #: ``wpfleet-content/{env}/{tenant}/`` (content export/import/clone, backups)
    content_bucket: str | None = None
    scheme: Literal["https", "http"] = "https"
    #: the IAM role GitHub Actions assumes through OIDC for this environment
    #: (`wpfleet ci generate`; its policy comes from `wpfleet ci policy --env ENV`)
    ci_role_arn: str | None = None
    #: S3 bucket of `wpfleet tf export`'s state (default: the environment's state bucket)
    tf_state_bucket: str | None = None
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    logs: LogSettings = Field(default_factory=LogSettings)


NotifyEvent = Literal[
    "deployment.succeeded",
    "deployment.failed",
    "deployment.rolled-back",
    "approval.requested",
    "approval.decided",
    "drift.found",
    "cost.anomaly",
]


class SmtpSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "wpfleet@localhost"
    starttls: bool = False
    username: str | None = None
    #: ``env:NAME``: the password is read from that variable, never from the fleet file
    password: str | None = Field(default=None, pattern=r"^env:[A-Za-z_][A-Za-z0-9_]*$")


class Notify(Strict):
    #: a Slack incoming-webhook URL, or ``env:NAME`` to read it from a variable
    slack_webhook: str | None = None
    #: a generic JSON webhook (URL or ``env:NAME``): receives the event as JSON
    webhook: str | None = None
    email: list[str] = Field(default_factory=list)
    smtp: SmtpSettings | None = None
    #: which events to send (default: all), e.g. ["deployment.failed", "drift.found"]
    events: list[NotifyEvent] = Field(default_factory=list)


class Environment(Strict):
    name: str
    backend: Literal["local", "aws"] = "local"
    domain: str
    basic_auth: bool = False
    auto_promote: bool = False
    #: a promotion INTO this environment needs the release to have passed upstream at
    #: least this long ago
    soak_minutes: int = Field(default=0, ge=0)
    #: restore points kept per tenant (the newest); one is taken before every overwrite
    backup_retention: int = Field(default=10, ge=1)
    approvals: Approvals | None = None
    priorities: PriorityRange = Field(default_factory=PriorityRange)
    local: LocalSettings | None = None
    aws: AwsSettings | None = None
    state: StateConfig | None = None
    notify: Notify | None = None
    prod: bool | None = None  # default: true when the environment is named "prod"

    @property
    def is_prod(self) -> bool:
        return self.prod if self.prod is not None else self.name == "prod"

    @property
    def local_settings(self) -> LocalSettings:
        return self.local or LocalSettings()


class TenantOverride(Strict):
    image: str | None = None
    image_writes_wp_config: bool | None = None
    cpu: int | None = None
    memory: int | None = None
    desired_count: int | None = None
    name: str | None = None


class CiSettings(Strict):
    """What `wpfleet ci generate` writes (see README, CI section)."""

    #: also write one small trigger workflow per tenant, as the seeds do
    per_tenant_workflows: bool = False
    runs_on: str = "ubuntu-latest"
    python: str = "3.11"
    #: pip requirement that installs wpfleet on the runner (default: this version)
    install: str | None = None
    #: cron of the scheduled drift + status workflow (UTC)
    drift_schedule: str = "17 5 * * 1-5"
    #: the branch that release pull requests target and whose pushes deploy prod
    branch: str = "main"


class Tenant(Strict):
    id: str
    name: str
    industry: str | None = None
    admin_email: str = "admin@example.com"
    admin_user: str = "admin"
    priority: dict[str, int] = Field(default_factory=dict)
    overrides: dict[str, TenantOverride] = Field(default_factory=dict)
    environments: list[str] | None = None  # default: every environment


class Fleet(Strict):
    fleet: str
    state: StateConfig = Field(default_factory=StateConfig)
    defaults: Defaults = Field(default_factory=Defaults)
    environments: list[Environment]
    tenants: list[Tenant] = Field(default_factory=list)
    notify: Notify | None = None
    ci: CiSettings = Field(default_factory=CiSettings)

    def env(self, name: str) -> Environment:
        from wpfleet.errors import NotFoundError

        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise NotFoundError(f"no environment {name!r} in the fleet file", hint=f"one of: {known}")

    def tenant(self, tenant_id: str) -> Tenant:
        from wpfleet.errors import NotFoundError

        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        raise NotFoundError(
            f"no tenant {tenant_id!r} in the fleet file",
            hint="add it under `tenants:` or check the spelling (`wpfleet status` lists them)",
        )

    def tenants_in(self, env: str) -> list[Tenant]:
        return [t for t in self.tenants if t.environments is None or env in t.environments]
