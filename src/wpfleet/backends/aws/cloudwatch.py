"""CloudWatch metrics: healthy host counts of many target groups in one call."""

from __future__ import annotations

import time
from typing import Any

from wpfleet.aws.session import AwsSession

#: GetMetricData takes up to 500 queries per call
QUERIES_PER_CALL = 500


def healthy_host_counts(
    aws: AwsSession, lb_dimension: str, tg_dimensions: dict[str, str], minutes: int = 10
) -> dict[str, float | None]:
    """key -> latest HealthyHostCount (None when no datapoint) for each target group."""
    out: dict[str, float | None] = {}
    items = list(tg_dimensions.items())
    now = time.time()
    for i in range(0, len(items), QUERIES_PER_CALL):
        chunk = items[i : i + QUERIES_PER_CALL]
        queries: list[dict[str, Any]] = [
            {
                "Id": f"q{n}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "HealthyHostCount",
                        "Dimensions": [
                            {"Name": "TargetGroup", "Value": dim},
                            {"Name": "LoadBalancer", "Value": lb_dimension},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Minimum",
                },
            }
            for n, (_key, dim) in enumerate(chunk)
        ]
        resp = aws.call(
            "cloudwatch",
            "get_metric_data",
            MetricDataQueries=queries,
            StartTime=now - minutes * 60,
            EndTime=now,
        )
        values = {r["Id"]: r.get("Values", []) for r in resp.get("MetricDataResults", [])}
        for n, (key, _dim) in enumerate(chunk):
            found = values.get(f"q{n}") or []
            out[key] = float(found[0]) if found else None
    return out
