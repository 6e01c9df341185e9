"""EventBridge Scheduler: the daily cost report's schedule (``cost report --schedule``)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession


def get_schedule(aws: AwsSession, name: str) -> dict[str, Any] | None:
    found = absent_on_not_found(lambda: aws.call("scheduler", "get_schedule", Name=name))
    return dict(found) if found else None


def put_schedule(aws: AwsSession, name: str, *, exists: bool, **spec: Any) -> None:
    """CreateSchedule, or UpdateSchedule (which replaces the schedule whole)."""
    aws.call("scheduler", "update_schedule" if exists else "create_schedule", Name=name, **spec)


def delete_schedule(aws: AwsSession, name: str) -> None:
    aws.call("scheduler", "delete_schedule", Name=name)
