"""EFS as AWS behaves where moto does not.

- CreateAccessPoint answers with LifeCycleState ``creating``; the access point can be
  mounted once it is ``available``
  (https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html,
  https://docs.aws.amazon.com/efs/latest/ug/API_AccessPointDescription.html). moto
  answers ``available`` at once, so ``CreatingFirst`` rewrites its answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.backends.aws.infra import ENV, BaseEnv, make_ctx, tenant, write_fleet
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws import efs_policy
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.cli.main import main
from wpfleet.errors import ValidationError
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


# --- the file-system policy -------------------------------------------------------------
# AWS: "By default, EFS grants full access to all clients that can connect to a mount
# target" when there is no file-system policy; access is allowed when either the
# identity policy or the file-system policy allows it
# (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html,
# https://docs.aws.amazon.com/efs/latest/ug/access-points.html#access-points-iam-policy).
# moto stores the policy and evaluates nothing, so the tests assert what preflight decides.


def no_policy(base: BaseEnv) -> None:
    """moto cannot delete a file-system policy: a fresh file system stands in."""
    efs = base.client("efs")
    base.efs_id = efs.create_file_system(CreationToken="sit-efs-bare")["FileSystemId"]


def test_preflight_refuses_a_file_system_without_a_policy_and_fix_applies_it(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    no_policy(base)
    path = tmp_path / "fleet.yaml"
    loaded = write_fleet(path, base, [tenant("alpha")])
    with pytest.raises(
        ValidationError, match=r"no file-system policy.*platform up --env sit --fix"
    ):
        AwsBackend(loaded, loaded.fleet.env(ENV), store).preflight()
    assert main(["--fleet", str(path), "platform", "up", "--env", ENV, "--fix"]) == 0
    assert "applied wpfleet's file-system policy" in capsys.readouterr().out
    policy = json.loads(
        base.client("efs").describe_file_system_policy(FileSystemId=base.efs_id)["Policy"]
    )
    assert efs_policy.problems(policy) == []
    AwsBackend(loaded, loaded.fleet.env(ENV), SqliteStore(tmp_path / "s2.db")).preflight()
    status = AwsBackend(loaded, loaded.fleet.env(ENV), store).platform_status()
    assert {c.name: c.running for c in status.components}["efs-policy"]


def good(fs_arn: str = "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1") -> dict:
    return efs_policy.required_policy("123456789012", fs_arn)


def test_what_policy_is_acceptable() -> None:
    assert efs_policy.problems(good()) == []
    assert "no file-system policy" in efs_policy.problems(None)[0]
    loose = good()
    loose["Statement"] = loose["Statement"][1:]  # mounts without an access point allowed
    assert efs_policy.problems(loose) == [
        "no Deny of ClientMount without an access point (Null elasticfilesystem:AccessPointArn)"
    ]
    plain = good()
    plain["Statement"] = [s for s in plain["Statement"] if "SecureTransport" not in str(s)]
    assert efs_policy.problems(plain) == ["no Deny when aws:SecureTransport is false"]
    anonymous = good()
    anonymous["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}
    )
    assert "without IAM authorization" in efs_policy.problems(anonymous)[0]


def test_fix_refuses_to_remove_a_wildcard_grant(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}  # fmt: skip
    base.client("efs").put_file_system_policy(FileSystemId=base.efs_id, Policy=json.dumps(policy))
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    with pytest.raises(ValidationError, match="without IAM authorization"):
        backend.preflight()
    with pytest.raises(ValidationError, match=r"allows any principal \(\*\)"):
        backend.platform_fix()
