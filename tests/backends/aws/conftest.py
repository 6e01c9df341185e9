"""Fixtures for the AWS backend tests: moto in server mode (a subprocess, so that
``MOTO_ECS_SERVICE_RUNNING=1`` makes services report their tasks running) plus a real
MariaDB standing in for RDS. Each test gets a freshly reset moto and a clean database
server, with the base environment recreated."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.backends.aws.content_player import CONTENT_BUCKET, TaskPlayer
from tests.backends.aws.infra import (
    BaseEnv,
    MariaDB,
    create_base_env,
    make_mariadb_root,
    start_mariadb,
)
from tests.helpers import requires
from tests.helpers.moto_server import fake_aws_credentials, reset_moto, start_moto_server
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws import content_run
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
def player(base: BaseEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TaskPlayer]:
    """The content task, played (content_player.py), and the content bucket."""
    monkeypatch.setattr(content_run, "WAIT_DELAY", 0)
    base.client("s3").create_bucket(
        Bucket=CONTENT_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    p = TaskPlayer(base, tmp_path / "efs")
    p.efs.mkdir()
    aws_session.add_session_hook(p.hook)
    yield p
    aws_session.remove_session_hook(p.hook)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def wordpress_site(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.backends.aws.infra import ENV
    from tests.backends.aws.wordpress_site import start_site

    address, stop = start_site(tmp_path_factory.mktemp("wp"), moto_url, ENV)
    yield address
    stop()


class KeepAssociations:
    """CloudFront keeps the Lambda@Edge associations that UpdateDistribution set; moto
    drops them. This remembers them per path pattern (``before-parameter-build``) and
    puts them back into GetDistributionConfig's answer (``after-call``), as AWS would
    return them (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_GetDistributionConfig.html)."""

    def __init__(self) -> None:
        self.by_path: dict[str, dict[str, Any]] = {}

    def hook(self, session: boto3.Session) -> None:
        uid = f"keep-assoc-{id(self)}"
        session.events.register(
            "before-parameter-build.cloudfront.UpdateDistribution", self._set, unique_id=uid
        )
        session.events.register(
            "after-call.cloudfront.GetDistributionConfig", self._get, unique_id=f"{uid}-g"
        )

    @staticmethod
    def _behaviors(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
        more = (config.get("CacheBehaviors") or {}).get("Items") or []
        return {"*": config["DefaultCacheBehavior"], **{b["PathPattern"]: b for b in more}}

    def _set(self, params: dict[str, Any], **_: Any) -> None:
        for path, b in self._behaviors(params["DistributionConfig"]).items():
            self.by_path[path] = json.loads(json.dumps(b.get("LambdaFunctionAssociations", {})))

    def _get(self, parsed: dict[str, Any], **_: Any) -> None:
        for path, b in self._behaviors(parsed.get("DistributionConfig", {})).items():
            if path in self.by_path:
                b["LambdaFunctionAssociations"] = self.by_path[path]


@pytest.fixture
def keep_edge_associations() -> Iterator[KeepAssociations]:
    keep = KeepAssociations()
    aws_session.add_session_hook(keep.hook)
    yield keep
    aws_session.remove_session_hook(keep.hook)
