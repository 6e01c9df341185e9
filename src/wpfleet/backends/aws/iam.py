"""IAM: roles and their inline policies."""

from __future__ import annotations

import json
from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T

#: all inline policies of one role together (whitespace excluded by AWS; we count the
#: compact JSON we send, which is what AWS stores)
INLINE_POLICY_TOTAL_MAX = 10_240


def get_role(aws: AwsSession, name: str) -> dict[str, Any] | None:
    found = absent_on_not_found(lambda: aws.call("iam", "get_role", RoleName=name))
    return dict(found["Role"]) if found else None


def list_role_tags(aws: AwsSession, name: str) -> dict[str, str]:
    return T.to_map(aws.call("iam", "list_role_tags", RoleName=name).get("Tags", []))


def create_role(
    aws: AwsSession, name: str, trust: dict[str, Any], tags: dict[str, str], description: str
) -> dict[str, Any]:
    resp = aws.call(
        "iam",
        "create_role",
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust),
        Description=description,
        Tags=T.as_key_value(tags),
    )
    return dict(resp["Role"])


def tag_role(aws: AwsSession, name: str, tags: dict[str, str]) -> None:
    aws.call("iam", "tag_role", RoleName=name, Tags=T.as_key_value(tags))


def untag_role(aws: AwsSession, name: str, keys: list[str]) -> None:
    aws.call("iam", "untag_role", RoleName=name, TagKeys=keys)


def get_role_policy(aws: AwsSession, role: str, policy: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("iam", "get_role_policy", RoleName=role, PolicyName=policy)
    )
    if not found:
        return None
    doc = found["PolicyDocument"]
    return dict(json.loads(doc) if isinstance(doc, str) else doc)


def list_role_policies(aws: AwsSession, role: str) -> list[str]:
    return list(aws.call("iam", "list_role_policies", RoleName=role).get("PolicyNames", []))


def put_role_policy(aws: AwsSession, role: str, policy: str, document: dict[str, Any]) -> None:
    aws.call(
        "iam",
        "put_role_policy",
        RoleName=role,
        PolicyName=policy,
        PolicyDocument=policy_json(document),
    )


def delete_role_policy(aws: AwsSession, role: str, policy: str) -> None:
    absent_on_not_found(
        lambda: aws.call("iam", "delete_role_policy", RoleName=role, PolicyName=policy)
    )


def delete_role(aws: AwsSession, name: str) -> None:
    """Delete the role with its inline policies (IAM refuses while any remain)."""
    if get_role(aws, name) is None:
        return
    for policy in list_role_policies(aws, name):
        delete_role_policy(aws, name, policy)
    absent_on_not_found(lambda: aws.call("iam", "delete_role", RoleName=name))


def policy_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def trust_policy(service: str | list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }
