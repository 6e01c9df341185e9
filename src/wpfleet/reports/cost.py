"""Cost analysis: the seeds' analyze_costs.py and service_breakdown.py, computed from
Cost Explorer's daily figures.

Pure functions over plain numbers, so every rule is unit-tested: per environment a
service breakdown with shares, a daily trend, the average day and a projected month;
anomalies (a day far above the rest); and the seeds' recommendations, each only when
the data supports it:

- **weekend scale-down**: a non-production environment that costs as much on Saturday
  and Sunday as on a weekday is running for nobody; stopping its tasks at weekends saves
  about the weekend share of its compute;
- **commitment**: a compute or database service whose daily cost barely moves (a low
  coefficient of variation over at least a week) is a candidate for a Savings Plan or a
  reserved instance (the seeds quote about 40 % for RDS).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

#: services whose steady use a commitment can discount (Cost Explorer's names)
COMMITTABLE = (
    "Amazon Relational Database Service",
    "Amazon Elastic Compute Cloud - Compute",
    "Amazon Elastic Container Service",
    "Amazon EC2 Container Service",
    "AWS Fargate",
)
#: services whose tasks can be stopped when nobody uses them
SCALABLE = (
    "Amazon Elastic Compute Cloud - Compute",
    "Amazon Elastic Container Service",
    "Amazon EC2 Container Service",
    "AWS Fargate",
)
COMMITMENT_SAVING = 0.40
STEADY_CV = 0.10  # coefficient of variation under which a service counts as steady
ANOMALY_FACTOR = 1.5  # a day this many times the median of the other days
ANOMALY_FLOOR = 1.0
WEEKEND_DAYS_A_MONTH = 8.7  # and at least this much above it in money (no alarms over cents)


@dataclass
class ServiceCost:
    service: str
    total: float
    share: float  # of the environment's total, 0..1
    daily: dict[str, float] = field(default_factory=dict)


@dataclass
class Anomaly:
    day: str
    amount: float
    typical: float  # the median of the other days


@dataclass
class Recommendation:
    kind: str  # weekend-scale-down | commitment
    text: str
    monthly_saving: float


@dataclass
class EnvCost:
    env: str
    account: str = ""
    currency: str = "USD"
    total: float = 0.0
    daily: dict[str, float] = field(default_factory=dict)
    services: list[ServiceCost] = field(default_factory=list)
    by_tenant: dict[str, float] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def average_daily(self) -> float:
        return self.total / len(self.daily) if self.daily else 0.0

    @property
    def projected_month(self) -> float:
        return self.average_daily * 30


def analyse(
    env: str,
    by_service_daily: dict[str, dict[str, float]],
    *,
    is_prod: bool,
    account: str = "",
    by_tenant: dict[str, float] | None = None,
    currency: str = "USD",
) -> EnvCost:
    """``by_service_daily`` maps service → ISO day → cost."""
    out = EnvCost(env=env, account=account, currency=currency, by_tenant=dict(by_tenant or {}))
    for daily in by_service_daily.values():
        for day, amount in daily.items():
            out.daily[day] = out.daily.get(day, 0.0) + amount
    out.daily = dict(sorted(out.daily.items()))
    out.total = sum(out.daily.values())
    services = [
        ServiceCost(name, sum(d.values()), 0.0, dict(sorted(d.items())))
        for name, d in by_service_daily.items()
    ]
    for svc in services:
        svc.share = svc.total / out.total if out.total else 0.0
    out.services = sorted(services, key=lambda s: (-s.total, s.service))
    out.anomalies = find_anomalies(out.daily)
    out.recommendations = recommend(out, is_prod=is_prod)
    return out


def find_anomalies(daily: dict[str, float]) -> list[Anomaly]:
    out = []
    for day, amount in daily.items():
        others = [v for d, v in daily.items() if d != day]
        if len(others) < 3:
            continue
        typical = statistics.median(others)
        if amount > typical * ANOMALY_FACTOR and amount - typical >= ANOMALY_FLOOR:
            out.append(Anomaly(day, amount, typical))
    return out


def recommend(cost: EnvCost, *, is_prod: bool) -> list[Recommendation]:
    out: list[Recommendation] = []
    weekend = _weekend_recommendation(cost, is_prod)
    if weekend:
        out.append(weekend)
    for svc in cost.services:
        values = list(svc.daily.values())
        if svc.service not in COMMITTABLE or len(values) < 7 or not svc.total:
            continue
        mean = statistics.fmean(values)
        cv = statistics.pstdev(values) / mean if mean else 1.0
        if cv <= STEADY_CV:
            saving = mean * 30 * COMMITMENT_SAVING
            out.append(
                Recommendation(
                    "commitment",
                    f"{svc.service} is steady (±{cv:.0%} a day): a Savings Plan or reserved "
                    f"capacity saves about {COMMITMENT_SAVING:.0%}",
                    round(saving, 2),
                )
            )
    return out


def _weekend_recommendation(cost: EnvCost, is_prod: bool) -> Recommendation | None:
    """Only the services that can be scaled to zero are compared (a database runs anyway)."""
    if is_prod:
        return None
    weekday: list[float] = []
    weekend: list[float] = []
    for day in cost.daily:
        amount = sum(s.daily.get(day, 0.0) for s in cost.services if s.service in SCALABLE)
        (weekend if dt.date.fromisoformat(day).weekday() >= 5 else weekday).append(amount)
    if not weekday or not weekend:
        return None
    avg_weekday, avg_weekend = statistics.fmean(weekday), statistics.fmean(weekend)
    if avg_weekday <= 0 or avg_weekend < 0.8 * avg_weekday:
        return None  # already quieter at weekends
    return Recommendation(
        "weekend-scale-down",
        f"{cost.env}'s services cost as much at weekends ({avg_weekend:.2f}/day) as on "
        f"weekdays ({avg_weekday:.2f}/day): scale them to 0 from Saturday to Monday",
        round(avg_weekend * WEEKEND_DAYS_A_MONTH, 2),
    )
