"""RDS: the environment's database instance (only ever described)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession


def describe_db_instance(aws: AwsSession, identifier: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("rds", "describe_db_instances", DBInstanceIdentifier=identifier)
    )
    instances = (found or {}).get("DBInstances", [])
    return dict(instances[0]) if instances else None
