"""status, history, credentials, platform and fleet services."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.engine.fakes import World
from tests.services.factories import deployed, workspace, write_fleet
from wpfleet.errors import ConfigError, NotFoundError, UsageError
from wpfleet.services import credentials, fleet, history, platform, status


def test_status_rows_for_every_tenant_and_env(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        outcome = deployed(ws)
        rows = {(r.tenant, r.env): r for r in status.fleet_status(ws).rows}
    assert len(rows) == 4
    alpha = rows[("alpha", "dev")]
    assert alpha.state == "healthy" and alpha.url == "http://alpha.wpdev.localhost/"
    assert outcome.deployment is not None and alpha.deployment == outcome.deployment.id
    assert rows[("bravo", "sit")].state == "not deployed"


def test_history_and_journal(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        deployed(ws, tenant="alpha")
        deployed(ws, tenant="bravo")
        found = history.deployments(ws, limit=1)
        assert [d.tenant for d in found] == ["bravo"]
        entries = history.journal(ws, found[0].id)
        assert {e.status for e in entries} >= {"started", "done"}


def test_credentials_reveal_admin_or_basic_auth(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws:
        admin = credentials.reveal(ws, ws.env("dev"), "alpha")
        assert (admin.what, admin.credentials.password) == ("alpha admin", "secret-of-alpha")
        with pytest.raises(NotFoundError, match="dev has no basic auth"):
            credentials.reveal(ws, ws.env("dev"))


def test_platform_up_status_down_ask_the_backend(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path), World()) as ws:
        assert [s.env for s in platform.up(ws)] == ["dev", "sit"]
        assert all(s.up for s in platform.status(ws, "dev"))
        assert not any(s.up for s in platform.down(ws, "sit"))
        assert platform.status(ws, "sit")[0].up is False


def test_discover_is_a_backend_ability(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws, pytest.raises(UsageError) as err:
        platform.discover(ws, ws.env("dev"))
    assert "not an aws environment" in err.value.message


def test_discover_write_merges_found_settings_and_keeps_a_backup(tmp_path: Path) -> None:
    path = write_fleet(tmp_path)
    platform._write_settings(path, "sit", "local", {"http_port": 1, "isolation": "shared"})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sit = raw["environments"][1]["local"]
    assert sit["http_port"] == 18081 and sit["isolation"] == "shared"  # set values win
    assert (tmp_path / "fleet.yaml.bak").exists()


def test_init_and_validate(tmp_path: Path) -> None:
    path = fleet.init(tmp_path / "f.yaml", "local")
    with pytest.raises(UsageError, match="already exists"):
        fleet.init(path, "local")
    with workspace(path) as ws:
        result = fleet.validate(ws)
    assert result.environments == ["dev", "sit", "prod"] and ("dev", "goldencrust") in {
        row[:2] for row in result.names
    }
    path.write_text("fleet: x\nenvironments: []\nbogus: 1\n", encoding="utf-8")
    with workspace(path) as ws, pytest.raises(ConfigError):
        fleet.validate(ws)
