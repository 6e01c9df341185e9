"""A tenant's CloudWatch alarms (``infra/alarms``) and log group (``infra/log-group``) on
moto: made by deploy with the fleet file's SNS topic as action, tagged, the database-error
metric filter on the tenant's own group; a second deploy all noops; a metric filter
deleted by hand is drift that ``--fix`` repairs; the topic changed is an update; destroy
removes the alarms, the filter and the group (``keep_on_destroy`` keeps the group)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import deploy, register_targets_like_ecs
from wpfleet.config.load import LoadedFleet
from wpfleet.engine.resource import Op
from wpfleet.pipeline import deploy as pipeline
from wpfleet.services import Workspace, drift
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

GROUP = f"/ecs/{ENV}/alpha"

TENANT_ALARMS = [
    "sit-alpha-db-connection-errors",
    "sit-alpha-running-below-desired",
    "sit-alpha-target-5xx-rate",
    "sit-alpha-unhealthy-hosts",
]


def _fleet(tmp_path: Path, base: BaseEnv, site: str, topic: str | None, **logs: Any) -> LoadedFleet:
    alarms = {"sns_topic_arn": topic} if topic else {}
    return write_fleet(
        tmp_path / "fleet.yaml",
        base,
        [tenant("alpha")],
        http_check_address=site,
        alarms=alarms,
        logs=logs,
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
    [db_filter] = _filters(base)
    assert "SQLSTATE[HY000] [1045]" in db_filter["filterPattern"]
    assert "Error establishing a database connection" in db_filter["filterPattern"]
    [counted] = db_filter["metricTransformations"]
    db_alarm = alarms["sit-alpha-db-connection-errors"]
    assert (db_alarm["Namespace"], db_alarm["MetricName"]) == (
        counted["metricNamespace"],
        counted["metricName"],
    )
    assert db_alarm["AlarmActions"] == [topic]
    [group] = base.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    assert (group["logGroupName"], group["retentionInDays"]) == (GROUP, 30)
    group_tags = base.client("logs").list_tags_for_resource(resourceArn=group["logGroupArn"])
    assert group_tags["tags"]["Tenant"] == "alpha" and group_tags["tags"]["wpfleet:env"] == ENV
    assert not base.client("logs").describe_metric_filters(logGroupName=f"/ecs/{ENV}")[
        "metricFilters"
    ]  # nothing on the environment's group any more

    again = pipeline.plan(loaded, ENV, "alpha", store=store)
    assert [(s.id, s.op) for s in again if s.op is not Op.NOOP] == []

    # the metric filter deleted behind wpfleet's back: drift, fixed, then clean
    base.client("logs").delete_metric_filter(logGroupName=GROUP, filterName=db_filter["filterName"])
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        with Workspace(loaded, actor="test") as ws:
            found = drift.check(ws, ENV)
            [alpha] = found.tenants
            assert [(d.step, d.op) for d in alpha.drifts] == [("infra/alarms", "update")]
            fixed = drift.fix(ws, found, verify_deadline=20.0)
            assert fixed is not None and fixed.after is not None and not fixed.after.found
    assert [f["filterName"] for f in _filters(base)] == ["sit-alpha-db-connection-errors"]

    quiet = _fleet(tmp_path, base, wordpress_site, None)
    [step] = [s for s in pipeline.plan(quiet, ENV, "alpha", store=store) if s.op is not Op.NOOP]
    assert (step.id, step.op, step.changes) == ("infra/alarms", Op.UPDATE, ["actions"])

    gone = pipeline.destroy(loaded, ENV, "alpha", actor="test", store=store)
    assert gone.deployment is not None and gone.deployment.status == "succeeded"
    assert not [a for a in _alarms(base) if a.startswith("sit-alpha-")]
    assert not base.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]


def test_keep_on_destroy_keeps_the_log_group_and_a_deploy_takes_it_up_again(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    loaded = _fleet(tmp_path, base, wordpress_site, None, keep_on_destroy=True, retention_days=7)
    with recording() as rec:
        rec.fail = register_targets_like_ecs(base)
        assert deploy(loaded, "alpha", store).deployment.status == "succeeded"  # type: ignore[union-attr]
        gone = pipeline.destroy(loaded, ENV, "alpha", actor="test", store=store)
        assert gone.deployment is not None and gone.deployment.status == "succeeded"
        [group] = base.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
        assert group["retentionInDays"] == 7  # its events expire on their own
        assert _filters(base) == [] and not [a for a in _alarms(base) if "alpha" in a]
        steps = pipeline.plan(loaded, ENV, "alpha", store=store)
        assert {s.id: s.op for s in steps}["infra/log-group"] in (Op.NOOP, Op.ADOPT)
        assert deploy(loaded, "alpha", store).deployment.status == "succeeded"  # type: ignore[union-attr]
    assert [f["filterName"] for f in _filters(base)] == ["sit-alpha-db-connection-errors"]


def test_a_retention_cloudwatch_refuses_is_a_config_error(tmp_path: Path, base: BaseEnv) -> None:
    from wpfleet.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _fleet(tmp_path, base, "http://127.0.0.1:1", None, retention_days=10)
    assert "retention_days 10" in str(caught.value.problems)


def _filters(base: BaseEnv) -> list[dict]:  # type: ignore[type-arg]
    return list(base.client("logs").describe_metric_filters(logGroupName=GROUP)["metricFilters"])


def test_a_topic_that_is_not_an_sns_arn_is_refused(tmp_path: Path, base: BaseEnv) -> None:
    from wpfleet.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _fleet(tmp_path, base, "http://127.0.0.1:1", "arn:aws:sqs:eu-west-1:123456789012:q")
    assert "sns_topic_arn" in str(caught.value.problems)
