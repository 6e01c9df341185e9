"""Infra phase, routing: the tenant's ALB target group (ip targets, the seeds' health check)."""

from __future__ import annotations

from typing import Any

from wpfleet import limits
from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import elbv2
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ValidationError

HEALTH_CHECK = {
    "HealthCheckEnabled": True,
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPath": "/",
    "HealthCheckIntervalSeconds": 30,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 2,
    "UnhealthyThresholdCount": 3,
    "Matcher": {"HttpCode": "200,301,302"},
}


def find_target_group(t: TenantAws) -> dict[str, Any] | None:
    return t.target_group()


def count_rules(t: TenantAws) -> int:
    """Rules on ALL the ALB's listeners (the quota is per load balancer), default ones
    excluded; the listener wpfleet uses is read through the run's rule cache."""
    return sum(1 for r in t.rules() if not r.get("IsDefault")) + t.other_listener_rules()


class TargetGroup(AwsResource):
    id = "infra/target-group"
    phase = Phase.INFRA
    description = "ALB target group (ip targets, the seeds' health check)"

    def read(self) -> Fact | None:
        tg = find_target_group(self.t)
        if tg is None:
            return None
        tags = elbv2.describe_tags(self.aws, [tg["TargetGroupArn"]]).get(tg["TargetGroupArn"])
        state = {
            "name": tg["TargetGroupName"],
            "arn": tg["TargetGroupArn"],
            "port": tg.get("Port"),
            "protocol": tg.get("Protocol"),
            "target_type": tg.get("TargetType"),
            "vpc_id": tg.get("VpcId"),
            "health_check": {k: tg.get(k) for k in HEALTH_CHECK},
        }
        return self.fact(state, tags)

    def desired(self) -> State:
        """Also checks, before any mutating call, the name and the room on the ALB."""
        limits.check_target_group_name(self.names.target_group)
        if find_target_group(self.t) is None:
            limits.check_room_on_alb(
                count_rules(self.t),
                len(self.t.lb_target_groups()),
                f"{self.t.env}",
                self.t.rule_quota(),
            )
        return {
            "name": self.names.target_group,
            "port": 80,
            "protocol": "HTTP",
            "target_type": "ip",
            "vpc_id": self.t.require("vpc_id"),
            "health_check": dict(HEALTH_CHECK),
        }

    def create(self) -> None:
        try:
            created = elbv2.create_target_group(
                self.aws,
                Name=self.names.target_group,
                Protocol="HTTP",
                Port=80,
                VpcId=self.t.require("vpc_id"),
                TargetType="ip",
                Tags=T.as_key_value(self.t.tags(self.names.target_group)),
                **HEALTH_CHECK,
            )
        except AwsConflict:
            # a killed run's target group: AWS returns it, moto refuses the duplicate
            self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")
            if find_target_group(self.t) is None:
                raise
            self.update(self.desired())
            return
        self.t.remember(f"tg:{self.names.target_group}", created)

    def update(self, target: State) -> None:
        tg = find_target_group(self.t)
        if tg is None:
            return
        arn = tg["TargetGroupArn"]
        self.reconcile_tags(target, self.names.target_group, arn, elbv2.add_tags, elbv2.remove_tags)
        health = {
            k: v for k, v in target.get("health_check", HEALTH_CHECK).items() if v is not None
        }
        health.pop("HealthCheckEnabled", None)
        elbv2.modify_target_group(self.aws, TargetGroupArn=arn, **health)
        self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")

    def delete(self) -> None:
        tg = find_target_group(self.t)
        if tg is not None:
            elbv2.delete_target_group(self.aws, tg["TargetGroupArn"])
        self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")
        self.t.rules_changed()

    def ownership_data(self) -> State:
        return {"name": self.names.target_group}


def target_group_arn(t: TenantAws) -> str:
    """The tenant's target group ARN; it must exist (the rule and service depend on it)."""
    tg = find_target_group(t)
    if tg is None:
        raise ValidationError(f"target group {t.names.target_group} is missing; cannot use it")
    return str(tg["TargetGroupArn"])
