"""The listener-rule quota is per load balancer (all its listeners together) and
adjustable: "Rules per Application Load Balancer: 100 (adjustable)", default rules
excluded (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
wpfleet reads it with DescribeAccountLimits
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeAccountLimits.html).
moto always reports the default 100, so a raised quota is stubbed into its answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, recording, tenant, write_fleet
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.engine.plan import plan_apply
from wpfleet.errors import ValidationError
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


def fill(base: BaseEnv, listener: str, count: int, start: int) -> None:
    elb = base.client("elbv2")
    for i in range(count):
        elb.create_rule(
            ListenerArn=listener,
            Priority=start + i,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"o{i}.x.test"]}}],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )


def second_listener(base: BaseEnv) -> str:
    return str(
        base.client("elbv2").create_listener(
            LoadBalancerArn=base.lb_arn, Protocol="HTTP", Port=8080,
            DefaultActions=[{"Type": "fixed-response",
                             "FixedResponseConfig": {"StatusCode": "404"}}],
        )["Listeners"][0]["ListenerArn"]
    )  # fmt: skip


def plan(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    plan_apply(backend.resources(make_ctx(loaded, "alpha", store)), set())


def test_rules_on_every_listener_of_the_alb_count(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    fill(base, base.listener_arn, 60, 1000)
    fill(base, second_listener(base), 40, 2000)
    with recording() as rec, pytest.raises(ValidationError, match="100 listener rules"):
        plan(tmp_path, base, store)
    assert rec.mutating == []
    assert "elbv2.DescribeAccountLimits" in rec.calls


class RaisedQuota:
    def __init__(self, quota: int) -> None:
        self.quota = quota

    def hook(self, session: boto3.Session) -> None:
        session.events.register(
            "after-call.elastic-load-balancing-v2.DescribeAccountLimits",
            self._limits,
            unique_id=f"quota-{id(self)}",
        )

    def _limits(self, parsed: dict[str, Any], **_: Any) -> None:
        for limit in parsed.get("Limits", []):
            if limit["Name"] == "rules-per-application-load-balancer":
                limit["Max"] = str(self.quota)


@pytest.fixture
def raised_quota() -> Iterator[RaisedQuota]:
    raised = RaisedQuota(150)
    aws_session.add_session_hook(raised.hook)
    yield raised
    aws_session.remove_session_hook(raised.hook)


def test_a_raised_quota_is_honoured(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, raised_quota: RaisedQuota
) -> None:
    fill(base, base.listener_arn, 100, 1000)
    plan(tmp_path, base, store)  # 100 rules, quota 150: room
    fill(base, base.listener_arn, 50, 3000)
    with pytest.raises(ValidationError, match=r"150 listener rules.*allows 150"):
        plan(tmp_path, base, store)
