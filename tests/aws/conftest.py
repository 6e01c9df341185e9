"""Fixtures for the AWS backend tests: moto in server mode (a subprocess, so that
``MOTO_ECS_SERVICE_RUNNING=1`` makes services report their tasks running) plus a real
MariaDB standing in for RDS. Each test gets a freshly reset moto and a clean database
server, with the base environment recreated."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.aws.infra import BaseEnv, MariaDB, create_base_env, make_mariadb_root, start_mariadb
from tests.helpers import requires
from tests.helpers.moto_server import fake_aws_credentials, reset_moto, start_moto_server
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    fake_aws_credentials()
    url, stop = start_moto_server(in_subprocess=True, env={"MOTO_ECS_SERVICE_RUNNING": "1"})
    yield url
    stop()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    requires.require(
        {"mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server"},
        "the MariaDB standing in for RDS",
    )
    root = make_mariadb_root()
    db = start_mariadb(root)
    yield db
    db.proc.terminate()
    db.proc.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def base(moto_url: str, mariadb: MariaDB) -> BaseEnv:
    reset_moto(moto_url)
    mariadb.clean()
    return create_base_env(moto_url, mariadb)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def wordpress_site(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.aws.infra import ENV
    from tests.aws.wordpress_site import start_site

    address, stop = start_site(tmp_path_factory.mktemp("wp"), moto_url, ENV)
    yield address
    stop()
