"""EFS as AWS behaves where moto does not.

- CreateAccessPoint answers with LifeCycleState ``creating``; the access point can be
  mounted once it is ``available``
  (https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html,
  https://docs.aws.amazon.com/efs/latest/ug/API_AccessPointDescription.html). moto
  answers ``available`` at once, so ``CreatingFirst`` rewrites its answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.aws.infra import ENV, BaseEnv, make_ctx, tenant, write_fleet
from wpfleet.backends.aws import session as aws_session
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws


class CreatingFirst:
    """A new access point reads ``creating`` for ``reads`` describes, then ``available``."""

    def __init__(self, reads: int = 2) -> None:
        self.reads = reads
        self.left: dict[str, int] = {}
        self.seen: list[str] = []

    def hook(self, session: boto3.Session) -> None:
        uid = f"efs-creating-{id(self)}"
        ev = session.events
        ev.register("after-call.efs.CreateAccessPoint", self._created, unique_id=uid)
        ev.register("after-call.efs.DescribeAccessPoints", self._described, unique_id=uid + "d")

    def _created(self, parsed: dict[str, Any], **_: Any) -> None:
        self.left[parsed["AccessPointId"]] = self.reads
        parsed["LifeCycleState"] = "creating"

    def _described(self, parsed: dict[str, Any], **_: Any) -> None:
        for point in parsed.get("AccessPoints", []):
            if self.left.get(point["AccessPointId"]):
                self.left[point["AccessPointId"]] -= 1
                point["LifeCycleState"] = "creating"
            self.seen.append(point["LifeCycleState"])


@pytest.fixture
def creating_first() -> Iterator[CreatingFirst]:
    like = CreatingFirst()
    aws_session.add_session_hook(like.hook)
    yield like
    aws_session.remove_session_hook(like.hook)


def test_access_point_is_used_only_once_available(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, creating_first: CreatingFirst
) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    backend.aws.sleep = lambda _s: None
    res = {r.id: r for r in backend.resources(make_ctx(loaded, "alpha", store))}
    res["infra/access-point"].create()
    assert creating_first.seen == ["creating", "creating", "available"]
    assert all(v == 0 for v in creating_first.left.values())
    fact = res["infra/access-point"].read()
    assert fact is not None and fact.state["path"] == "/alpha"
