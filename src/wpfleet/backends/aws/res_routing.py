"""Infra phase, routing and serving: the listener rule and the ECS service."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wpfleet import limits, naming
from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import ecs, elbv2, priorities
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.res_infra import CONTAINER, canonical, count_rules, find_target_group
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ConflictError, ValidationError

PRIORITY_RETRIES = 5


def target_group_arn(t: TenantAws) -> str:
    """The tenant's target group ARN; it must exist (the rule and service depend on it)."""
    tg = find_target_group(t)
    if tg is None:
        raise ValidationError(f"target group {t.names.target_group} is missing; cannot use it")
    return str(tg["TargetGroupArn"])


class ListenerRule(AwsResource):
    id = "infra/listener-rule"
    phase = Phase.INFRA
    depends_on = ("infra/target-group",)
    description = "ALB listener rule: host header → the tenant's target group"

    def find(self) -> dict[str, Any] | None:
        """The rule routing our host (tagged or not: an untagged one is a conflict), else
        the one forwarding to our target group: its host was changed behind wpfleet's
        back (drift), and the update puts it back instead of adding a second rule."""
        host = self.names.host
        rules = self.t.rules()
        for rule in rules:
            if host in priorities.rule_hosts(rule):
                return rule
        for rule in rules:
            if not rule.get("IsDefault") and self.names.target_group in (
                priorities.rule_target_groups(rule)
            ):
                return rule
        return None

    def read(self) -> Fact | None:
        rule = self.find()
        if rule is None:
            return None
        tags = elbv2.describe_tags(self.aws, [rule["RuleArn"]]).get(rule["RuleArn"])
        state = {
            "arn": rule["RuleArn"],
            "priority": priorities.rule_priority(rule),
            "host": _one_or_all(priorities.rule_hosts(rule)),
            "target_groups": priorities.rule_target_groups(rule),
        }
        return self.fact(state, tags)

    def desired(self) -> State:
        """Also checks, before any mutating call, the pinned priority and the ALB's room."""
        out: State = {"host": self.names.host, "target_groups": [self.names.target_group]}
        pinned = self.t.ctx.tenant.pinned_priority
        if pinned is not None:
            naming.check_priority(pinned)
            out["priority"] = pinned
        if self.find() is None:
            limits.check_room_on_alb(count_rules(self.t), 0, self.t.env, self.t.rule_quota())
            if pinned is not None:
                priorities.check_pinned(self.t, pinned, None)
        return out

    def _spec(self, tg_arn: str) -> dict[str, Any]:
        return {
            "Conditions": [
                {"Field": "host-header", "HostHeaderConfig": {"Values": [self.names.host]}}
            ],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg_arn}],
        }

    def _tg_arn(self) -> str:
        return target_group_arn(self.t)

    def create(self) -> None:
        existing = self.find()
        if existing is not None:
            self.update(self.desired())
            return
        pinned = self.t.ctx.tenant.pinned_priority
        if pinned is not None:
            priorities.check_pinned(self.t, pinned, None)
            priorities.reserve_pinned(self.t, pinned)
        spec = self._spec(self._tg_arn())
        extra: set[int] = set()
        for _ in range(PRIORITY_RETRIES):
            prio = pinned if pinned is not None else priorities.allocate(self.t, extra)
            try:
                self._create_at(prio, spec)
                return
            except AwsConflict as exc:
                if exc.code != "PriorityInUse":
                    raise
                if pinned is not None:  # taken since the plan: name who holds it
                    self.t.rules_changed()
                    priorities.check_pinned(self.t, pinned, None)
                    raise
                priorities.release(self.t)
                extra.add(prio)
                self.t.rules_changed()
        raise ConflictError(
            f"no free listener priority for {self.t.tenant} after {PRIORITY_RETRIES} tries",
            hint="another deploy is taking priorities fast; re-run",
        )

    def _create_at(self, priority: int, spec: dict[str, Any]) -> None:
        created = elbv2.create_rule(
            self.aws,
            ListenerArn=self.t.require("listener_arn"),
            Priority=priority,
            Tags=T.as_key_value(self.t.tags(self.names.listener_rule)),
            **spec,
        )
        self.t.rule_created(created)

    def update(self, target: State) -> None:
        rule = self.find()
        if rule is None:
            return
        arn = rule["RuleArn"]
        if self.wants_tags(target):
            elbv2.add_tags(self.aws, arn, self.t.tags(self.names.listener_rule))
        else:
            elbv2.remove_tags(self.aws, arn, T.OWNERSHIP_KEYS)
        tg_names = target.get("target_groups") or [self.names.target_group]
        tgs = elbv2.describe_target_groups_by_name(self.aws, tg_names)
        if tgs:
            elbv2.modify_rule(self.aws, RuleArn=arn, **self._spec(tgs[0]["TargetGroupArn"]))
        wanted = target.get("priority")
        if wanted is not None and wanted != priorities.rule_priority(rule):
            priorities.check_pinned(self.t, int(wanted), arn)
            elbv2.set_rule_priorities(self.aws, arn, int(wanted))
        self.t.rules_changed()

    def delete(self) -> None:
        rule = self.find()
        if rule is not None:
            elbv2.delete_rule(self.aws, rule["RuleArn"])
            self.t.rules_changed()
        priorities.release(self.t)

    def ownership_data(self) -> State:
        rule = self.find()
        return {"arn": rule["RuleArn"], "priority": priorities.rule_priority(rule)} if rule else {}


def _one_or_all(hosts: list[str]) -> str | list[str]:
    return hosts[0] if len(hosts) == 1 else hosts


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


class Service(AwsResource):
    """The ECS service. Always read before create: moto silently replaces a service created
    twice (AWS refuses). An update that fails leaves the old revision serving, and the
    deployment circuit breaker rolls a failing new revision back."""

    id = "infra/service"
    phase = Phase.INFRA
    depends_on = ("infra/task-definition", "infra/listener-rule", "infra/target-group")
    description = "ECS Fargate service behind the target group"

    def find(self) -> dict[str, Any] | None:
        return self.t.service()

    def read(self) -> Fact | None:
        svc = self.find()
        if svc is None:
            return None
        td_arn = str(svc.get("taskDefinition", ""))
        described = self.t.cache.get(
            f"td:{td_arn}", lambda: ecs.describe_task_definition(self.aws, td_arn)[0]
        )
        state = {
            "name": svc["serviceName"],
            "arn": svc["serviceArn"],
            "task_definition": td_arn.rsplit("/", 1)[-1],
            "spec_hash": spec_hash(canonical(described)),
            "desired_count": svc.get("desiredCount"),
        }
        return self.fact(state, svc.get("tags"))

    def desired(self) -> State:
        from wpfleet.backends.aws.res_infra import TaskDefinition

        spec = TaskDefinition(self.t).desired()["spec"]
        return {"spec_hash": spec_hash(spec), "desired_count": self.t.ctx.tenant.desired_count}

    def create(self) -> None:
        if self.find() is not None:  # never create_service twice: moto would replace it
            self.update(self.desired())
            return
        cluster = self.t.require("cluster")
        if self.t.service_draining():  # destroyed not long ago: the name is not free yet
            ecs.wait_until_drained(self.aws, cluster, self.names.service)
        s = self.t.settings
        created = ecs.create_service(
            self.aws,
            cluster=cluster,
            serviceName=self.names.service,
            taskDefinition=self._latest_revision(),
            desiredCount=self.t.ctx.tenant.desired_count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(s.subnets),
                    "securityGroups": [self.t.require("security_group")],
                    "assignPublicIp": "DISABLED",
                }
            },
            loadBalancers=[
                {
                    "targetGroupArn": target_group_arn(self.t),
                    "containerName": CONTAINER,
                    "containerPort": 80,
                }
            ],
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
            propagateTags="SERVICE",
            tags=T.as_ecs(self.t.tags(self.names.service)),
        )
        created.setdefault("tags", T.as_ecs(self.t.tags(self.names.service)))
        self.t.remember(f"svc:{self.names.service}", created)

    def _latest_revision(self) -> str:
        """The family's latest ACTIVE revision as ``family:N`` (AWS would resolve a bare
        family the same way; moto would store the bare name)."""
        found = self.t.task_definition()
        if found is None:
            return self.names.task_family
        return f"{found[0]['family']}:{found[0]['revision']}"

    def update(self, target: State) -> None:
        """Point at ``target``'s revision (undo) or the family's latest (deploy)."""
        svc = self.find()
        if svc is None:
            return
        td = target.get("task_definition") or self._latest_revision()
        ecs.update_service(
            self.aws,
            cluster=self.t.require("cluster"),
            service=self.names.service,
            taskDefinition=td,
            desiredCount=int(target.get("desired_count") or self.t.ctx.tenant.desired_count),
        )
        if self.wants_tags(target):
            ecs.tag_resource(self.aws, svc["serviceArn"], self.t.tags(self.names.service))
        else:
            ecs.untag_resource(self.aws, svc["serviceArn"], T.OWNERSHIP_KEYS)
        self.t.changed(f"svc:{self.names.service}")

    def delete(self) -> None:
        """Delete, and wait for the draining to end: only then is the name free again."""
        cluster = self.t.require("cluster")
        ecs.delete_service(self.aws, cluster, self.names.service)
        ecs.wait_until_drained(self.aws, cluster, self.names.service)
        self.t.changed(f"svc:{self.names.service}", f"svc-draining:{self.names.service}")

    def ownership_data(self) -> State:
        return {"name": self.names.service}
