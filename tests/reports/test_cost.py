"""Cost analysis rules (pure) and the rendered report and chart."""

from __future__ import annotations

import datetime as dt
import struct

import pytest

from wpfleet.reports.cost import analyse
from wpfleet.reports.cost_render import as_csv, as_markdown, write_chart

RDS = "Amazon Relational Database Service"
ECS = "Amazon Elastic Container Service"
S3 = "Amazon Simple Storage Service"
START = dt.date(2026, 11, 2)  # a Monday


def days(values: list[float]) -> dict[str, float]:
    return {(START + dt.timedelta(days=i)).isoformat(): v for i, v in enumerate(values)}


def test_breakdown_projection_and_steady_service() -> None:
    cost = analyse(
        "dev",
        {
            RDS: days([1.76] * 7),
            ECS: days([1.3, 1.4, 1.35, 1.3, 1.42, 0.9, 1.0]),
            S3: days([0.01] * 7),
        },
        is_prod=False,
        by_tenant={"goldencrust": 3.0, "": 1.0},
    )
    assert [s.service for s in cost.services] == [RDS, ECS, S3]
    assert cost.total == pytest.approx(1.76 * 7 + 8.67 + 0.07)
    assert sum(s.share for s in cost.services) == pytest.approx(1.0)
    assert cost.projected_month == pytest.approx(cost.total / 7 * 30)
    kinds = {r.kind: r for r in cost.recommendations}
    assert "commitment" in kinds and RDS in kinds["commitment"].text
    assert kinds["commitment"].monthly_saving == pytest.approx(1.76 * 30 * 0.4, rel=1e-3)
    assert "weekend-scale-down" not in kinds  # weekends are already cheaper
    assert not cost.anomalies


def test_weekend_scale_down_only_outside_prod() -> None:
    flat = {ECS: days([2.0] * 14), S3: days([0.5] * 14)}
    dev = analyse("dev", flat, is_prod=False)
    assert [r.kind for r in dev.recommendations if r.kind == "weekend-scale-down"]
    prod = analyse("prod", flat, is_prod=True)
    assert not [r for r in prod.recommendations if r.kind == "weekend-scale-down"]


def test_anomaly_is_a_day_far_above_the_others() -> None:
    cost = analyse("sit", {ECS: days([2.0, 2.1, 1.9, 9.5, 2.0, 2.05, 1.95])}, is_prod=False)
    assert [(a.day, a.amount) for a in cost.anomalies] == [("2026-11-05", 9.5)]
    noisy_cents = analyse("sit", {S3: days([0.01, 0.02, 0.01, 0.09, 0.01])}, is_prod=False)
    assert not noisy_cents.anomalies


def test_markdown_csv_and_a_real_png(tmp_path) -> None:
    envs = [
        analyse("dev", {RDS: days([1.76] * 7), ECS: days([1.3] * 7)}, is_prod=False),
        analyse("sit", {ECS: days([2.0, 2.1, 1.9, 9.5, 2.0, 2.05, 1.95])}, is_prod=False),
    ]
    md = as_markdown(envs)
    assert "## dev" in md and "projected month" in md and "anomaly: 2026-11-05" in md
    rows = as_csv(envs).splitlines()
    assert rows[0] == "env,service,day,cost,currency" and len(rows) == 1 + 7 * 3
    png = write_chart(envs, tmp_path / "cost.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 800 and height >= 500
