"""``drift`` on the AWS backend against moto + MariaDB: changes made behind wpfleet's
back are found with both values, ``--fix`` (the deploy pipeline) repairs them, and a
second drift is clean. Orphans are found by the Resource Groups Tagging API and pruned
through the destroy path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.conftest import KeepAssociations
from tests.backends.aws.infra import (
    DOMAIN_SUFFIX,
    ENV,
    BaseEnv,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from tests.backends.aws.test_deploy import register_targets_like_ecs
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.resources.roles import TASK_POLICY
from wpfleet.services import Workspace, drift, orphans, status
from wpfleet.services import deployments as deploy_service
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

VERIFY_DEADLINE = 20.0
WIDE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def break_behind_wpfleets_back(base: BaseEnv, loaded: Any, store: SqliteStore) -> None:
    """Four hand changes: rule host, task definition image, access point, IAM policy."""
    names = make_ctx(loaded, "alpha", store).names
    elb = base.client("elbv2")
    [rule] = [r for r in elb.describe_rules(ListenerArn=base.listener_arn)["Rules"]
              if not r["IsDefault"]]  # fmt: skip
    elb.modify_rule(
        RuleArn=rule["RuleArn"],
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["evil.example"]}}],
    )
    ecs = base.client("ecs")
    svc = ecs.describe_services(cluster=base.cluster, services=[names.service])["services"][0]
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    spec = {k: td[k] for k in ("family", "containerDefinitions", "cpu", "memory",
                               "networkMode", "requiresCompatibilities", "volumes",
                               "executionRoleArn", "taskRoleArn") if k in td}  # fmt: skip
    spec["containerDefinitions"][0]["image"] = "wordpress:5.0-by-hand"
    new = ecs.register_task_definition(**spec)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=base.cluster, service=names.service, taskDefinition=new)
    efs = base.client("efs")
    [ap] = efs.describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    base.client("iam").put_role_policy(
        RoleName=names.task_role, PolicyName=TASK_POLICY, PolicyDocument=json.dumps(WIDE)
    )


def assert_found(found: drift.DriftResult) -> None:
    [alpha] = found.tenants
    by_step = {d.step: d for d in alpha.drifts}
    fields = {s: {f.path: (f.actual, f.desired) for f in d.fields} for s, d in by_step.items()}
    assert fields["infra/listener-rule"]["host"] == ("evil.example", f"alpha.{DOMAIN_SUFFIX}")
    image = [v for p, v in fields["infra/task-definition"].items() if p.endswith(".image")]
    assert image == [("wordpress:5.0-by-hand", "wordpress:6.4")]
    assert "infra/service" in by_step  # it runs the hand-made revision
    assert by_step["infra/access-point"].op == "create"
    policy = {p: v for p, v in fields["infra/task-role"].items() if p.startswith("policy")}
    assert policy and '"*"' in json.dumps(list(policy.values())), fields["infra/task-role"]


def test_drift_found_with_both_values_fixed_and_clean(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=wordpress_site
    )
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        with Workspace(loaded, actor="test") as ws:  # each block: one CLI command
            deploy_service.deploy(ws, ws.env(ENV), "alpha", verify_deadline=VERIFY_DEADLINE)
        with Workspace(loaded, actor="test") as ws:
            assert not drift.check(ws, ENV).found
            [row] = status.fleet_status(ws, ENV).rows  # ECS, targets, then the page's title
            assert (row.state, row.drift) == ("healthy", "clean"), row
            assert "1/1 running" in row.detail and '-> 200 "Alpha Bakery"' in row.detail, row
        break_behind_wpfleets_back(base, loaded, store)
        with Workspace(loaded, actor="test") as ws:
            found = drift.check(ws, ENV)
            assert_found(found)
            assert status.fleet_status(ws, ENV).rows[0].drift == "drifted"
            fixed = drift.fix(ws, found, verify_deadline=VERIFY_DEADLINE)
            assert fixed is not None and fixed.after is not None
            assert not fixed.after.found, fixed.after.as_dict()
        with Workspace(loaded, actor="test") as ws:
            again = drift.check(ws, ENV)
            assert not again.found, again.as_dict()
            assert status.fleet_status(ws, ENV).rows[0].drift == "clean"
    rules = base.client("elbv2").describe_rules(ListenerArn=base.listener_arn)["Rules"]
    assert len([r for r in rules if not r["IsDefault"]]) == 1  # put back, not a second one


def test_removed_basic_auth_association_is_drift_and_fixed(
    tmp_path: Path, base: BaseEnv, keep_edge_associations: KeepAssociations
) -> None:
    """moto drops Lambda@Edge associations; ``keep_edge_associations`` keeps them as
    CloudFront does, so removing one by hand is seen exactly as on AWS."""
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra={"basic_auth": True}
    )
    with Workspace(loaded, actor="test") as ws:
        ws.backend(ws.env(ENV)).platform_up()
        assert not drift.check(ws, ENV).found
        cf = base.client("cloudfront", "us-east-1")
        got = cf.get_distribution_config(Id=base.distribution_id)
        config = got["DistributionConfig"]
        config["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 0}
        cf.update_distribution(Id=base.distribution_id, DistributionConfig=config,
                               IfMatch=got["ETag"])  # fmt: skip
        # this client is not wpfleet's (the hook is on wpfleet's sessions): tell the
        # stand-in what CloudFront now keeps for the default behavior
        keep_edge_associations.by_path["*"] = {"Quantity": 0}
        found = drift.check(ws, ENV)
        assert [e.component for e in found.environment] == ["basic-auth-behaviors"]
        assert "default (*)" in found.environment[0].detail
        fixed = drift.fix(ws, found)
        assert fixed is not None and fixed.environment == [ENV]
        assert not drift.check(ws, ENV).found
    assert keep_edge_associations.by_path["*"]["Quantity"] == 1


def test_orphan_found_by_its_tags_and_pruned_never_an_untagged_one(
    tmp_path: Path, base: BaseEnv
) -> None:
    """A target group tagged for tenant ``ghost`` (not in the fleet file) is an orphan;
    an untagged one with a wpfleet-like name is not and survives the prune."""
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    elb = base.client("elbv2")
    spec = {"Protocol": "HTTP", "Port": 80, "VpcId": base.vpc_id, "TargetType": "ip"}
    tags = [{"Key": T.TENANT_KEY, "Value": "ghost"}, {"Key": T.ENV_KEY, "Value": ENV}]
    elb.create_target_group(Name=f"{ENV}-ghost-tg", Tags=tags, **spec)
    elb.create_target_group(Name=f"{ENV}-stray-tg", **spec)
    with Workspace(loaded, actor="test") as ws:
        found = drift.check(ws, ENV)
        assert [o.tenant for o in found.orphans] == ["ghost"]
        assert [f":targetgroup/{ENV}-ghost-tg/" in a for a in found.orphans[0].found] == [True]
        pruned = orphans.prune(ws, found.orphans)
        assert pruned is not None and not pruned.failed, pruned and pruned.failed
        assert not drift.check(ws, ENV).orphans
    left = [g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]]
    assert f"{ENV}-ghost-tg" not in left and f"{ENV}-stray-tg" in left
