"""Infra phase, routing: the listener rule for the tenant's host, at a free priority."""

from __future__ import annotations

from typing import Any

from wpfleet import limits, naming
from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import elbv2, priorities
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.resources.target_group import count_rules, target_group_arn
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ConflictError

PRIORITY_RETRIES = 5


class ListenerRule(AwsResource):
    id = "infra/listener-rule"
    phase = Phase.INFRA
    depends_on = ("infra/target-group",)
    description = "ALB listener rule: host header → the tenant's target group"

    def find(self) -> dict[str, Any] | None:
        """The rule routing our host (tagged or not: an untagged one is a conflict), else
        the one forwarding to our target group: its host was changed behind wpfleet's
        back, or the tenant's domain moved, and the update changes it instead of adding a
        second rule. A rule routing our host to ANOTHER target group is never ours: it is
        skipped here (destroy never touches it) and refused by ``desired``."""
        host = self.names.host
        rules = self.t.rules()
        for rule in rules:
            if host in priorities.rule_hosts(rule) and not self._elsewhere(rule):
                return rule
        for rule in rules:
            if not rule.get("IsDefault") and self.names.target_group in (
                priorities.rule_target_groups(rule)
            ):
                return rule
        return None

    def _elsewhere(self, rule: dict[str, Any]) -> bool:
        """It forwards, and not to our target group (another tenant's, or not wpfleet's)."""
        groups = priorities.rule_target_groups(rule)
        return bool(groups) and self.names.target_group not in groups

    def refuse_taken_host(self) -> None:
        """Our host is routed to another target group: changing that rule would take a
        live site's traffic (even ``--adopt`` never does). Raised before any change."""
        host = self.names.host
        for rule in self.t.rules():
            if host in priorities.rule_hosts(rule) and self._elsewhere(rule):
                owner = ", ".join(priorities.rule_target_groups(rule))
                raise ConflictError(
                    f"host {host} of {self.t.tenant} in {self.t.env} is already routed to "
                    f"target group {owner} by listener rule {rule['RuleArn']} (priority "
                    f"{priorities.rule_priority(rule)}); wpfleet never changes another "
                    "target group's rule, nothing was changed",
                    hint=f"give {self.t.tenant} another domain in the fleet file, or, if "
                    f"{owner} no longer serves {host}, move or delete that rule first "
                    "(its own tenant's deploy, or `aws elbv2 delete-rule --rule-arn ARN`)",
                )

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
        self.refuse_taken_host()
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

    def _spec(self, tg_arn: str, hosts: list[str] | None = None) -> dict[str, Any]:
        values = hosts or [self.names.host]
        return {
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": values}}],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg_arn}],
        }

    def _tg_arn(self) -> str:
        return target_group_arn(self.t)

    def create(self) -> None:
        self.refuse_taken_host()  # taken since the plan
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
        self.reconcile_tags(
            target, self.names.listener_rule, arn, elbv2.add_tags, elbv2.remove_tags
        )
        tg_names = target.get("target_groups") or [self.names.target_group]
        tgs = elbv2.describe_target_groups_by_name(self.aws, tg_names)
        if tgs:  # the target's host: an undo (a domain move's) puts the old one back
            host = target.get("host") or self.names.host
            hosts = [host] if isinstance(host, str) else list(host)
            elbv2.modify_rule(self.aws, RuleArn=arn, **self._spec(tgs[0]["TargetGroupArn"], hosts))
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
