"""DORA-style metrics from deployment records (pure logic: records are built by hand)."""

from __future__ import annotations

import itertools

import pytest

from wpfleet.reports.metrics import DAY, compute
from wpfleet.state.base import Deployment

NOW = 1_800_000_000.0
_ids = itertools.count()


def run(tenant: str, env: str, status: str, at: float, kind: str = "deploy", release: str = ""):
    return Deployment(
        id=f"d{next(_ids)}",
        tenant=tenant,
        env=env,
        kind=kind,
        status=status,
        actor="t",
        started_at=at,
        finished_at=at + 60,
        release={"id": release} if release else {},
    )


def test_frequency_success_rate_rollbacks_and_restore() -> None:
    history = [
        run("a", "dev", "succeeded", NOW - 6 * DAY, release="r1"),
        run("a", "dev", "rolled-back", NOW - 5 * DAY),
        run("a", "dev", "succeeded", NOW - 5 * DAY + 3600, release="r2"),  # restored in 1 h
        run("b", "dev", "failed", NOW - 4 * DAY),
        run("b", "dev", "running", NOW - 60),  # unfinished: not in the rate
        run("a", "sit", "succeeded", NOW - 3 * DAY, kind="rollback"),
        run("a", "dev", "succeeded", NOW - 40 * DAY),  # outside the window
        run("a", "dev", "succeeded", NOW - DAY, kind="destroy"),  # not a deployment
    ]
    report = compute(history, ["dev", "sit", "prod"], days=7, now=NOW)
    dev = report.by_env["dev"]
    assert (dev.deployments, dev.succeeded, dev.failed, dev.rollbacks) == (5, 2, 2, 1)
    assert dev.success_rate == pytest.approx(0.5)
    assert dev.per_day == pytest.approx(2 / 7)
    assert dev.mean_time_to_restore == pytest.approx(3600)  # b never recovered
    assert report.by_env["sit"].rollbacks == 1
    assert report.by_tenant["b"].mean_time_to_restore is None
    assert report.overall.deployments == 6


def test_lead_time_from_first_to_last_environment() -> None:
    history = [
        run("a", "dev", "succeeded", NOW - 5 * DAY, release="r1"),
        run("a", "sit", "succeeded", NOW - 4 * DAY, release="r1"),
        run("a", "prod", "failed", NOW - 3 * DAY, release="r1"),
        run("a", "prod", "succeeded", NOW - 2 * DAY, release="r1"),
        run("a", "dev", "succeeded", NOW - DAY, release="r2"),  # not in prod yet
    ]
    report = compute(history, ["dev", "sit", "prod"], days=30, now=NOW)
    assert report.lead_times == {"r1": pytest.approx(3 * DAY)}
    assert report.median_lead_time == pytest.approx(3 * DAY)


def test_empty_history() -> None:
    report = compute([], ["dev"], days=7, now=NOW)
    assert report.overall.success_rate is None and report.median_lead_time is None
