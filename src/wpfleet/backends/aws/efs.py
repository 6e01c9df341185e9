"""EFS: file systems and access points."""

from __future__ import annotations

import time
from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T
from wpfleet.errors import BackendError


def describe_file_system(aws: AwsSession, fs_id: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("efs", "describe_file_systems", FileSystemId=fs_id)
    )
    systems = (found or {}).get("FileSystems", [])
    return dict(systems[0]) if systems else None


def describe_file_system_policy(aws: AwsSession, fs_id: str) -> str | None:
    """The policy JSON, or None when the file system has none (PolicyNotFound)."""
    found = absent_on_not_found(
        lambda: aws.call("efs", "describe_file_system_policy", FileSystemId=fs_id)
    )
    return str(found["Policy"]) if found and found.get("Policy") else None


def put_file_system_policy(aws: AwsSession, fs_id: str, policy: str) -> None:
    aws.call("efs", "put_file_system_policy", FileSystemId=fs_id, Policy=policy)


def describe_access_points(aws: AwsSession, fs_id: str) -> list[dict[str, Any]]:
    return aws.paginate("efs", "describe_access_points", "AccessPoints", FileSystemId=fs_id)


def find_access_point(aws: AwsSession, fs_id: str, name: str, path: str) -> dict[str, Any] | None:
    """A tenant's access point: by Name tag, else by its root path (untagged → not ours)."""
    points = describe_access_points(aws, fs_id)
    by_name = [p for p in points if T.to_map(p.get("Tags")).get("Name") == name]
    by_path = [p for p in points if p.get("RootDirectory", {}).get("Path") == path]
    found = by_name or by_path
    return found[0] if found else None


def create_access_point(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("efs", "create_access_point", **spec))


def describe_access_point(aws: AwsSession, ap_id: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("efs", "describe_access_points", AccessPointId=ap_id)
    )
    points = (found or {}).get("AccessPoints", [])
    return dict(points[0]) if points else None


def wait_access_point_available(
    aws: AwsSession, ap_id: str, *, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll (growing pauses, a deadline) until the access point is ``available``.

    CreateAccessPoint answers with LifeCycleState ``creating``; a task that mounts the
    access point before it is available fails to start, so the task definition and the
    service wait for this."""
    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        point = describe_access_point(aws, ap_id)
        state = (point or {}).get("LifeCycleState")
        if point is not None and state == "available":
            return point
        if state in ("error", "deleting", "deleted") or time.monotonic() >= deadline:
            raise BackendError(
                f"EFS access point {ap_id} is {state or 'gone'}, not available"
                + ("" if state else f" after {timeout:.0f} s"),
                code="AccessPointNotAvailable",
                retryable=state in ("creating", None),
                hint="re-run the deploy; if it stays so, read the access point in the EFS console",
            )
        aws.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 10.0)


def delete_access_point(aws: AwsSession, ap_id: str) -> None:
    absent_on_not_found(lambda: aws.call("efs", "delete_access_point", AccessPointId=ap_id))


def untag_resource(aws: AwsSession, resource_id: str, keys: list[str]) -> None:
    aws.call("efs", "untag_resource", ResourceId=resource_id, TagKeys=keys)


def tag_resource(aws: AwsSession, resource_id: str, tags: dict[str, str]) -> None:
    aws.call("efs", "tag_resource", ResourceId=resource_id, Tags=T.as_key_value(tags))
