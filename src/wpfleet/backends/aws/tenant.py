"""What every AWS resource of one tenant shares: the session, names, tags, and small
per-run caches (secret ARNs, the listener's rules) so a deploy reads each thing once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from wpfleet import limits
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import ecs, efs, elbv2, iam, secretsmanager
from wpfleet.backends.aws import tags as T
from wpfleet.backends.base import TenantContext
from wpfleet.config.models import AwsSettings
from wpfleet.engine.resource import Fact, Resource, State
from wpfleet.errors import ValidationError
from wpfleet.naming import TenantNames

V = TypeVar("V")
#: a per-service tag call (``elbv2.add_tags``, ``ecs.tag_resource``, ...) and its undo
TagCall = Callable[[AwsSession, str, dict[str, str]], None]
UntagCall = Callable[[AwsSession, str, list[str]], None]


@dataclass
class EnvCache:
    """Per-run, per-environment facts shared by all tenants; thread-safe."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, load: Callable[[], V]) -> V:
        with self.lock:
            if key not in self.values:
                self.values[key] = load()
            return self.values[key]

    def forget(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.values.pop(key, None)


@dataclass
class TenantAws:
    """One tenant in one AWS environment."""

    aws: AwsSession
    ctx: TenantContext
    cache: EnvCache

    @property
    def names(self) -> TenantNames:
        return self.ctx.names

    @property
    def settings(self) -> AwsSettings:
        return self.aws.settings

    @property
    def env(self) -> str:
        return self.ctx.env.name

    @property
    def tenant(self) -> str:
        return self.ctx.tenant.id

    def tags(self, name: str) -> dict[str, str]:
        return T.ownership(self.tenant, self.env, name)

    def is_ours(self, tags: Any) -> bool:
        return T.is_ours(tags, self.tenant, self.env)

    def require(self, key: str) -> str:
        value = getattr(self.settings, key)
        if not value:
            raise ValidationError(
                f"environment {self.env}: aws.{key} is not set in the fleet file",
                hint=f"set it, or fill the aws: block with `wpfleet platform discover "
                f"--env {self.env}`",
            )
        return str(value)

    # --- ARNs -------------------------------------------------------------------------
    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.aws.region}:{self.aws.account_id}:{resource}"

    def secret_arn_pattern(self, name: str) -> str:
        """Matches exactly the secret ``name`` (AWS appends 6 random characters)."""
        return self.arn("secretsmanager", f"secret:{name}-??????")

    def secret_arn(self, name: str) -> str:
        """The secret's full ARN; its partial ARN while it does not exist."""
        meta = self.secret_meta(name)
        return str(meta["ARN"]) if meta else self.arn("secretsmanager", f"secret:{name}")

    def role_arn(self, role: str) -> str:
        return f"arn:aws:iam::{self.aws.account_id}:role/{role}"

    # --- cached reads: each thing is described once per run until we change it ----------
    # Keys are resource names (unique per account and region). Every mutation of a thing
    # forgets its key, so a later read in the same run sees the change. The verify checks
    # never use these: they ask live.
    def secret_meta(self, name: str) -> dict[str, Any] | None:
        """A secret's metadata from DescribeSecret, never from ListSecrets: AWS documents
        that ListSecrets may not show changes of the last few minutes, and a secret
        missed there would be planned as a CREATE."""
        return self.cache.get(
            f"secret:{name}", lambda: secretsmanager.describe_secret(self.aws, name)
        )

    def access_point(self) -> dict[str, Any] | None:
        def load() -> dict[str, Any] | None:
            fs_id = self.require("efs_id")
            return efs.find_access_point(
                self.aws, fs_id, self.names.access_point, self.names.efs_path
            )

        return self.cache.get(f"ap:{self.names.access_point}", load)

    def target_group(self) -> dict[str, Any] | None:
        name = self.names.target_group

        def load() -> dict[str, Any] | None:
            found = [g for g in self.all_target_groups() if g["TargetGroupName"] == name]
            return found[0] if found else None

        return self.cache.get(f"tg:{name}", load)

    def all_target_groups(self) -> list[dict[str, Any]]:
        """Every target group of the region, paginated (400 a page) and read once per run:
        one listing answers both "does ours exist" and "how many has the ALB"."""
        return self.cache.get(
            "all-target-groups", lambda: elbv2.describe_all_target_groups(self.aws)
        )

    def task_definition(self) -> tuple[dict[str, Any], dict[str, str]] | None:
        family = self.names.task_family
        return self.cache.get(f"td:{family}", lambda: ecs.find_task_definition(self.aws, family))

    def service(self) -> dict[str, Any] | None:
        """The tenant's ACTIVE service, or None (a DRAINING one is on its way out)."""
        name, cluster = self.names.service, self.require("cluster")

        def load() -> dict[str, Any] | None:
            found = ecs.describe_services(self.aws, cluster, [name])
            if any(s.get("status") == "DRAINING" for s in found):
                self.cache.values[f"svc-draining:{name}"] = True
            active = [s for s in found if s.get("status") == "ACTIVE"]
            return active[0] if active else None

        return self.cache.get(f"svc:{name}", load)

    def service_draining(self) -> bool:
        """Whether the last read saw the service DRAINING (a destroy not long ago)."""
        self.service()
        return bool(self.cache.values.get(f"svc-draining:{self.names.service}"))

    def role(self, name: str) -> dict[str, Any] | None:
        return self.cache.get(f"role:{name}", lambda: iam.get_role(self.aws, name))

    def secret_value(self, name: str) -> dict[str, Any]:
        """A secret's value, kept in memory for the run (never in state or logs)."""
        return self.cache.get(
            f"secret-value:{name}", lambda: secretsmanager.get_secret_value(self.aws, name)
        )

    def changed(self, *keys: str) -> None:
        """Forget cached reads after a change (``secret:NAME``, ``tg:NAME`` ...)."""
        self.cache.forget(*keys)

    def remember(self, key: str, value: Any) -> None:
        """Cache what a create call answered, so the run need not describe it again."""
        with self.cache.lock:
            self.cache.values[key] = value

    def rule_created(self, rule: dict[str, Any]) -> None:
        with self.cache.lock:
            if "rules" in self.cache.values:
                self.cache.values["rules"] = [*self.cache.values["rules"], rule]
            self.cache.values.pop("all-target-groups", None)

    # --- the database server ------------------------------------------------------------
    def master_credentials(self) -> dict[str, Any]:
        """RDS master credentials from Secrets Manager; memory only, never logged."""
        name = self.require("rds_master_secret")
        return self.secret_value(name)

    def db_endpoint(self) -> tuple[str, int]:
        """(host, port) of the environment's database server."""
        raw = self.settings.rds_endpoint
        if raw:
            host, _, port = raw.partition(":")
            return host, int(port or 3306)
        master = self.master_credentials()
        if master.get("host"):
            return str(master["host"]), int(master.get("port") or 3306)
        raise ValidationError(
            f"environment {self.env}: no database endpoint (aws.rds_endpoint, or host in "
            f"the secret {self.settings.rds_master_secret})",
            hint="set aws.rds_endpoint in the fleet file",
        )

    def db_host_value(self) -> str:
        host, port = self.db_endpoint()
        return host if port == 3306 else f"{host}:{port}"

    # --- the listener -----------------------------------------------------------------
    def listener(self) -> dict[str, Any]:
        arn = self.require("listener_arn")

        def load() -> dict[str, Any]:
            found = elbv2.describe_listener(self.aws, arn)
            if not found:
                raise ValidationError(
                    f"environment {self.env}: listener {arn} does not exist",
                    hint=f"fix aws.listener_arn (`wpfleet platform discover --env {self.env}`)",
                )
            return found

        return self.cache.get("listener", load)

    def load_balancer(self) -> dict[str, Any]:
        """The listener's ALB (for its DNS name), described once per run."""
        arn = self.listener()["LoadBalancerArn"]
        return self.cache.get(f"lb:{arn}", lambda: elbv2.describe_load_balancer(self.aws, arn))

    def rules(self) -> list[dict[str, Any]]:
        """Every rule of the listener (paginated), read once per run until changed."""
        arn = self.require("listener_arn")
        return self.cache.get("rules", lambda: elbv2.describe_rules(self.aws, arn))

    def other_listener_rules(self) -> int:
        """Rules (not default ones) on the ALB's other listeners, read once per run."""
        lb, own = self.listener()["LoadBalancerArn"], self.require("listener_arn")

        def load() -> int:
            others = [x for x in elbv2.describe_listeners(self.aws, lb) if x["ListenerArn"] != own]
            return sum(
                1
                for x in others
                for r in elbv2.describe_rules(self.aws, x["ListenerArn"])
                if not r.get("IsDefault")
            )

        return self.cache.get(f"other-listener-rules:{lb}", load)

    def rule_quota(self) -> int:
        """The account's rules-per-ALB quota (adjustable), default 100."""

        def load() -> int:
            found = elbv2.account_limit(self.aws, limits.RULES_QUOTA_NAME)
            return found if found is not None else limits.RULES_PER_ALB

        return self.cache.get("rule-quota", load)

    def rules_changed(self) -> None:
        self.cache.forget("rules", "all-target-groups")

    def lb_target_groups(self) -> list[dict[str, Any]]:
        lb = self.listener()["LoadBalancerArn"]
        return [g for g in self.all_target_groups() if lb in g.get("LoadBalancerArns", [])]


class AwsResource(Resource):
    """A Resource of one tenant on AWS."""

    def __init__(self, t: TenantAws) -> None:
        self.t = t

    @property
    def aws(self) -> AwsSession:
        return self.t.aws

    @property
    def names(self) -> TenantNames:
        return self.t.names

    def fact(self, state: dict[str, Any], tags: Any) -> Fact:
        """A taggable resource's Fact; its state says whether our tags are on it."""
        ours = self.t.is_ours(tags)
        return Fact({**state, "tagged": ours}, tagged=ours)

    @staticmethod
    def wants_tags(target: State) -> bool:
        """False when ``target`` is a ``before`` state of a resource that was not ours:
        undoing an adoption takes our ownership tags off again."""
        return target.get("tagged") is not False

    def reconcile_tags(
        self, target: State, name: str, resource_id: str, tag: TagCall, untag: UntagCall
    ) -> None:
        """Bring wpfleet's tags on one resource to ``target``, with the service's own tag
        calls: the one helper every taggable resource uses (see ``tags.reconcile``)."""
        T.reconcile(
            self.t.tags(name) if self.wants_tags(target) else None,
            lambda ours: tag(self.aws, resource_id, ours),
            lambda keys: untag(self.aws, resource_id, keys),
        )

    def differences(self, actual: State, desired: State) -> list[str]:
        """Missing ownership tags are a difference too: adopting tags the resource."""
        out = super().differences(actual, desired)
        if actual.get("tagged") is False:
            out.append("tags")
        return sorted(out)
