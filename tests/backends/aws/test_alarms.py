"""A tenant's CloudWatch alarms (``infra/alarms``) on moto: made by deploy with the
fleet file's SNS topic as action, tagged, a second deploy all noops, the topic changed
is an update, and destroy removes the tenant's alarms (the environment's database-error
filter and alarm stay: they count every tenant's log lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import deploy, register_targets_like_ecs
from wpfleet.config.load import LoadedFleet
from wpfleet.engine.resource import Op
from wpfleet.pipeline import deploy as pipeline
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

TENANT_ALARMS = [
    "sit-alpha-running-below-desired",
    "sit-alpha-target-5xx-rate",
    "sit-alpha-unhealthy-hosts",
]


def _fleet(tmp_path: Path, base: BaseEnv, site: str, topic: str | None) -> LoadedFleet:
    alarms = {"sns_topic_arn": topic} if topic else {}
    return write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=site, alarms=alarms
    )


def _alarms(base: BaseEnv) -> dict[str, dict]:  # type: ignore[type-arg]
    found = base.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def test_alarms_follow_the_tenant(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    sns = base.client("sns")
    topic = sns.create_topic(Name="ops-alarms")["TopicArn"]
    loaded = _fleet(tmp_path, base, wordpress_site, topic)
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        outcome = deploy(loaded, "alpha", store)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    alarms = _alarms(base)
    assert sorted(a for a in alarms if a.startswith("sit-alpha-")) == TENANT_ALARMS
    unhealthy = alarms["sit-alpha-unhealthy-hosts"]
    assert unhealthy["AlarmActions"] == [topic] and unhealthy["MetricName"] == "UnHealthyHostCount"
    dims = {d["Name"]: d["Value"] for d in unhealthy["Dimensions"]}
    assert dims["TargetGroup"].startswith("targetgroup/sit-alpha-tg/")
    assert dims["LoadBalancer"].startswith("app/")
    rate = alarms["sit-alpha-target-5xx-rate"]
    assert [m["Id"] for m in rate["Metrics"]] == ["errors", "requests", "result"]
    assert rate["Threshold"] == 5.0
    tags = base.client("cloudwatch").list_tags_for_resource(ResourceARN=unhealthy["AlarmArn"])
    assert {t["Key"]: t["Value"] for t in tags["Tags"]}["wpfleet:tenant"] == "alpha"
    filters = base.client("logs").describe_metric_filters(logGroupName=f"/ecs/{ENV}")
    [db_filter] = filters["metricFilters"]
    assert "SQLSTATE[HY000] [1045]" in db_filter["filterPattern"]
    assert "Error establishing a database connection" in db_filter["filterPattern"]
    assert "sit-db-connection-errors" in alarms

    again = pipeline.plan(loaded, ENV, "alpha", store=store)
    assert [(s.id, s.op) for s in again if s.op is not Op.NOOP] == []

    quiet = _fleet(tmp_path, base, wordpress_site, None)
    [step] = [s for s in pipeline.plan(quiet, ENV, "alpha", store=store) if s.op is not Op.NOOP]
    assert (step.id, step.op, step.changes) == ("infra/alarms", Op.UPDATE, ["actions"])

    gone = pipeline.destroy(loaded, ENV, "alpha", actor="test", store=store)
    assert gone.deployment is not None and gone.deployment.status == "succeeded"
    left = _alarms(base)
    assert not [a for a in left if a.startswith("sit-alpha-")]
    assert "sit-db-connection-errors" in left  # the environment's, not the tenant's


def test_a_topic_that_is_not_an_sns_arn_is_refused(tmp_path: Path, base: BaseEnv) -> None:
    from wpfleet.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _fleet(tmp_path, base, "http://127.0.0.1:1", "arn:aws:sqs:eu-west-1:123456789012:q")
    assert "sns_topic_arn" in str(caught.value.problems)
