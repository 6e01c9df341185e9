"""Listener rule priorities: pinned ones are checked, others allocated and then kept.

The state store's ``allocate`` is atomic across processes, so concurrent deploys of
different tenants on one listener get distinct priorities; ``taken`` adds what the
listener itself already holds (rules wpfleet does not know about). A create that still
meets ``PriorityInUse`` (a rule made by someone else meanwhile) retries with the next
free priority.
"""

from __future__ import annotations

from typing import Any

from wpfleet import naming
from wpfleet.backends.aws import elbv2
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.errors import ValidationError

KIND = "priority"


def rule_priority(rule: dict[str, Any]) -> int | None:
    raw = rule.get("Priority")
    return int(raw) if raw not in (None, "default") else None


def rule_hosts(rule: dict[str, Any]) -> list[str]:
    hosts: list[str] = []
    for cond in rule.get("Conditions", []):
        if cond.get("Field") == "host-header":
            hosts += cond.get("HostHeaderConfig", {}).get("Values") or cond.get("Values", [])
    return hosts


def rule_target_groups(rule: dict[str, Any]) -> list[str]:
    """Names of the target groups the rule forwards to."""
    out = []
    for action in rule.get("Actions", []):
        arns = [action.get("TargetGroupArn")] + [
            g.get("TargetGroupArn") for g in action.get("ForwardConfig", {}).get("TargetGroups", [])
        ]
        out += [tg_name(a) for a in arns if a]
    return sorted(set(out))


def tg_name(arn: str) -> str:
    """``arn:…:targetgroup/sit-goldencrust-tg/abc123`` → ``sit-goldencrust-tg``."""
    parts = arn.split(":")[-1].split("/")
    return parts[1] if len(parts) > 2 else arn


def taken_priorities(rules: list[dict[str, Any]], except_arn: str | None = None) -> set[int]:
    out = set()
    for rule in rules:
        prio = rule_priority(rule)
        if prio is not None and rule.get("RuleArn") != except_arn:
            out.add(prio)
    return out


def holder_of(t: TenantAws, priority: int) -> dict[str, Any] | None:
    for rule in t.rules():
        if rule_priority(rule) == priority:
            return rule
    return None


def describe_holder(t: TenantAws, rule: dict[str, Any]) -> str:
    tags = elbv2.describe_tags(t.aws, [rule["RuleArn"]]).get(rule["RuleArn"], {})
    name = tags.get("Name") or "an untagged rule"
    tgs = ", ".join(rule_target_groups(rule)) or "no target group"
    return f"{name} (forwarding to {tgs})"


def check_pinned(t: TenantAws, priority: int, own_arn: str | None) -> None:
    naming.check_priority(priority)
    holder = holder_of(t, priority)
    if holder is not None and holder.get("RuleArn") != own_arn:
        raise ValidationError(
            f"priority {priority} pinned for {t.tenant} in {t.env} is held by "
            f"{describe_holder(t, holder)}",
            hint="pin another priority in the fleet file, or remove the pin to allocate one",
        )


def allocate(t: TenantAws, extra_taken: set[int] | None = None) -> int:
    """The tenant's kept priority, else the first free one of the environment's range."""
    rng = t.ctx.env.priorities
    taken = taken_priorities(t.rules()) | (extra_taken or set())
    prio = t.ctx.store.allocate(t.env, KIND, t.tenant, range(rng.first, rng.last + 1), taken)
    naming.check_priority(prio)
    return prio


def reserve_pinned(t: TenantAws, priority: int) -> None:
    """Record a pinned priority in the store too, so that no concurrent deploy of another
    tenant allocates it; the store refuses when another tenant already holds it."""
    if t.ctx.store.allocations(t.env, KIND).get(t.tenant) != priority:
        t.ctx.store.release_allocation(t.env, KIND, t.tenant)
        t.ctx.store.allocate(t.env, KIND, t.tenant, [priority], set())


def release(t: TenantAws) -> None:
    t.ctx.store.release_allocation(t.env, KIND, t.tenant)


def kept(t: TenantAws) -> int | None:
    return t.ctx.store.allocations(t.env, KIND).get(t.tenant)
