"""``wpfleet ci policy``: the document's shape and scoping (what moto cannot evaluate;
test_ci_policy.py proves the actions against moto with IAM enforced)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from wpfleet import naming
from wpfleet.ci.policy import (
    build_policy,
    content_operations,
    iam_action,
    policy_actions,
    recorded_operations,
)
from wpfleet.cli.main import main
from wpfleet.config.load import load_fleet

REPO = Path(__file__).resolve().parents[2]
BBWS = REPO / "examples" / "bbws" / "fleet.yaml"


def resources_of(policy: dict, action: str) -> list[str]:
    out: list[str] = []
    for st in policy["Statement"]:
        if action in st["Action"]:
            res = st["Resource"]
            out += res if isinstance(res, list) else [res]
    return out


def test_actions_are_the_recorded_operations_and_nothing_wider() -> None:
    actions = policy_actions()
    assert not any("*" in a for a in actions)
    assert {iam_action(op) for op in recorded_operations()} - {"sts:GetCallerIdentity"} <= set(
        actions
    )
    assert iam_action("s3.ListObjectsV2") == "s3:ListBucket"
    # content on aws adds its own, and only where it is set up
    more = {iam_action(op) for op in content_operations()}
    assert more <= set(policy_actions(content=True))
    assert "s3:ListBucket" in more - set(actions)
    assert set(actions) < set(policy_actions(content=True))
    assert iam_action("elbv2.CreateRule") == "elasticloadbalancing:CreateRule"


def test_resources_are_the_environments_names() -> None:
    fleet = load_fleet(BBWS).fleet
    env = fleet.env("sit")
    policy = build_policy(fleet, env)
    names = naming.tenant_names("goldencrust", "sit", env.domain)
    region, account = env.aws.region, env.aws.account_id  # type: ignore[union-attr]
    secret = f"arn:aws:secretsmanager:{region}:{account}:secret:{names.db_secret}-AbCdEf"
    role = f"arn:aws:iam::{account}:role/{names.execution_role}"
    tg = f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{names.target_group}/0a1b"
    for action, arn in (
        ("secretsmanager:CreateSecret", secret),
        ("iam:CreateRole", role),
        ("elasticloadbalancing:CreateTargetGroup", tg),
    ):
        patterns = resources_of(policy, action)
        assert "*" not in patterns and any(fnmatch.fnmatchcase(arn, p) for p in patterns)
    group = f"arn:aws:logs:{region}:{account}:log-group:{names.log_group}"
    for action in ("logs:CreateLogGroup", "logs:PutMetricFilter", "logs:DeleteLogGroup"):
        patterns = resources_of(policy, action)
        assert "*" not in patterns, action
        assert all(any(fnmatch.fnmatchcase(arn, p) for p in patterns)
                   for arn in (group, f"{group}:*")), (action, patterns)  # fmt: skip
    # another environment's names are outside
    dev = naming.tenant_names("goldencrust", "dev", fleet.env("dev").domain)
    other = f"arn:aws:secretsmanager:{region}:{account}:secret:{dev.db_secret}-AbCdEf"
    assert not any(
        fnmatch.fnmatchcase(other, p) for p in resources_of(policy, "secretsmanager:CreateSecret")
    )
    other_group = f"arn:aws:logs:{region}:{account}:log-group:{dev.log_group}:*"
    assert not any(
        fnmatch.fnmatchcase(other_group, p) for p in resources_of(policy, "logs:CreateLogGroup")
    )


def test_cli_prints_the_same_document_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for _ in range(2):
        assert main(["--fleet", str(BBWS), "ci", "policy", "--env", "prod"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    assert doc["Version"] == "2012-10-17"
    assert "af-south-1:093646564004" in outs[0]


def test_content_on_aws_is_scoped_to_the_environments_task_definitions_and_prefix() -> None:
    """With ``aws.content_bucket`` (content on aws): the content task's RunTask and
    DescribeTasks, PassRole of its role, and the bucket's objects under this
    environment's prefix only (the tenant's keys: ``TenantNames.content_prefix``)."""
    loaded = load_fleet(BBWS)
    env = loaded.fleet.env("sit")
    assert env.aws is not None
    env.aws.content_bucket = "sit-wpfleet-content"
    policy = build_policy(loaded.fleet, env)
    region, account = env.aws.region, env.aws.account_id
    ecs = f"arn:aws:ecs:{region}:{account}"
    mine = naming.tenant_names("goldencrust", "sit", env.domain)
    dev = naming.tenant_names("goldencrust", "dev", loaded.fleet.env("dev").domain)
    bucket = "arn:aws:s3:::sit-wpfleet-content"
    cases = {
        "ecs:RunTask": (
            [
                f"{ecs}:task-definition/{mine.content_family}:3",
                f"{ecs}:task-definition/{mine.db_init_family}:1",
            ],
            [f"{ecs}:task-definition/{dev.content_family}:3"],
        ),
        "ecs:DescribeTasks": (
            [f"{ecs}:task/{env.aws.cluster}/0a1b2c"],
            [f"{ecs}:task/dev-cluster/0a1b2c"],
        ),
        "iam:PassRole": (
            [f"arn:aws:iam::{account}:role/{mine.content_role}"],
            [f"arn:aws:iam::{account}:role/{dev.content_role}"],
        ),
        "s3:PutObject": (
            [
                f"{bucket}/{mine.content_prefix}/transfer/0a1b.tar.gz",
                f"{bucket}/{mine.content_prefix}/restore-points/b-1/database.sql.gz",
            ],
            [
                f"{bucket}/{dev.content_prefix}/transfer/0a1b.tar.gz",
                f"{bucket}/other/key",
                "arn:aws:s3:::another-bucket/x",
            ],
        ),
        "s3:ListBucket": ([bucket], ["arn:aws:s3:::another-bucket"]),
    }
    for action, (inside, outside) in cases.items():
        patterns = resources_of(policy, action)
        assert "*" not in patterns, action
        for arn in inside:
            assert any(fnmatch.fnmatchcase(arn, p) for p in patterns), (action, arn)
        for arn in outside:
            assert not any(fnmatch.fnmatchcase(arn, p) for p in patterns), (action, arn)
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert {"s3:DeleteObject", "s3:GetObject", "s3:AbortMultipartUpload"} <= actions
    # without a content bucket, no statement names one
    env.aws.content_bucket = None
    assert "wpfleet-content" not in json.dumps(build_policy(loaded.fleet, env))
