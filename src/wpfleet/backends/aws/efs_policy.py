"""The EFS file-system policy that tenant isolation needs, checked by preflight.

AWS grants an NFS client access when EITHER its identity policy OR the file-system
policy allows it, and with no file-system policy at all any client that reaches a mount
target may mount the whole file system (every tenant's files). The per-tenant task
role alone therefore isolates nothing. wpfleet accepts a file-system policy when:

1. a Deny for every principal on ``elasticfilesystem:ClientMount`` (or a wildcard
   action) applies when ``elasticfilesystem:AccessPointArn`` is absent (``Null`` is
   ``true``): every mount goes through an access point;
2. a Deny for every principal applies when ``aws:SecureTransport`` is ``false``: IAM
   authorization needs TLS, and so does the task definition;
3. no Allow names a wildcard principal: clients without IAM authorization ("anonymous")
   are then never allowed, so each task role's own policy (its access point only)
   decides.

``required_policy`` is the policy ``wpfleet platform up --fix`` applies: those two
Deny statements plus an Allow for the account's IAM principals through a mount target
(an account principal delegates to identity policies; it grants nothing by itself).
"""

from __future__ import annotations

import json
from typing import Any

from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import efs
from wpfleet.backends.base import ComponentStatus
from wpfleet.errors import ValidationError

MOUNT = "elasticfilesystem:ClientMount"
CLIENT_ACTIONS = [MOUNT, "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"]
SIDS = ("WpfleetDenyWithoutAccessPoint", "WpfleetDenyWithoutTls", "WpfleetAccountViaMountTarget")


def required_policy(account_id: str, fs_arn: str) -> dict[str, Any]:
    anyone = {"AWS": "*"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": SIDS[0],
                "Effect": "Deny",
                "Principal": anyone,
                "Action": CLIENT_ACTIONS,
                "Resource": fs_arn,
                "Condition": {"Null": {"elasticfilesystem:AccessPointArn": "true"}},
            },
            {
                "Sid": SIDS[1],
                "Effect": "Deny",
                "Principal": anyone,
                "Action": "*",
                "Resource": fs_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": SIDS[2],
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": [MOUNT, "elasticfilesystem:ClientWrite"],
                "Resource": fs_arn,
                "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            },
        ],
    }


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _anyone(st: dict[str, Any]) -> bool:
    principal = st.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _listed(principal.get("AWS"))


def _covers_mount(st: dict[str, Any]) -> bool:
    return bool({"*", "elasticfilesystem:*", MOUNT} & set(_listed(st.get("Action"))))


def _condition(st: dict[str, Any], op: str, key: str) -> str:
    return str((st.get("Condition") or {}).get(op, {}).get(key, "")).lower()


def problems(policy: dict[str, Any] | None) -> list[str]:
    """What the policy lacks (empty when acceptable), in words a reader can act on."""
    if policy is None:
        return ["it has no file-system policy, so any client that reaches a mount target "
                "may mount every tenant's files"]  # fmt: skip
    sts = _statements(policy)
    deny = [s for s in sts if s.get("Effect") == "Deny" and _anyone(s)]
    out = []
    if not any(
        _covers_mount(s) and _condition(s, "Null", "elasticfilesystem:AccessPointArn") == "true"
        for s in deny
    ):
        out.append("no Deny of ClientMount without an access point (Null elasticfilesystem:"
                   "AccessPointArn)")  # fmt: skip
    if not any(_condition(s, "Bool", "aws:SecureTransport") == "false" for s in deny):
        out.append("no Deny when aws:SecureTransport is false")
    if any(s.get("Effect") == "Allow" and _anyone(s) for s in sts):
        out.append("an Allow for any principal (*) lets clients without IAM authorization mount")
    return out


def read_policy(aws: AwsSession, fs_id: str) -> dict[str, Any] | None:
    raw = efs.describe_file_system_policy(aws, fs_id)
    return json.loads(raw) if raw else None


def status(aws: AwsSession, env: str, fs_id: str) -> ComponentStatus:
    found = problems(read_policy(aws, fs_id))
    if not found:
        return ComponentStatus("efs-policy", True, "requires IAM authorization and an access point")
    return ComponentStatus(
        "efs-policy",
        False,
        f"EFS {fs_id} does not isolate tenants: {'; '.join(found)}. Apply wpfleet's policy "
        f"with `wpfleet platform up --env {env} --fix`, or fix the file-system policy",
    )


def fix(aws: AwsSession, fs_id: str) -> bool:
    """Apply ``required_policy`` when the current policy is not acceptable; False when
    it already was. Statements of others are kept, except that a wildcard Allow makes
    this refuse (removing someone's grant is a decision for a person)."""
    current = read_policy(aws, fs_id)
    if not problems(current):
        return False
    kept = [s for s in _statements(current or {}) if s.get("Sid") not in SIDS]
    if any(s.get("Effect") == "Allow" and _anyone(s) for s in kept):
        raise ValidationError(
            f"EFS {fs_id}: its file-system policy allows any principal (*); wpfleet will not "
            "remove that grant",
            hint="remove the Allow for * from the policy, then run this again",
        )
    fs_arn = f"arn:aws:elasticfilesystem:{aws.region}:{aws.account_id}:file-system/{fs_id}"
    policy = required_policy(aws.account_id, fs_arn)
    policy["Statement"] = kept + policy["Statement"]
    efs.put_file_system_policy(aws, fs_id, json.dumps(policy))
    return True
