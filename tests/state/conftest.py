"""Fixtures for the state-store contract: one ``store_spec`` per implementation.

The DynamoDB variant talks to one moto server (server mode, started once per session)
and gets its own table and bucket per test, so tests never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.moto_server import fake_aws_credentials, start_moto_server
from wpfleet.state.base import StateStore

from .stores import StoreSpec

# before any child process (or forkserver) starts: children inherit fake credentials
fake_aws_credentials()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    url, stop = start_moto_server(serial=True)  # atomic transactions, as DynamoDB's
    yield url
    stop()


@pytest.fixture(params=["sqlite", "dynamodb", "memory"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSpec:
    if request.param == "memory":  # the local backend tests' store keeps the same contract
        return StoreSpec("memory", path=str(tmp_path))
    if request.param == "sqlite":
        return StoreSpec("sqlite", path=str(tmp_path / ".wpfleet" / "state.db"))
    url = request.getfixturevalue("moto_url")
    name = f"wpfleet-test-{uuid.uuid4().hex[:12]}"
    spec = StoreSpec("dynamodb", table=name, bucket=name, endpoint_url=url)
    store = spec.open()
    store.bootstrap()  # type: ignore[attr-defined]
    store.close()
    return spec


@pytest.fixture
def store(store_spec: StoreSpec) -> Iterator[StateStore]:
    s = store_spec.open()
    yield s
    s.close()
