"""Cost Explorer reads against moto server, with results seeded the way moto documents
(``POST /moto-api/static/ce/cost-and-usage-results``: each call returns the next one),
shaped like AWS's GetCostAndUsage response, two pages joined by NextPageToken."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from tests.helpers.moto_server import fake_aws_credentials, start_moto_server
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws.ce import get_cost_by_service
from wpfleet.config.models import AwsSettings

pytestmark = pytest.mark.aws


def _group(service: str, amount: str) -> dict[str, object]:
    return {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}


def _period(day: str, *groups: dict[str, object]) -> dict[str, object]:
    end = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    return {"TimePeriod": {"Start": day, "End": end}, "Groups": list(groups), "Estimated": False}


def test_cost_by_service_follows_pages() -> None:
    fake_aws_credentials()
    url, stop = start_moto_server()
    try:
        pages = [
            {
                "ResultsByTime": [_period("2026-11-02", _group("Amazon RDS", "1.76"))],
                "NextPageToken": "p2",
            },
            {
                "ResultsByTime": [
                    _period(
                        "2026-11-03", _group("Amazon RDS", "1.76"), _group("AWS Fargate", "1.3")
                    )
                ]
            },
        ]
        request = urllib.request.Request(
            f"{url}/moto-api/static/ce/cost-and-usage-results",
            data=json.dumps({"results": pages}).encode(),
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()
        settings = AwsSettings.model_validate({"account_id": "123456789012", "endpoint_url": url})
        costs = get_cost_by_service(AwsSession(settings, "dev"), "dev", 7, dt.date(2026, 11, 9))
    finally:
        stop()
    assert costs.by_service == {
        "Amazon RDS": {"2026-11-02": 1.76, "2026-11-03": 1.76},
        "AWS Fargate": {"2026-11-03": 1.3},
    }
