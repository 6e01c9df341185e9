"""ELBv2: listeners, target groups, rules."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found, call_with_retry
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T

#: describe_target_groups takes at most 20 names per call; describe_tags 20 ARNs
NAMES_PER_CALL = 20


def describe_listener(aws: AwsSession, arn: str) -> dict[str, Any] | None:
    found = absent_on_not_found(lambda: aws.call("elbv2", "describe_listeners", ListenerArns=[arn]))
    listeners = (found or {}).get("Listeners", [])
    return dict(listeners[0]) if listeners else None


def load_balancer_of(listener_arn: str) -> str | None:
    """The load balancer's ARN, read from its listener's (``...:listener/app/NAME/ID/L``
    -> ``...:loadbalancer/app/NAME/ID``): no DescribeListeners round trip; None when
    ``listener_arn`` is not a listener's ARN."""
    head, sep, tail = listener_arn.partition(":listener/")
    parts = tail.split("/")
    if not sep or len(parts) != 4 or not all(parts):
        return None
    return f"{head}:loadbalancer/{'/'.join(parts[:3])}"


def describe_load_balancer(aws: AwsSession, arn: str) -> dict[str, Any]:
    resp = aws.call("elbv2", "describe_load_balancers", LoadBalancerArns=[arn])
    return dict(resp["LoadBalancers"][0])


def describe_target_groups_by_name(aws: AwsSession, names: list[str]) -> list[dict[str, Any]]:
    """Target groups among ``names`` (batched by 20); a missing name is simply absent.

    AWS fails a whole call when one name is missing, so a failed batch is retried
    name by name.
    """
    out: list[dict[str, Any]] = []
    for i in range(0, len(names), NAMES_PER_CALL):
        chunk = names[i : i + NAMES_PER_CALL]
        found = _describe_names(aws, chunk)
        if found is not None:
            out.extend(found.get("TargetGroups", []))
        elif len(chunk) > 1:
            for name in chunk:
                out.extend(describe_target_groups_by_name(aws, [name]))
    return out


def _describe_names(aws: AwsSession, names: list[str]) -> dict[str, Any] | None:
    return absent_on_not_found(lambda: aws.call("elbv2", "describe_target_groups", Names=names))


def describe_all_target_groups(aws: AwsSession) -> list[dict[str, Any]]:
    return aws.paginate("elbv2", "describe_target_groups", "TargetGroups")


def describe_target_groups_of_lb(aws: AwsSession, lb_arn: str) -> list[dict[str, Any]]:
    """Target groups the ALB routes to (moto answers TargetGroupNotFound for none)."""
    found = absent_on_not_found(
        lambda: aws.paginate(
            "elbv2", "describe_target_groups", "TargetGroups", LoadBalancerArn=lb_arn
        )
    )
    return found or []


def describe_tags(aws: AwsSession, arns: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for i in range(0, len(arns), NAMES_PER_CALL):
        resp = aws.call("elbv2", "describe_tags", ResourceArns=arns[i : i + NAMES_PER_CALL])
        for desc in resp.get("TagDescriptions", []):
            out[desc["ResourceArn"]] = T.to_map(desc.get("Tags"))
    return out


def create_target_group(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("elbv2", "create_target_group", **spec)["TargetGroups"][0])


def modify_target_group(aws: AwsSession, **spec: Any) -> None:
    aws.call("elbv2", "modify_target_group", **spec)


def delete_target_group(aws: AwsSession, arn: str) -> None:
    absent_on_not_found(lambda: aws.call("elbv2", "delete_target_group", TargetGroupArn=arn))


def describe_rules(aws: AwsSession, listener_arn: str) -> list[dict[str, Any]]:
    """Every rule of the listener, through the paginator (a listener may have hundreds)."""
    return aws.paginate("elbv2", "describe_rules", "Rules", ListenerArn=listener_arn)


def describe_listeners(aws: AwsSession, lb_arn: str) -> list[dict[str, Any]]:
    return aws.paginate("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=lb_arn)


def account_limit(aws: AwsSession, name: str) -> int | None:
    """One of the account's ELB quotas (``rules-per-application-load-balancer`` ...),
    as DescribeAccountLimits reports it; None when it is not reported."""
    for limit in aws.paginate("elbv2", "describe_account_limits", "Limits"):
        if limit.get("Name") == name:
            return int(limit["Max"])
    return None


def create_rule(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    """CreateRule has no idempotency token (https://docs.aws.amazon.com/
    elasticloadbalancing/latest/APIReference/API_CreateRule.html): when an attempt failed
    after AWS carried it out (response lost), a blind retry makes a second rule. So each
    retry first looks for a rule on the listener with our host header and target group."""
    tries: list[int] = []

    def attempt() -> dict[str, Any]:
        if tries:
            made = _rule_like(aws, spec)
            if made is not None:
                return made
        tries.append(1)
        return dict(aws.client("elbv2").create_rule(**spec)["Rules"][0])

    return call_with_retry(attempt, "elbv2.create_rule", sleep=aws.sleep)


def _rule_like(aws: AwsSession, spec: dict[str, Any]) -> dict[str, Any] | None:
    """The listener's rule with the same host headers and forward targets as ``spec``."""

    def key(rule: dict[str, Any]) -> tuple[list[str], list[str]]:
        hosts = sorted(
            v
            for c in rule.get("Conditions", [])
            if c.get("Field") == "host-header"
            for v in (c.get("HostHeaderConfig") or {}).get("Values") or c.get("Values") or []
        )
        tgs = sorted(a.get("TargetGroupArn", "") for a in rule.get("Actions", []))
        return hosts, tgs

    want = key(spec)
    for rule in describe_rules(aws, spec["ListenerArn"]):
        if not rule.get("IsDefault") and key(rule) == want:
            return dict(rule)
    return None


def modify_rule(aws: AwsSession, **spec: Any) -> None:
    aws.call("elbv2", "modify_rule", **spec)


def set_rule_priorities(aws: AwsSession, rule_arn: str, priority: int) -> None:
    aws.call(
        "elbv2",
        "set_rule_priorities",
        RulePriorities=[{"RuleArn": rule_arn, "Priority": priority}],
    )


def delete_rule(aws: AwsSession, arn: str) -> None:
    absent_on_not_found(lambda: aws.call("elbv2", "delete_rule", RuleArn=arn))


def add_tags(aws: AwsSession, arn: str, tags: dict[str, str]) -> None:
    aws.call("elbv2", "add_tags", ResourceArns=[arn], Tags=T.as_key_value(tags))


def remove_tags(aws: AwsSession, arn: str, keys: list[str]) -> None:
    aws.call("elbv2", "remove_tags", ResourceArns=[arn], TagKeys=keys)


def describe_target_health(aws: AwsSession, tg_arn: str) -> list[dict[str, Any]]:
    resp = aws.call("elbv2", "describe_target_health", TargetGroupArn=tg_arn)
    return list(resp.get("TargetHealthDescriptions", []))
