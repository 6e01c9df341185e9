"""open_store: which store an environment gets, and where the SQLite file lives."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import AwsSettings, Environment, Fleet, StateConfig
from wpfleet.errors import UsageError
from wpfleet.state import SqliteStore, open_store


def loaded(
    tmp_path: Path, fleet_state: StateConfig | None = None, env_state: dict | None = None
) -> LoadedFleet:
    env = Environment(name="dev", domain="{tenant}.x", state=env_state)
    fleet = Fleet(fleet="f", state=fleet_state or StateConfig(), environments=[env])
    return LoadedFleet(fleet=fleet, path=tmp_path / "fleet.yaml")


def test_default_is_sqlite_next_to_the_fleet_file(tmp_path: Path) -> None:
    lf = loaded(tmp_path)
    store = open_store(lf, lf.fleet.env("dev"))
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / ".wpfleet" / "state.db"
    assert stat.S_IMODE((tmp_path / ".wpfleet").stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.close()


def test_relative_sqlite_path_is_relative_to_the_fleet_file(tmp_path: Path) -> None:
    lf = loaded(tmp_path, StateConfig(path="state/fleet.db"))
    store = open_store(lf)
    assert isinstance(store, SqliteStore) and store.path == tmp_path / "state" / "fleet.db"
    store.close()


def test_environment_state_wins_and_dynamodb_needs_table_and_bucket(tmp_path: Path) -> None:
    lf = loaded(tmp_path, env_state={"backend": "dynamodb", "table": "t"})
    with pytest.raises(UsageError, match=r"environments\[dev\]\.state.*bucket"):
        open_store(lf, lf.fleet.env("dev"))
    store = open_store(lf)  # without the environment: the fleet's (sqlite)
    assert isinstance(store, SqliteStore)
    store.close()


def test_dynamodb_store_takes_region_endpoint_and_profile(tmp_path: Path) -> None:
    from wpfleet.state.dynamodb import DynamoStore

    state = {"backend": "dynamodb", "table": "t", "bucket": "b", "region": "eu-west-1"}
    lf = loaded(tmp_path, env_state=state)
    env = lf.fleet.env("dev").model_copy(
        update={"aws": AwsSettings(region="af-south-1", endpoint_url="http://127.0.0.1:1")}
    )
    store = open_store(lf, env)
    assert isinstance(store, DynamoStore)
    assert (store.table, store.bucket, store.region) == ("t", "b", "eu-west-1")
    assert store.endpoint_url == "http://127.0.0.1:1"  # inherited from the environment
