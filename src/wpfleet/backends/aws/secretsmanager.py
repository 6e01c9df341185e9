"""Secrets Manager: thin functions named after the operations.

``get_secret_value`` is the only function that returns a secret; callers keep it in
memory and never put it in a state dict, a log line or a command line.
"""

from __future__ import annotations

import json
from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T


def describe_secret(aws: AwsSession, name: str) -> dict[str, Any] | None:
    """The secret's metadata, or None when absent or scheduled for deletion."""
    found = absent_on_not_found(
        lambda: aws.call("secretsmanager", "describe_secret", SecretId=name)
    )
    if found is None or found.get("DeletedDate"):
        return None
    return dict(found)


def list_secrets_named(aws: AwsSession, names: list[str]) -> dict[str, dict[str, Any]]:
    """Metadata of the secrets among ``names`` that exist, in one listing: the name filter
    matches by prefix, so the common prefix is listed and exact names are kept."""
    prefix = _common_prefix(names)
    if not prefix:
        return {n: m for n in names if (m := describe_secret(aws, n)) is not None}
    found = aws.paginate(
        "secretsmanager",
        "list_secrets",
        "SecretList",
        Filters=[{"Key": "name", "Values": [prefix]}],
    )
    return {s["Name"]: dict(s) for s in found if s["Name"] in names and not s.get("DeletedDate")}


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
                min(len(first), len(last)))  # fmt: skip
    return first[:size]


def create_secret(
    aws: AwsSession, name: str, value: dict[str, Any], tags: dict[str, str], description: str
) -> dict[str, Any]:
    return dict(
        aws.call(
            "secretsmanager",
            "create_secret",
            Name=name,
            Description=description,
            SecretString=json.dumps(value),
            Tags=T.as_key_value(tags),
        )
    )


def get_secret_value(aws: AwsSession, name: str) -> dict[str, Any]:
    resp = aws.call("secretsmanager", "get_secret_value", SecretId=name)
    return dict(json.loads(resp["SecretString"]))


def tag_resource(aws: AwsSession, name: str, tags: dict[str, str]) -> None:
    aws.call("secretsmanager", "tag_resource", SecretId=name, Tags=T.as_key_value(tags))


def untag_resource(aws: AwsSession, name: str, keys: list[str]) -> None:
    aws.call("secretsmanager", "untag_resource", SecretId=name, TagKeys=keys)


def delete_secret(aws: AwsSession, name: str) -> None:
    """Delete at once (no recovery window): a re-deploy may reuse the name immediately."""
    absent_on_not_found(
        lambda: aws.call(
            "secretsmanager", "delete_secret", SecretId=name, ForceDeleteWithoutRecovery=True
        )
    )
