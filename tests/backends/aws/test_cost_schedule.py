"""``cost report --schedule --install`` on aws: an EventBridge Scheduler schedule (moto
server), created once, unchanged on a second install, updated when it differs, removed
by ``--uninstall``; refused, before anything is written, without the ``wpfleet-ops``
task definition and the scheduler role it runs with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.helpers.moto_server import reset_moto
from wpfleet.errors import UsageError
from wpfleet.services import Workspace, cost_schedule

pytestmark = [pytest.mark.aws]
NAME = "bbws-sit-cost-report"


def _fleet(tmp_path: Path, url: str) -> Path:
    aws = {
        "account_id": "123456789012", "region": "eu-west-1", "endpoint_url": url,
        "cluster": "sit-cluster", "subnets": ["subnet-1"], "security_group": "sg-1",
    }  # fmt: skip
    doc = {
        "fleet": "bbws",
        "environments": [
            {"name": "sit", "backend": "aws", "domain": "{tenant}.wpsit.example.com", "aws": aws}
        ],
        "tenants": [{"id": "goldencrust", "name": "Golden Crust"}],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _client(url: str, service: str) -> Any:
    return boto3.client(service, region_name="eu-west-1", endpoint_url=url)


def _install(fleet: Path, uninstall: bool = False) -> list[str]:
    with Workspace(fleet, actor="t") as ws:
        changes = cost_schedule.plan(ws, "sit", uninstall=uninstall)
        cost_schedule.apply(ws, changes)
    return [c.action for c in changes]


def test_schedule_install_update_uninstall(tmp_path: Path, moto_url: str) -> None:
    reset_moto(moto_url)
    fleet = _fleet(tmp_path, moto_url)
    with pytest.raises(UsageError, match="no ECS task definition 'wpfleet-ops'"):
        _install(fleet)
    _client(moto_url, "ecs").register_task_definition(
        family="wpfleet-ops",
        containerDefinitions=[{"name": "wpfleet", "image": "example/wpfleet:1", "memory": 512}],
    )
    with pytest.raises(UsageError, match="no IAM role 'bbws-wpfleet-scheduler'"):
        _install(fleet)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "scheduler.amazonaws.com"}}]}  # fmt: skip
    _client(moto_url, "iam").create_role(
        RoleName="bbws-wpfleet-scheduler", AssumeRolePolicyDocument=json.dumps(trust)
    )
    scheduler = _client(moto_url, "scheduler")
    assert scheduler.list_schedules()["Schedules"] == []  # the refusals wrote nothing

    assert _install(fleet) == ["create"]
    found = scheduler.get_schedule(Name=NAME)
    assert found["ScheduleExpression"] == "cron(0 7 * * ? *)"
    target = found["Target"]
    assert target["Arn"] == "arn:aws:ecs:eu-west-1:123456789012:cluster/sit-cluster"
    assert target["RoleArn"] == "arn:aws:iam::123456789012:role/bbws-wpfleet-scheduler"
    command = json.loads(target["Input"])["containerOverrides"][0]["command"]
    assert command[:4] == ["cost", "report", "--env", "sit"] and "--notify" in command

    assert _install(fleet) == ["noop"]  # a second install changes nothing
    scheduler.update_schedule(
        Name=NAME, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
    )  # fmt: skip
    assert _install(fleet) == ["update"]
    assert scheduler.get_schedule(Name=NAME)["ScheduleExpression"] == "cron(0 7 * * ? *)"

    assert _install(fleet, uninstall=True) == ["delete"]
    assert scheduler.list_schedules()["Schedules"] == []
    assert _install(fleet, uninstall=True) == ["noop"]
