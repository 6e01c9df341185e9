"""CloudWatch Logs: log groups (the environment's, each tenant's) and error searches."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from wpfleet.aws.session import AwsSession
from wpfleet.context import LogLine


def log_group_exists(aws: AwsSession, name: str) -> bool:
    return describe_log_group(aws, name) is not None


def describe_log_group(aws: AwsSession, name: str) -> dict[str, Any] | None:
    """The group called exactly ``name``. A prefix lists names in order, so the exact
    one is on the first page (``/ecs/sit`` sorts before ``/ecs/sit/alpha``)."""
    resp = aws.call("logs", "describe_log_groups", logGroupNamePrefix=name)
    found = [g for g in resp.get("logGroups", []) if g["logGroupName"] == name]
    return found[0] if found else None


def group_arn(group: dict[str, Any]) -> str:
    """The ARN the tagging calls take: ``logGroupArn``, not ``arn`` (which ends ``:*``)."""
    arn = str(group.get("logGroupArn") or group["arn"])
    return arn[:-2] if arn.endswith(":*") else arn


def list_tags(aws: AwsSession, arn: str) -> dict[str, str]:
    return dict(aws.call("logs", "list_tags_for_resource", resourceArn=arn).get("tags", {}))


def tag_resource(aws: AwsSession, arn: str, tags: dict[str, str]) -> None:
    aws.call("logs", "tag_resource", resourceArn=arn, tags=tags)


def untag_resource(aws: AwsSession, arn: str, keys: list[str]) -> None:
    aws.call("logs", "untag_resource", resourceArn=arn, tagKeys=keys)


#: pages of FilterLogEvents read before giving up (each may be empty; see below)
MAX_PAGES = 50


class LogSearch(NamedTuple):
    events: list[dict[str, Any]]
    #: False when MAX_PAGES were read and AWS still said more remain
    complete: bool


def matching_events(resp: dict[str, Any], stream_prefix: str) -> list[dict[str, Any]]:
    """A FilterLogEvents page's events in streams starting with ``stream_prefix``."""
    return [
        e
        for e in resp.get("events", [])
        if str(e.get("logStreamName", "")).startswith(stream_prefix)
    ]


def filter_log_events(
    aws: AwsSession, group: str, stream_prefix: str, term: str, start_ms: int, limit: int = 5
) -> LogSearch:
    """Up to ``limit`` events containing ``term`` in streams starting with
    ``stream_prefix`` (one term per call: moto honours only one; it also ignores the
    stream prefix, so it is applied here too).

    Follows ``nextToken``: AWS documents that a page may hold fewer events than asked,
    or none at all, while ``nextToken`` says more remain
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
    """
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        extra: dict[str, Any] = {"nextToken": token} if token else {}
        resp = aws.call(
            "logs",
            "filter_log_events",
            logGroupName=group,
            logStreamNamePrefix=stream_prefix,
            filterPattern=f'"{term}"',
            startTime=start_ms,
            limit=limit,
            **extra,
        )
        found += matching_events(resp, stream_prefix)
        token = resp.get("nextToken")
        if len(found) >= limit or not token:
            return LogSearch(found[:limit], True)
    return LogSearch(found[:limit], False)


#: pages one read may follow (each page up to 10,000 events or 1 MB; empty ones too)
MAX_READ_PAGES = 1000


class Cursor(NamedTuple):
    """Where the next read starts: the newest event time seen (ms) and the ids of the
    events at that very millisecond (FilterLogEvents' startTime is inclusive)."""

    start_ms: int
    seen: frozenset[str]


def read_events(
    aws: AwsSession, group: str, stream_prefix: str, pattern: str | None, cursor: Cursor
) -> tuple[list[LogLine], Cursor]:
    """Every event since ``cursor`` in the tenant's streams (containing ``pattern``, a
    plain term), oldest first, following ``nextToken`` through empty pages (AWS: a page
    may hold no events while more remain, see ``filter_log_events``)."""
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamNamePrefix": stream_prefix,
        "startTime": cursor.start_ms,
    }
    if pattern:
        params["filterPattern"] = json.dumps(pattern)  # a quoted term: matched literally
    events: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_READ_PAGES):
        page: dict[str, Any] = {**params, **({"nextToken": token} if token else {})}
        resp = aws.call("logs", "filter_log_events", **page)
        events += resp.get("events", [])
        token = resp.get("nextToken")
        if not token:
            break
    fresh = [
        e
        for e in events
        if str(e.get("logStreamName", "")).startswith(stream_prefix)
        and e.get("eventId") not in cursor.seen
        and (not pattern or pattern in str(e.get("message", "")))
    ]
    fresh.sort(key=lambda e: int(e["timestamp"]))
    lines = [
        LogLine(
            int(e["timestamp"]) / 1000,
            str(e.get("logStreamName", "")),
            str(e["message"]).rstrip("\n"),
        )
        for e in fresh
    ]
    if not fresh:
        return lines, cursor
    newest = int(fresh[-1]["timestamp"])
    at_newest = {str(e.get("eventId")) for e in fresh if int(e["timestamp"]) == newest}
    seen = at_newest | (cursor.seen if newest == cursor.start_ms else frozenset())
    return lines, Cursor(newest, frozenset(seen))
