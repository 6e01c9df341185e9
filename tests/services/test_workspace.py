"""The Workspace: parsed once, environments resolved once, stores and backends opened
once and closed at the end, the actor as given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.factories import FakeBackend, workspace, write_fleet
from wpfleet.errors import NotFoundError
from wpfleet.services import Workspace


def test_env_error_names_the_valid_environments(tmp_path: Path) -> None:
    with workspace(write_fleet(tmp_path)) as ws, pytest.raises(NotFoundError) as err:
        ws.env("prod")
    assert "'prod'" in err.value.message and err.value.hint == "one of: dev, sit"


def test_store_and_backend_are_opened_once_and_closed_at_the_end(tmp_path: Path) -> None:
    ws = workspace(write_fleet(tmp_path))
    with ws:
        dev = ws.env("dev")
        assert ws.store(dev) is ws.store(ws.env("sit"))  # one fleet-level sqlite store
        backend = ws.backend(dev)
        assert ws.backend(dev) is backend and ws.backend(ws.env("sit")) is not backend
        assert isinstance(backend, FakeBackend) and not backend.closed
    assert backend.closed
    assert not ws._stores and not ws._backends


def test_fleet_is_parsed_once(tmp_path: Path) -> None:
    path = write_fleet(tmp_path)
    with workspace(path) as ws:
        loaded = ws.loaded
        path.write_text("not: [valid", encoding="utf-8")  # a later read would fail
        assert ws.loaded is loaded and ws.fleet.fleet == "testfleet"


def test_actor_given_else_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WPFLEET_ACTOR", "ci-bot")
    assert Workspace(write_fleet(tmp_path)).actor == "ci-bot"
    assert Workspace(write_fleet(tmp_path), actor="alice").actor == "alice"


def test_fault_seams_are_read_once_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WPFLEET_INJECT_FAULT", "infra/vhost")
    ws = Workspace(write_fleet(tmp_path))
    assert ws.faults.fail == frozenset({"infra/vhost"})
    monkeypatch.delenv("WPFLEET_INJECT_FAULT")
    assert ws.faults.fail == frozenset({"infra/vhost"})


def test_cli_settings_hand_their_actor_to_the_workspace(tmp_path: Path) -> None:
    from wpfleet.cli.app import LogFormat, OutputFormat, Settings

    cfg = Settings(str(write_fleet(tmp_path)), OutputFormat.table, LogFormat.text, 0, "alice")
    with cfg.workspace() as ws:
        assert ws.actor == "alice" and ws.fleet.fleet == "testfleet"
