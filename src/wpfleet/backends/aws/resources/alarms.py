"""CloudWatch alarms of a tenant, made by deploy and removed by destroy (``infra/alarms``).

Per tenant, each sent to ``aws.alarms.sns_topic_arn`` when the fleet file names one
(without a topic they are made without actions: visible in the console and to
``wpfleet status``, telling nobody):

- **running < desired**: ``ECS/ContainerInsights`` ``DesiredTaskCount - RunningTaskCount``
  above 0 for 3 minutes (needs Container Insights on the cluster; without it the metrics
  are missing and the alarm stays ``INSUFFICIENT_DATA``);
- **unhealthy hosts**: the target group's ``UnHealthyHostCount`` above 0 for 3 minutes;
- **target 5xx rate**: ``HTTPCode_Target_5XX_Count / RequestCount`` above 5 % over 5
  minutes (no requests: no data, treated as not breaching);
- **database connection errors**: a metric filter on the tenant's own log group
  ``/ecs/{env}/{tenant}`` ("Error establishing a database connection", SQLSTATE
  [HY000] [2002] / [1045] / [1049]) counting into ``wpfleet/{env}-{tenant}-db-connection-
  errors``, and an alarm at one or more in 5 minutes. A metric filter applies to every
  stream of its group and takes dimensions only from fields of the events (WordPress's
  lines name no tenant), hence the group per tenant (``infra/log-group``).

Before per-tenant groups this filter and alarm were the environment's
(``{env}-db-connection-errors`` on ``/ecs/{env}``); wpfleet no longer makes or reads
them: delete them by hand once every tenant has been deployed again (README, Alarms).

Alarms are tagged like every other resource; ``put_metric_alarm`` replaces an alarm
whole, so create and update are the same call and a second deploy is all noops.
"""

from __future__ import annotations

import contextlib
from typing import Any

from wpfleet.aws.errors import AwsNotFound
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State

DB_ERRORS_PATTERN = (
    '?"Error establishing a database connection" ?"SQLSTATE[HY000] [2002]" '
    '?"SQLSTATE[HY000] [1045]" ?"SQLSTATE[HY000] [1049]"'
)
NAMESPACE = "wpfleet"
FIVE_XX_PERCENT = 5.0


def _stat(namespace: str, metric: str, dims: dict[str, str], stat: str, period: int) -> Any:
    dimensions = [{"Name": k, "Value": v} for k, v in dims.items()]
    return {
        "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
        "Period": period,
        "Stat": stat,
    }


class Alarms(AwsResource):
    id = "infra/alarms"
    phase = Phase.INFRA
    depends_on = ("infra/service", "infra/target-group", "infra/log-group")
    description = "CloudWatch alarms: running < desired, unhealthy hosts, 5xx rate, DB errors"

    # --- names ---------------------------------------------------------------------------
    def prefix(self) -> str:
        return f"{self.t.env}-{self.t.tenant}"

    def db_errors(self) -> str:
        """The name of the tenant's metric filter, its metric and its alarm."""
        return f"{self.prefix()}-db-connection-errors"

    @property
    def group(self) -> str:
        return self.names.log_group

    # --- the definitions -----------------------------------------------------------------
    def definitions(self) -> dict[str, dict[str, Any]]:
        """Alarm name -> PutMetricAlarm parameters (without actions and tags)."""
        svc = {"ClusterName": self.t.require("cluster"), "ServiceName": self.names.service}
        tg = self.t.target_group()
        tg_dim = str(tg["TargetGroupArn"]).split(":")[-1] if tg else "targetgroup/-"
        lb_arn = str(self.t.listener()["LoadBalancerArn"])
        alb = {"TargetGroup": tg_dim, "LoadBalancer": lb_arn.split(":loadbalancer/")[-1]}
        return {
            f"{self.prefix()}-running-below-desired": _running_below_desired(svc),
            f"{self.prefix()}-unhealthy-hosts": _unhealthy_hosts(alb),
            f"{self.prefix()}-target-5xx-rate": _five_xx_rate(alb),
            self.db_errors(): self.db_errors_definition(),
        }

    def db_errors_definition(self) -> dict[str, Any]:
        return {
            "Namespace": NAMESPACE,
            "MetricName": self.db_errors(),
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "TreatMissingData": "notBreaching",
        }

    def actions(self) -> list[str]:
        topic = self.t.settings.alarms.sns_topic_arn
        return [topic] if topic else []

    # --- Resource ------------------------------------------------------------------------
    def read(self) -> Fact | None:
        found = {a["AlarmName"]: a for a in self._describe(list(self.definitions()))}
        mine = [n for n in self.definitions() if n in found]
        if not mine:
            return None
        first = found[mine[0]]
        tags = self.aws.call("cloudwatch", "list_tags_for_resource", ResourceARN=first["AlarmArn"])
        state = {
            "alarms": sorted(mine),
            "actions": sorted(first.get("AlarmActions", [])),
            "db_errors_filter": self._filter_present(),
        }
        return self.fact(state, tags.get("Tags", []))

    def desired(self) -> State:
        return {
            "alarms": sorted(self.definitions()),
            "actions": sorted(self.actions()),
            "db_errors_filter": True,
        }

    def create(self) -> None:
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Put every alarm whole (PutMetricAlarm replaces); ``target`` of an undo puts
        back the actions it had (a tenant's alarms never go away on an undo of update)."""
        actions = list(target.get("actions", self.actions()))
        tags = T.as_key_value(self.t.tags(self.prefix()))
        self.aws.call(  # the filter first: the alarm counts what it puts
            "logs",
            "put_metric_filter",
            logGroupName=self.group,
            filterName=self.db_errors(),
            filterPattern=DB_ERRORS_PATTERN,
            metricTransformations=[
                {
                    "metricName": self.db_errors(),
                    "metricNamespace": NAMESPACE,
                    "metricValue": "1",
                    "defaultValue": 0.0,
                }
            ],
        )
        for name, params in self.definitions().items():
            self._put(name, params, actions, tags if self.wants_tags(target) else None)

    def delete(self) -> None:
        """The tenant's alarms and its metric filter (the log group may be kept)."""
        self.aws.call("cloudwatch", "delete_alarms", AlarmNames=list(self.definitions()))
        with contextlib.suppress(AwsNotFound):  # the filter or the whole group is gone
            self.aws.call(
                "logs", "delete_metric_filter", logGroupName=self.group, filterName=self.db_errors()
            )

    def ownership_data(self) -> State:
        return {"alarms": sorted(self.definitions())}

    # --- calls ---------------------------------------------------------------------------
    def _put(
        self, name: str, params: dict[str, Any], actions: list[str], tags: list[Any] | None
    ) -> None:
        extra: dict[str, Any] = {"Tags": tags} if tags else {}
        self.aws.call(
            "cloudwatch",
            "put_metric_alarm",
            AlarmName=name,
            AlarmDescription=f"wpfleet: {name}",
            ActionsEnabled=bool(actions),
            AlarmActions=actions,
            OKActions=actions,
            **params,
            **extra,
        )

    def _describe(self, names: list[str]) -> list[dict[str, Any]]:
        resp = self.aws.call("cloudwatch", "describe_alarms", AlarmNames=names)
        return list(resp.get("MetricAlarms", []))

    def _filter_present(self) -> bool:
        try:
            resp = self.aws.call(
                "logs",
                "describe_metric_filters",
                logGroupName=self.group,
                filterNamePrefix=self.db_errors(),
            )
        except AwsNotFound:  # the group itself is missing: no filter
            return False
        return any(
            f["filterName"] == self.db_errors() and f.get("filterPattern") == DB_ERRORS_PATTERN
            for f in resp.get("metricFilters", [])
        )


def _math(queries: list[tuple[str, Any]], expression: str, label: str) -> list[dict[str, Any]]:
    """Metric-math queries: each (id, MetricStat) hidden, the expression returned."""
    out: list[dict[str, Any]] = [
        {"Id": qid, "MetricStat": stat, "ReturnData": False} for qid, stat in queries
    ]
    out.append({"Id": "result", "Expression": expression, "Label": label, "ReturnData": True})
    return out


def _running_below_desired(svc: dict[str, str]) -> dict[str, Any]:
    ci = "ECS/ContainerInsights"
    queries = [
        ("desired", _stat(ci, "DesiredTaskCount", svc, "Maximum", 60)),
        ("running", _stat(ci, "RunningTaskCount", svc, "Minimum", 60)),
    ]
    return {
        "Metrics": _math(queries, "desired - running", "tasks missing"),
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "EvaluationPeriods": 3,
        "TreatMissingData": "missing",
    }


def _unhealthy_hosts(alb: dict[str, str]) -> dict[str, Any]:
    return {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "UnHealthyHostCount",
        "Dimensions": [{"Name": k, "Value": v} for k, v in alb.items()],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "TreatMissingData": "missing",
    }


def _five_xx_rate(alb: dict[str, str]) -> dict[str, Any]:
    elb = "AWS/ApplicationELB"
    queries = [
        ("errors", _stat(elb, "HTTPCode_Target_5XX_Count", alb, "Sum", 300)),
        ("requests", _stat(elb, "RequestCount", alb, "Sum", 300)),
    ]
    return {
        "Metrics": _math(queries, "100 * errors / requests", "5xx %"),
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": FIVE_XX_PERCENT,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }
