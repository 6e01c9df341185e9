"""``wpfleet ci policy --env ENV``: the CI role's least-privilege IAM policy.

The actions are not a hand list: they come from ``aws_operations.json``, the AWS
operations wpfleet's own code path called during a recorded deploy -> verify ->
destroy, and what a content run adds to it where ``aws.content_bucket`` is set
(tests/backends/aws/test_ci_operations.py re-records and compares). Each is scoped to
the environment's resources by name pattern where the action supports resource-level
permissions; the rest (List*, Describe* of collections, RegisterTaskDefinition ...)
AWS only allows on ``*``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from wpfleet import naming
from wpfleet.config.models import Environment, Fleet
from wpfleet.errors import ConfigError, ConfigProblem

OPERATIONS_FILE = Path(__file__).with_name("aws_operations.json")

#: botocore service name -> IAM action prefix, where they differ
PREFIX = {"elbv2": "elasticloadbalancing", "efs": "elasticfilesystem"}

#: operations whose IAM action has another name (the S3 object and bucket calls)
RENAMED = {
    "s3.ListObjectsV2": "s3:ListBucket",
    "s3.ListObjects": "s3:ListBucket",
    "s3.HeadBucket": "s3:ListBucket",
    "s3.HeadObject": "s3:GetObject",
    "s3.DeleteObjects": "s3:DeleteObject",
    # a multipart upload (restore points and wp-content archives from 8 MiB on)
    "s3.CreateMultipartUpload": "s3:PutObject",
    "s3.UploadPart": "s3:PutObject",
    "s3.CompleteMultipartUpload": "s3:PutObject",
}

#: needs no permission (AWS documents GetCallerIdentity as always allowed)
FREE = {"sts.GetCallerIdentity"}

#: actions the recording cannot show, with the reason: checked by AWS without an API
#: call of their own, or called only when something fails
IMPLIED = {
    "iam:PassRole": "RegisterTaskDefinition / RunTask hand the tenant's roles (and the "
    "content task's role) to ECS",
}
#: ... those of content on aws (``aws.content_bucket`` set)
CONTENT_IMPLIED = {
    "s3:AbortMultipartUpload": "a multipart upload that fails is aborted (boto3's "
    "upload_file), so that its parts are not kept and billed",
}


@cache
def _recorded() -> dict[str, list[str]]:
    return dict(json.loads(OPERATIONS_FILE.read_text(encoding="utf-8")))


def recorded_operations() -> list[str]:
    """What every environment's CI run calls."""
    return list(_recorded()["operations"])


def content_operations() -> list[str]:
    """What only content on aws adds (restore points, the content task, its bucket)."""
    return list(_recorded()["content_operations"])


def iam_action(operation: str) -> str:
    if operation in RENAMED:
        return RENAMED[operation]
    service, _, name = operation.partition(".")
    return f"{PREFIX.get(service, service)}:{name}"


def policy_actions(content: bool = False) -> list[str]:
    """Every IAM action the CI role needs, sorted; ``content``: with content on aws."""
    ops = recorded_operations() + (content_operations() if content else [])
    actions = {iam_action(op) for op in ops if op not in FREE} | set(IMPLIED)
    return sorted(actions | (set(CONTENT_IMPLIED) if content else set()))


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _scopes(fleet: Fleet, env: Environment) -> dict[str, list[str]]:
    """Action prefix or action -> the resources it is limited to in ``env``."""
    aws = env.aws
    assert aws is not None and aws.account_id
    r, a, e = aws.region, aws.account_id, env.name
    state = env.state or fleet.state
    buckets = sorted({b for b in (state.bucket, aws.config_bucket) if b})
    out: dict[str, list[str]] = {
        "secretsmanager:": [_arn("secretsmanager", r, a, f"secret:{e}-*")],
        "iam:": [f"arn:aws:iam::{a}:role/{e}-*"],
        # the environment's group, and each tenant's /ecs/ENV/TENANT (with or without
        # the ":*" that some actions' ARNs end in)
        "logs:": [
            _arn("logs", r, a, f"log-group:{naming.log_group(e)}:*"),
            _arn("logs", r, a, f"log-group:{naming.log_group(e)}/*"),
        ],
        "s3:": [f"arn:aws:s3:::{b}" for b in buckets] + [f"arn:aws:s3:::{b}/*" for b in buckets],
    }
    if state.table:
        table = _arn("dynamodb", r, a, f"table/{state.table}")
        out["dynamodb:"] = [table, f"{table}/index/*"]
    if aws.hosted_zone_id:
        out["route53:ChangeResourceRecordSets"] = [
            f"arn:aws:route53:::hostedzone/{aws.hosted_zone_id}"
        ]
    if aws.cluster:
        for op in ("CreateService", "UpdateService", "DeleteService", "DescribeServices"):
            out[f"ecs:{op}"] = [_arn("ecs", r, a, f"service/{aws.cluster}/{e}-*")]
    for op in ("CreateTargetGroup", "DeleteTargetGroup", "ModifyTargetGroup",
               "ModifyTargetGroupAttributes"):  # fmt: skip
        out[f"elasticloadbalancing:{op}"] = [
            _arn("elasticloadbalancing", r, a, f"targetgroup/{e}-*/*")
        ]
    out.update(_task_scopes(env))
    if aws.content_bucket:  # content on aws: this environment's prefix of the bucket
        bucket = f"arn:aws:s3:::{aws.content_bucket}"
        out["s3:"] += [bucket, f"{bucket}/{CONTENT_ROOT}/{e}/*"]
    return out


#: the content bucket's top folder (``TenantNames.content_prefix`` is under it)
CONTENT_ROOT = "wpfleet-content"


def _task_scopes(env: Environment) -> dict[str, list[str]]:
    """The one-off tasks (db-init in ``db_mode: ecs-task``, the content task): RunTask
    on the environment's task definitions, DescribeTasks on its cluster's tasks (the
    resource types of https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html)."""
    aws = env.aws
    assert aws is not None and aws.account_id
    r, a, e = aws.region, aws.account_id, env.name
    out = {"ecs:RunTask": [_arn("ecs", r, a, f"task-definition/{e}-*:*")]}
    if aws.cluster:
        out["ecs:DescribeTasks"] = [_arn("ecs", r, a, f"task/{aws.cluster}/*")]
    return out


#: actions that AWS evaluates on "*" only (no resource-level permissions)
UNSCOPED = {"secretsmanager:ListSecrets", "iam:ListRoles", "logs:DescribeLogGroups",
            "s3:ListAllMyBuckets", "route53:GetChange"}  # fmt: skip


def _resources_for(action: str, scopes: dict[str, list[str]]) -> list[str]:
    if action in UNSCOPED:
        return ["*"]
    if action in scopes:
        return scopes[action]
    prefix = action.split(":", 1)[0] + ":"
    return scopes.get(prefix, ["*"])


def build_policy(fleet: Fleet, env: Environment) -> dict[str, Any]:
    """The policy document; statements grouped by resource set, all sorted, so the
    same fleet file always gives the same bytes."""
    if env.backend != "aws" or env.aws is None or not env.aws.account_id:
        raise ConfigError(
            [ConfigProblem("fleet file", f"environments[{env.name}].aws.account_id",
                           "the CI policy names the environment's AWS account",
                           "set backend: aws and aws.account_id")]
        )  # fmt: skip
    scopes = _scopes(fleet, env)
    groups: dict[tuple[str, ...], list[str]] = {}
    for action in policy_actions(content=bool(env.aws.content_bucket)):
        groups.setdefault(tuple(_resources_for(action, scopes)), []).append(action)
    statements: list[dict[str, Any]] = []
    for resources, actions in sorted(groups.items(), key=lambda kv: (kv[0] != ("*",), kv[0])):
        sid = "Unscoped" if resources == ("*",) else f"Scoped{len(statements)}"
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": list(resources) if len(resources) > 1 else resources[0],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
