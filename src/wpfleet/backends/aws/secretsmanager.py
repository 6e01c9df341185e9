"""Secrets Manager: thin functions named after the operations.

``get_secret_value`` is the only function that returns a secret; callers keep it in
memory and never put it in a state dict, a log line or a command line.
"""

from __future__ import annotations

import json
from typing import Any

from wpfleet.aws.errors import AwsInvalid, absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T
from wpfleet.errors import NotFoundError


def describe_secret(aws: AwsSession, name: str) -> dict[str, Any] | None:
    """The secret's metadata, or None when absent or scheduled for deletion."""
    found = absent_on_not_found(
        lambda: aws.call("secretsmanager", "describe_secret", SecretId=name)
    )
    if found is None or found.get("DeletedDate"):
        return None
    return dict(found)


#: CreateSecret's refusal of a name whose secret is scheduled for deletion: AWS answers
#: it for the recovery window, and for a short while even after a forced deletion
SCHEDULED_FOR_DELETION = "scheduled for deletion"
CREATE_TRIES = 8


def create_secret(
    aws: AwsSession, name: str, value: dict[str, Any], tags: dict[str, str], description: str
) -> dict[str, Any]:
    """Create the secret. A name still scheduled for deletion (a destroy, or a rolled-back
    first deploy, not long ago) is restored and given the new value; when it cannot be
    restored (a forced deletion still being completed) the create is retried with
    growing pauses until the name is free."""
    for attempt in range(CREATE_TRIES):
        try:
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
        except AwsInvalid as exc:
            if SCHEDULED_FOR_DELETION not in exc.message or attempt == CREATE_TRIES - 1:
                raise
        restored = _restore(aws, name, value, tags)
        if restored is not None:
            return restored
        aws.sleep(min(2.0 * 2**attempt, 20.0))
    raise AssertionError("unreachable")  # pragma: no cover


def _restore(
    aws: AwsSession, name: str, value: dict[str, Any], tags: dict[str, str]
) -> dict[str, Any] | None:
    """RestoreSecret, then the new value and our tags; None when it is not restorable
    (a forced deletion: the name frees itself shortly)."""
    try:
        aws.call("secretsmanager", "restore_secret", SecretId=name)
    except (NotFoundError, AwsInvalid):
        return None
    put = aws.call(
        "secretsmanager", "put_secret_value", SecretId=name, SecretString=json.dumps(value)
    )
    tag_resource(aws, name, tags)
    return {"ARN": put["ARN"], "Name": name}


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
