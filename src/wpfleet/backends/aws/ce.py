"""Cost Explorer: what each tenant costs, by the ``wpfleet:tenant`` tag.

Cost allocation tags must be activated once in the billing console for AWS to group
by them; until then every cost lands under the empty tag value ("untagged"). Cost
Explorer lives in us-east-1 and each call costs money: one call per report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws.tags import TENANT_KEY
from wpfleet.context import CostData

CE_REGION = "us-east-1"


@dataclass
class TenantCosts:
    currency: str = "USD"
    #: tenant id ("" for costs without the tag) -> amount over the period
    by_tenant: dict[str, float] = field(default_factory=dict)
    days: list[str] = field(default_factory=list)


def get_cost_and_usage(aws: AwsSession, env: str, days: int, today: dt.date) -> TenantCosts:
    """Unblended cost per tenant over the ``days`` before ``today`` in environment ``env``
    (filtered by the ``wpfleet:env`` tag), paginated by NextPageToken."""
    start, end = today - dt.timedelta(days=days), today
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "TAG", "Key": TENANT_KEY}],
        "Filter": {"Tags": {"Key": "wpfleet:env", "Values": [env]}},
    }
    out = TenantCosts()
    token: str | None = None
    while True:
        request: dict[str, Any] = {**params, **({"NextPageToken": token} if token else {})}
        page = aws.call("ce", "get_cost_and_usage", region=CE_REGION, **request)
        add_tenant_costs(out, page)
        token = page.get("NextPageToken")
        if not token:
            return out


def add_tenant_costs(out: TenantCosts, page: dict[str, Any]) -> None:
    """Add one GetCostAndUsage page grouped by the tenant tag to ``out``."""
    for period in page.get("ResultsByTime", []):
        out.days.append(period["TimePeriod"]["Start"])
        for group in period.get("Groups", []):
            tenant = _tenant_of(group["Keys"][0])
            metric = group["Metrics"]["UnblendedCost"]
            out.currency = metric.get("Unit", out.currency)
            out.by_tenant[tenant] = out.by_tenant.get(tenant, 0.0) + float(metric["Amount"])


def add_service_costs(out: ServiceCosts, page: dict[str, Any]) -> None:
    """Add one GetCostAndUsage page grouped by SERVICE to ``out``."""
    for period in page.get("ResultsByTime", []):
        day = period["TimePeriod"]["Start"]
        for group in period.get("Groups", []):
            metric = group["Metrics"]["UnblendedCost"]
            out.currency = metric.get("Unit", out.currency)
            daily = out.by_service.setdefault(group["Keys"][0], {})
            daily[day] = daily.get(day, 0.0) + float(metric["Amount"])


def _tenant_of(key: str) -> str:
    """Cost Explorer spells a tag group ``wpfleet:tenant$goldencrust``."""
    return key.split("$", 1)[1] if "$" in key else key


@dataclass
class ServiceCosts:
    currency: str = "USD"
    #: service name -> ISO day -> amount
    by_service: dict[str, dict[str, float]] = field(default_factory=dict)


def get_cost_by_service(aws: AwsSession, env: str, days: int, today: dt.date) -> ServiceCosts:
    """Daily unblended cost per AWS service of environment ``env``'s account (the seeds'
    service_breakdown.py). Not filtered by tag: base resources (RDS, ALB, NAT) carry most
    of an environment's cost and are shared by its tenants."""
    start, end = today - dt.timedelta(days=days), today
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    out = ServiceCosts()
    token: str | None = None
    while True:
        request: dict[str, Any] = {**params, **({"NextPageToken": token} if token else {})}
        page = aws.call("ce", "get_cost_and_usage", region=CE_REGION, **request)
        add_service_costs(out, page)
        token = page.get("NextPageToken")
        if not token:
            return out


def env_costs(aws: AwsSession, env: str, days: int, today: dt.date) -> CostData:
    """The environment's bill: per service per day (its account), per tenant (its tag)."""
    services = get_cost_by_service(aws, env, days, today)
    tenants = get_cost_and_usage(aws, env, days, today)
    return CostData(
        account=aws.account_id,
        currency=services.currency,
        by_service=services.by_service,
        by_tenant=tenants.by_tenant,
    )
