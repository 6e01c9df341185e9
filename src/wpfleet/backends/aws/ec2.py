"""EC2: subnets and security groups (only ever described, for discovery)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.session import AwsSession


def describe_subnets(aws: AwsSession, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return aws.paginate("ec2", "describe_subnets", "Subnets", Filters=filters)


def describe_security_groups(
    aws: AwsSession, filters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return aws.paginate("ec2", "describe_security_groups", "SecurityGroups", Filters=filters)
