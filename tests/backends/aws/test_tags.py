"""``tags.reconcile``, the one helper every taggable AWS resource uses, against moto
server's IAM: wpfleet's tags are added when missing and fixed when wrong, foreign tags
are never touched, and undoing an adoption takes off the ownership keys only."""

from __future__ import annotations

import json

import boto3
import pytest

from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import iam
from wpfleet.backends.aws import tags as T
from wpfleet.config.models import AwsSettings

pytestmark = pytest.mark.aws

ROLE = "tags-probe"


def _role_tags(client: object, name: str) -> dict[str, str]:
    return T.to_map(client.list_role_tags(RoleName=name)["Tags"])  # type: ignore[attr-defined]


def test_reconcile_adds_missing_fixes_wrong_keeps_foreign(moto_url: str) -> None:
    client = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    client.create_role(
        RoleName=ROLE,
        AssumeRolePolicyDocument=json.dumps(iam.trust_policy("ecs-tasks.amazonaws.com")),
        Tags=[
            {"Key": T.TENANT_KEY, "Value": "someone-else"},  # wrong
            {"Key": "team", "Value": "platform"},  # foreign
        ],
    )
    settings = AwsSettings.model_validate({"account_id": "123456789012", "endpoint_url": moto_url})
    aws = AwsSession(settings, "dev")
    ours = T.ownership("acme", "dev", ROLE)
    try:
        T.reconcile(
            ours,
            lambda t: iam.tag_role(aws, ROLE, t),
            lambda k: iam.untag_role(aws, ROLE, k),
        )
        assert _role_tags(client, ROLE) == {**ours, "team": "platform"}
        assert T.is_ours(_role_tags(client, ROLE), "acme", "dev")

        T.reconcile(
            None,
            lambda t: iam.tag_role(aws, ROLE, t),
            lambda k: iam.untag_role(aws, ROLE, k),
        )
        left = _role_tags(client, ROLE)
        assert left == {"Tenant": "acme", "Environment": "dev", "Name": ROLE, "team": "platform"}
        assert not T.is_ours(left, "acme", "dev")
    finally:
        client.delete_role(RoleName=ROLE)


def test_reconcile_calls_exactly_one_side() -> None:
    """Without AWS: putting never takes off, taking off never puts (no stray calls)."""
    calls: list[tuple[str, object]] = []
    T.reconcile({"a": "b"}, lambda t: calls.append(("put", t)), lambda k: calls.append(("off", k)))
    T.reconcile(None, lambda t: calls.append(("put", t)), lambda k: calls.append(("off", k)))
    assert calls == [("put", {"a": "b"}), ("off", T.OWNERSHIP_KEYS)]
