"""CloudWatch Logs: the environment's log group and error searches."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.session import AwsSession


def log_group_exists(aws: AwsSession, name: str) -> bool:
    resp = aws.call("logs", "describe_log_groups", logGroupNamePrefix=name)
    return any(g["logGroupName"] == name for g in resp.get("logGroups", []))


def filter_log_events(
    aws: AwsSession, group: str, stream_prefix: str, term: str, start_ms: int, limit: int = 5
) -> list[dict[str, Any]]:
    """Events containing ``term`` in streams starting with ``stream_prefix`` (one term per
    call: moto honours only one; it also ignores the stream prefix, so it is applied
    here too)."""
    resp = aws.call(
        "logs",
        "filter_log_events",
        logGroupName=group,
        logStreamNamePrefix=stream_prefix,
        filterPattern=f'"{term}"',
        startTime=start_ms,
        limit=limit,
    )
    events = resp.get("events", [])
    return [e for e in events if str(e.get("logStreamName", "")).startswith(stream_prefix)]
