"""``wpfleet cost report`` against moto server with Cost Explorer results seeded the way
moto documents (``POST /moto-api/static/ce/cost-and-usage-results``: each call returns
the next result), shaped like AWS's GetCostAndUsage response. Each report makes two
calls: per service (daily), then per tenant tag."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.moto_server import reset_moto
from tests.notify.test_channels import receiver  # noqa: F401 - fixture
from wpfleet.cli.main import main
from wpfleet.errors import UsageError
from wpfleet.services import Workspace, costs

pytestmark = pytest.mark.aws

TODAY = dt.date(2026, 11, 9)  # a Monday: the 7 days before are 2 .. 8 November
DAYS = [(TODAY - dt.timedelta(days=n)).isoformat() for n in range(7, 0, -1)]
RDS = "Amazon Relational Database Service"
FARGATE = "AWS Fargate"


def _group(key: str, amount: float) -> dict[str, Any]:
    return {"Keys": [key], "Metrics": {"UnblendedCost": {"Amount": str(amount), "Unit": "USD"}}}


def _period(day: str, *groups: dict[str, Any]) -> dict[str, Any]:
    end = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    return {"TimePeriod": {"Start": day, "End": end}, "Groups": list(groups), "Estimated": False}


def _seed(url: str) -> None:
    """RDS steady at 1.76/day; Fargate 1.30/day every day (weekends too), but 6.00 on
    Saturday 7 November (an anomaly); per tenant: two tagged tenants and some untagged spend."""
    by_service = {
        "ResultsByTime": [
            _period(d, _group(RDS, 1.76), _group(FARGATE, 6.0 if d == "2026-11-07" else 1.3))
            for d in DAYS
        ]
    }
    by_tenant = {
        "ResultsByTime": [
            _period(
                d,
                _group("wpfleet:tenant$goldencrust", 0.5),
                _group("wpfleet:tenant$sunsetbistro", 0.25),
                _group("wpfleet:tenant$", 2.31),
            )
            for d in DAYS
        ]
    }
    request = urllib.request.Request(
        f"{url}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": [by_service, by_tenant]}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def _fleet(tmp_path: Path, url: str, notify: dict[str, Any] | None = None) -> Path:
    sit: dict[str, Any] = {
        "name": "sit",
        "backend": "aws",
        "domain": "{tenant}.wpsit.example.com",
        "aws": {"account_id": "123456789012", "region": "eu-west-1", "endpoint_url": url},
    }
    if notify:
        sit["notify"] = notify
    doc = {
        "fleet": "bbws",
        "environments": [
            {"name": "dev", "backend": "local", "domain": "{tenant}.wpdev.localhost"},
            sit,
        ],
        "tenants": [{"id": "goldencrust", "name": "Golden Crust"}],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_report_breakdown_trend_tenants_anomaly_and_advice(
    tmp_path: Path,
    moto_url: str,
    receiver: Any,  # noqa: F811
) -> None:
    reset_moto(moto_url)
    _seed(moto_url)
    base, handler = receiver
    fleet = _fleet(tmp_path, moto_url, notify={"webhook": f"{base}/hook"})
    with Workspace(fleet, actor="cron") as ws:
        result = costs.report(ws, days=7, today=TODAY, notify=True)
    assert list(result.skipped) == ["dev"] and "no bill" in result.skipped["dev"]
    [sit] = result.envs
    assert sit.account == "123456789012" and list(sit.daily) == DAYS
    assert [s.service for s in sit.services] == [FARGATE, RDS]  # 13.80, 12.32
    assert sit.total == pytest.approx(7 * 1.76 + 6 * 1.3 + 6.0)
    assert sit.projected_month == pytest.approx(sit.total / 7 * 30)
    assert sit.by_tenant == pytest.approx({"goldencrust": 3.5, "sunsetbistro": 1.75, "": 16.17})
    assert [a.day for a in sit.anomalies] == ["2026-11-07"]
    kinds = {r.kind for r in sit.recommendations}
    assert kinds == {"weekend-scale-down", "commitment"}  # sit runs all weekend; RDS steady
    [(path, body)] = handler.bodies
    assert path == "/hook" and body["kind"] == "cost.anomaly" and body["env"] == "sit"
    assert "2026-11-07" in body["summary"]


def test_local_only_says_why_and_how(tmp_path: Path, moto_url: str) -> None:
    with Workspace(_fleet(tmp_path, moto_url)) as ws, pytest.raises(UsageError) as caught:
        costs.report(ws, env="dev")
    assert "no bill" in caught.value.message and "--env" in str(caught.value.hint)


def test_cli_outputs_and_chart(
    tmp_path: Path, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_moto(moto_url)
    fleet = _fleet(tmp_path, moto_url)
    chart = tmp_path / "cost.png"
    outputs = {}
    for fmt in ("json", "csv", "md", "table"):
        _seed(moto_url)
        args = ["cost", "report", "--env", "sit", "--fleet", str(fleet), "--output", fmt]
        code = main([*args, *(["--chart", str(chart)] if fmt == "md" else [])])
        assert code == 0
        outputs[fmt] = capsys.readouterr().out
    [data] = json.loads(outputs["json"])
    assert data["env"] == "sit" and data["anomalies"][0]["day"] == "2026-11-07"
    assert data["projected_month"] == pytest.approx(data["total"] / 7 * 30)
    assert outputs["csv"].splitlines()[0] == "env,service,day,cost,currency"
    assert len(outputs["csv"].splitlines()) == 1 + 14
    assert "## sit (123456789012)" in outputs["md"] and "anomaly: 2026-11-07" in outputs["md"]
    assert "projected month" in outputs["table"] and "recommendations" in outputs["table"]
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    _seed(moto_url)
    by = ["cost", "report", "--env", "sit", "--by", "tenant", "-o", "csv", "--fleet", str(fleet)]
    assert main(by) == 0
    assert "sit,goldencrust,3.5000,USD" in capsys.readouterr().out


def test_schedule_prints_cron_and_eventbridge(
    tmp_path: Path, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path, moto_url)
    assert main(["cost", "report", "--schedule", "--fleet", str(fleet), "-o", "json"]) == 0
    plans = {p["env"]: p for p in json.loads(capsys.readouterr().out)}
    assert plans["dev"]["kind"] == "cron" and plans["dev"]["text"].startswith("0 7 * * * wpfleet")
    assert "--env dev --days 7 --notify" in plans["dev"]["text"]
    sit = plans["sit"]["text"]
    assert sit.startswith("aws scheduler create-schedule --region eu-west-1 --name bbws-sit-")
    target = json.loads(sit.split("--target ", 1)[1].strip("'"))
    assert target["Arn"].startswith("arn:aws:ecs:eu-west-1:123456789012:cluster/")
    overrides = json.loads(target["Input"])
    assert overrides["containerOverrides"][0]["command"][:4] == ["cost", "report", "--env", "sit"]
