"""``metrics`` from real deployment records (a fake world's deployments through the real
pipeline and store), as a service and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.fakes import World
from tests.services.factories import deployed, workspace, write_fleet
from wpfleet.cli.main import main
from wpfleet.errors import DeploymentFailed, NotFoundError, UsageError
from wpfleet.services import metrics


def _history(tmp_path: Path) -> Path:
    """alpha: dev then sit (a release that reached the end of the chain); bravo: a
    rolled-back deployment to dev, then a good one (restored)."""
    fleet = write_fleet(tmp_path, envs=("dev", "sit"))
    world = World()
    with workspace(fleet, world) as ws:
        deployed(ws, "dev", "alpha")
        deployed(ws, "sit", "alpha")
        world.fail_on.add(("create", "dev/bravo/site"))
        with pytest.raises(DeploymentFailed):
            deployed(ws, "dev", "bravo")
        world.fail_on.clear()
        deployed(ws, "dev", "bravo")
    return fleet


def test_metrics_per_env_and_tenant_with_lead_time(tmp_path: Path) -> None:
    fleet = _history(tmp_path)
    with workspace(fleet) as ws:
        report = metrics.report(ws, days=7)
        only_sit = metrics.report(ws, days=7, env="sit")
    assert (report.overall.deployments, report.overall.succeeded, report.overall.failed) == (
        4,
        3,
        1,
    )
    assert report.overall.rollbacks == 1 and report.overall.mean_time_to_restore is not None
    assert report.by_env["dev"].deployments == 3 and report.by_env["sit"].success_rate == 1.0
    assert report.by_tenant["bravo"].rollbacks == 1 and report.by_tenant["alpha"].failed == 0
    [(release, lead)] = report.lead_times.items()
    assert release.startswith("r-") and 0 <= lead < 60
    assert list(only_sit.by_env) == ["sit"] and only_sit.overall.deployments == 1
    assert only_sit.lead_times == report.lead_times  # the chain's, whatever the scope


def test_metrics_refuses_a_bad_window_and_env(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        with pytest.raises(UsageError, match="--days 0"):
            metrics.report(ws, days=0)
        with pytest.raises(NotFoundError):
            metrics.report(ws, env="nope")


def test_metrics_cli_json_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fleet = _history(tmp_path)
    capsys.readouterr()
    assert main(["metrics", "--days", "7", "--fleet", str(fleet), "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["deployments"] == 4 and data["by_env"]["dev"]["failed"] == 1
    assert data["median_lead_time_seconds"] is not None
    assert main(["metrics", "--fleet", str(fleet), "--env", "dev"]) == 0
    out = capsys.readouterr().out
    assert "env dev" in out and "tenant bravo" in out and "lead time" in out
