"""``doctor`` on AWS (moto + the MariaDB stand-in): each diagnosis by breaking that thing
on purpose. Where moto cannot show AWS's behaviour (target health reasons, stopped
tasks), the AWS response is stubbed through a ``before-call`` handler with AWS's own
fields and texts, cited below."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from tests.backends.aws.test_health_checks import stub
from wpfleet.config.load import LoadedFleet
from wpfleet.services import Workspace, deployments, doctor

pytestmark = [pytest.mark.aws, pytest.mark.slow]

#: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/resource-initialization-error.html
#: (the stopped reason of a task whose execution role cannot read its secret)
INIT_ERROR = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution "
    "resource retrieval failed: unable to retrieve secret from asm: service call has been "
    "retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/"
    "sit-alpha-ecs-exec-role/abc is not authorized to perform: secretsmanager:GetSecretValue"
)


def _aws_says(name: str, params: dict[str, Any]) -> Any:
    """Target health with AWS's reason code (https://docs.aws.amazon.com/elasticloadbalancing/
    latest/APIReference/API_TargetHealth.html) and one stopped task (moto keeps none)."""
    if name.endswith(".DescribeTargetHealth"):
        health = {
            "Target": {"Id": "10.20.1.10", "Port": 80},
            "TargetHealth": {
                "State": "unhealthy",
                "Reason": "Target.FailedHealthChecks",
                "Description": "Health checks failed",
            },
        }
        return stub({"TargetHealthDescriptions": [health]})
    if name == "ecs.ListTasks" and b"STOPPED" in (params.get("body") or b""):
        return stub({"taskArns": ["arn:aws:ecs:eu-west-1:123456789012:task/sit-cluster/t1"]})
    if name == "ecs.DescribeTasks":
        task = {"taskArn": "t1", "lastStatus": "STOPPED", "stoppedReason": INIT_ERROR}
        return stub({"tasks": [task], "failures": []})
    return None


def _symptoms(ws: Workspace) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in doctor.diagnose(ws, ws.env(ENV), "alpha").findings:
        out.setdefault(f.symptom, []).append(f)
    return out


def _deployed(tmp_path: Path, base: BaseEnv, wordpress_site: str) -> LoadedFleet:
    """alpha deployed in sit, its tasks able to reach the database."""
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=wordpress_site
    )
    with Workspace(loaded, actor="t") as ws, recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        deployments.deploy(ws, ws.env(ENV), "alpha", verify_deadline=VERIFY_DEADLINE)
    _open_db_to_tasks(base)
    return loaded


def test_doctor_names_each_cause_broken_on_purpose(
    tmp_path: Path, base: BaseEnv, wordpress_site: str
) -> None:
    loaded = _deployed(tmp_path, base, wordpress_site)
    with Workspace(loaded, actor="t") as ws:
        assert _symptoms(ws) == {}, "a healthy tenant has nothing to diagnose"

        # 500: the secret points at another host; the logs say access denied
        sm = base.client("secretsmanager")
        secret = json.loads(
            sm.get_secret_value(SecretId="sit-alpha-db-credentials")["SecretString"]
        )
        sm.put_secret_value(
            SecretId="sit-alpha-db-credentials",
            SecretString=json.dumps({**secret, "host": "old-db.cluster.example"}),
        )
        base.client("logs").put_log_events(
            logGroupName=f"/ecs/{ENV}/alpha", logStreamName="alpha/wordpress/t2",
            logEvents=[{"timestamp": int(time.time() * 1000),
                        "message": "PHP Warning: mysqli_real_connect(): (HY000/1045): "
                                   "SQLSTATE[HY000] [1045] Access denied for user"}],
        ) if _stream(base, "alpha/wordpress/t2") else None  # fmt: skip
        # a priority conflict: another rule answering the tenant's host
        base.client("elbv2").create_rule(
            ListenerArn=base.listener_arn, Priority=5,
            Conditions=[{"Field": "host-header", "Values": ["alpha.wpsit.example.test"]}],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}],
        )  # fmt: skip
        # the database's group admits nothing from the tasks
        ec2 = base.client("ec2")
        db_sg = ec2.create_security_group(GroupName="sit-rds", Description="rds", VpcId=base.vpc_id)
        base.client("rds").modify_db_instance(
            DBInstanceIdentifier=f"{ENV}-mysql", VpcSecurityGroupIds=[db_sg["GroupId"]]
        )
    with recording() as rec, Workspace(loaded, actor="t") as fresh:  # hooks: new sessions
        rec.fail = _aws_says
        found = _symptoms(fresh)

    causes = " | ".join(f.cause for fs in found.values() for f in fs)
    assert "old-db.cluster.example" in causes and "127.0.0.1" in causes
    assert any(
        "[1045]" in f.cause and f.command == "wpfleet deploy alpha --env sit" for f in found["500"]
    )
    assert any("do not admit the tasks' group" in f.cause for f in found["500"])
    assert any("--source-group" in f.fix for f in found["500"])
    [conflict] = found["priority conflict"]
    assert "priorities 5, 10" in conflict.cause and "lowest (5) wins" in conflict.cause
    assert any("Target.FailedHealthChecks" in f.cause for f in found["503"])
    [init] = found["ResourceInitializationError"]
    assert "secretsmanager:GetSecretValue" in init.cause
    assert init.command == "wpfleet deploy alpha --env sit"

    # the tenant's log group deleted: ECS cannot start its tasks, nothing to read
    base.client("logs").delete_log_group(logGroupName=f"/ecs/{ENV}/alpha")
    with Workspace(loaded, actor="t") as fresh:
        missing = [f for f in _symptoms(fresh)["tasks not starting"] if "log group" in f.cause]
    assert len(missing) == 1 and "/ecs/sit/alpha is missing" in missing[0].cause
    assert missing[0].command == "wpfleet deploy alpha --env sit"


def _open_db_to_tasks(base: BaseEnv) -> None:
    """The ECS → RDS path a real environment has: the database's group admits the tasks'."""
    rds = base.client("rds").describe_db_instances(DBInstanceIdentifier=f"{ENV}-mysql")
    for group in rds["DBInstances"][0]["VpcSecurityGroups"]:
        base.client("ec2").authorize_security_group_ingress(
            GroupId=group["VpcSecurityGroupId"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
                 "UserIdGroupPairs": [{"GroupId": base.security_group}]}
            ],
        )  # fmt: skip


def _stream(base: BaseEnv, name: str) -> bool:
    base.client("logs").create_log_stream(logGroupName=f"/ecs/{ENV}/alpha", logStreamName=name)
    return True


#: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
#: (CannotPullContainerError: the stopped reason of a task whose image cannot be pulled)
PULL_ERROR = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
    "resolve ref docker.io/library/wordpress:no-such-tag: not found"
)


def test_doctor_names_tasks_that_will_not_start_and_the_fix(
    tmp_path: Path, base: BaseEnv, wordpress_site: str
) -> None:
    """Desired 1, running 0, the stopped tasks' reason an image pull: moto starts no
    tasks and keeps no stopped ones, so DescribeServices (the real service, its counts
    made AWS's of a service whose tasks cannot start), ListTasks and DescribeTasks answer
    as AWS does in that case."""
    loaded = _deployed(tmp_path, base, wordpress_site)
    [svc] = base.client("ecs").describe_services(
        cluster=base.cluster, services=["sit-alpha-service"]
    )["services"]
    broken = {
        **svc,
        "desiredCount": 1,
        "runningCount": 0,
        "events": [{"message": "(service sit-alpha-service) was unable to place a task."}],
    }

    def cannot_start(name: str, params: dict[str, Any]) -> Any:
        if name == "ecs.DescribeServices":
            return stub({"services": [broken], "failures": []})
        if name == "ecs.ListTasks" and b"STOPPED" in (params.get("body") or b""):
            return stub({"taskArns": ["arn:aws:ecs:eu-west-1:123456789012:task/c/t1"]})
        if name == "ecs.DescribeTasks":
            task = {"taskArn": "t1", "lastStatus": "STOPPED", "stoppedReason": PULL_ERROR}
            return stub({"tasks": [task], "failures": []})
        return None

    with recording() as rec, Workspace(loaded, actor="t") as fresh:
        rec.fail = cannot_start
        found = _symptoms(fresh)

    [finding] = found["tasks not starting"]
    assert "0 of 1 tasks running" in finding.cause
    assert "image cannot be pulled" in finding.cause and "no-such-tag" in finding.cause
    assert "registry" in finding.fix and "ecr:BatchGetImage" in finding.fix
    assert finding.command == "wpfleet deploy alpha --env sit"
