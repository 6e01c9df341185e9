"""EFS: file systems and access points."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T


def describe_file_system(aws: AwsSession, fs_id: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("efs", "describe_file_systems", FileSystemId=fs_id)
    )
    systems = (found or {}).get("FileSystems", [])
    return dict(systems[0]) if systems else None


def describe_access_points(aws: AwsSession, fs_id: str) -> list[dict[str, Any]]:
    return aws.paginate("efs", "describe_access_points", "AccessPoints", FileSystemId=fs_id)


def create_access_point(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("efs", "create_access_point", **spec))


def delete_access_point(aws: AwsSession, ap_id: str) -> None:
    absent_on_not_found(lambda: aws.call("efs", "delete_access_point", AccessPointId=ap_id))


def untag_resource(aws: AwsSession, resource_id: str, keys: list[str]) -> None:
    aws.call("efs", "untag_resource", ResourceId=resource_id, TagKeys=keys)


def tag_resource(aws: AwsSession, resource_id: str, tags: dict[str, str]) -> None:
    aws.call("efs", "tag_resource", ResourceId=resource_id, Tags=T.as_key_value(tags))
