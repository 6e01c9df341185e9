"""Basic auth on CloudFront as real AWS behaves, where moto does not.

moto makes a Lambda function ``Active`` at once, never reports an update in progress and
drops Lambda@Edge associations from the distribution. ``LambdaLike`` gives the moto
server Lambda's real state machine (Pending → Active, update InProgress → Successful)
and CloudFront's refusal of a version that is not Active yet, with AWS's own error codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.backends.aws.conftest import KeepAssociations
from tests.backends.aws.infra import ENV, BaseEnv, injected_error, tenant, write_fleet
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws import lambda_
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.errors import ValidationError
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws

FUNCTION = f"{ENV}-wpfleet-basic-auth"


class LambdaLike:
    """Lambda's function states on top of moto (each state lasts ``reads`` reads).

    AWS documents (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html):
    after CreateFunction the function is ``Pending``; "any invocations or other API actions
    that operate on the function will fail" until it is ``Active``; after
    UpdateFunctionCode ``LastUpdateStatus`` is ``InProgress`` and PublishVersion answers
    ResourceConflictException "The operation cannot be performed at this time. An update
    is in progress for resource: ...". CloudFront refuses to associate a version that is
    not Active with InvalidLambdaFunctionAssociation
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-how-it-works-tutorial.html,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html).
    """

    def __init__(self, reads: int = 2) -> None:
        self.reads = reads
        self.function_pending = 0
        self.updating = 0
        self.version_pending: dict[str, int] = {}
        self.associating: list[str] = []
        self.refused: list[str] = []

    def hook(self, session: boto3.Session) -> None:
        ev = session.events
        uid = f"lambda-like-{id(self)}"
        ev.register("after-call.lambda.CreateFunction", self._created, unique_id=f"{uid}-c")
        ev.register("after-call.lambda.UpdateFunctionCode", self._updated, unique_id=f"{uid}-u")
        ev.register("after-call.lambda.PublishVersion", self._published, unique_id=f"{uid}-p")
        ev.register("after-call.lambda.GetFunction", self._get, unique_id=f"{uid}-g")
        ev.register(
            "after-call.lambda.GetFunctionConfiguration", self._get_config, unique_id=f"{uid}-gc"
        )
        ev.register("before-call.lambda.PublishVersion", self._publish, unique_id=f"{uid}-bp")
        ev.register(
            "before-parameter-build.cloudfront.UpdateDistribution",
            self._associations,
            unique_id=f"{uid}-a",
        )
        ev.register(
            "before-call.cloudfront.UpdateDistribution", self._associate, unique_id=f"{uid}-ba"
        )

    def _created(self, parsed: dict[str, Any], **_: Any) -> None:
        self.function_pending = self.reads
        parsed["State"] = "Pending"
        self.version_pending[str(parsed.get("Version"))] = self.reads

    def _updated(self, parsed: dict[str, Any], **_: Any) -> None:
        self.updating = self.reads
        parsed["LastUpdateStatus"] = "InProgress"

    def _published(self, parsed: dict[str, Any], **_: Any) -> None:
        self.version_pending[str(parsed.get("Version"))] = self.reads
        parsed["State"] = "Pending"

    def _get(self, parsed: dict[str, Any], **_: Any) -> None:
        config = parsed.get("Configuration", {})
        if self.function_pending:
            self.function_pending -= 1
            config["State"] = "Pending"
        if self.updating:
            self.updating -= 1
            config["LastUpdateStatus"] = "InProgress"

    def _get_config(self, parsed: dict[str, Any], **_: Any) -> None:
        version = str(parsed.get("Version"))
        if self.version_pending.get(version):
            self.version_pending[version] -= 1
            parsed["State"] = "Pending"

    def _publish(self, **_: Any) -> Any:
        if self.updating:
            return injected_error(
                "ResourceConflictException",
                409,
                "The operation cannot be performed at this time. An update is in progress "
                f"for resource: arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
            )
        return None

    def _associations(self, params: dict[str, Any], **_: Any) -> None:
        config = params["DistributionConfig"]
        more = config.get("CacheBehaviors", {}).get("Items") or []
        behaviors = [config["DefaultCacheBehavior"], *more]
        self.associating = [
            a["LambdaFunctionARN"]
            for b in behaviors
            for a in b.get("LambdaFunctionAssociations", {}).get("Items", []) or []
        ]

    def _associate(self, **_: Any) -> Any:
        for arn in self.associating:
            if self.version_pending.get(arn.rsplit(":", 1)[-1]):
                self.refused.append(arn)
                return injected_error(
                    "InvalidLambdaFunctionAssociation",
                    400,
                    f"The function must be in an Active state. The current state for "
                    f"function {arn} is Pending",
                )
        return None


@pytest.fixture
def lambda_like(monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaLike]:
    monkeypatch.setattr(lambda_, "WAIT_DELAY", 0, raising=False)
    like = LambdaLike()
    aws_session.add_session_hook(like.hook)
    yield like
    aws_session.remove_session_hook(like.hook)


def basic_auth_backend(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> AwsBackend:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], env_extra={"basic_auth": True}
    )
    return AwsBackend(loaded, loaded.fleet.env(ENV), store)


def test_bootstrap_waits_for_active_before_publishing_and_associating(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    lambda_like: LambdaLike,
    keep_edge_associations: KeepAssociations,
) -> None:
    """Create (function and version Pending), then a code change (update InProgress):
    neither the publish nor the association is refused, because both wait."""
    backend = basic_auth_backend(tmp_path, base, store)
    assert backend.platform_up().up
    assert lambda_like.refused == []
    # a new password changes the function's code: update, then publish a new version
    sm = base.client("secretsmanager")
    secret = f"{ENV}-basic-auth-password"
    value = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    sm.put_secret_value(SecretId=secret, SecretString=json.dumps({**value, "password": "N" * 32}))
    backend = basic_auth_backend(tmp_path, base, store)
    assert backend.platform_up().up
    assert lambda_like.refused == []
    versions = base.client("lambda", "us-east-1").list_versions_by_function(FunctionName=FUNCTION)
    assert len([v for v in versions["Versions"] if v["Version"] != "$LATEST"]) == 2


def add_behavior(base: BaseEnv, path: str) -> None:
    """Someone adds a cache behavior (e.g. for static assets) in the console."""
    cf = base.client("cloudfront", "us-east-1")
    found = cf.get_distribution_config(Id=base.distribution_id)
    config = found["DistributionConfig"]
    behavior = {**config["DefaultCacheBehavior"], "PathPattern": path}
    behavior.pop("LambdaFunctionAssociations", None)
    items = [*(config.get("CacheBehaviors", {}).get("Items") or []), behavior]
    config["CacheBehaviors"] = {"Quantity": len(items), "Items": items}
    cf.update_distribution(
        Id=base.distribution_id, DistributionConfig=config, IfMatch=found["ETag"]
    )


def test_every_cache_behavior_asks_for_the_password(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    lambda_like: LambdaLike,
    keep_edge_associations: KeepAssociations,
) -> None:
    """A ``/wp-content/*`` behavior without the viewer-request function would serve the
    site to anyone: platform up puts it on every behavior, preflight refuses one
    without it and names it."""
    add_behavior(base, "/wp-content/*")
    backend = basic_auth_backend(tmp_path, base, store)
    status = backend.platform_up()
    assert set(keep_edge_associations.by_path) == {"*", "/wp-content/*"}
    for assoc in keep_edge_associations.by_path.values():
        (item,) = assoc["Items"]
        assert item["EventType"] == "viewer-request"
        assert item["LambdaFunctionARN"].endswith(f":function:{FUNCTION}:1")
    by_name = {c.name: c for c in status.components}
    assert by_name["basic-auth-behaviors"].running, by_name["basic-auth-behaviors"].detail
    assert status.up, [c for c in status.components if not c.running]
    backend.preflight()
    add_behavior(base, "/static/*")
    later = basic_auth_backend(tmp_path, base, store)
    store.delete_document(f"aws/preflight/{ENV}")  # a passed preflight is cached
    with pytest.raises(ValidationError, match=r"without the basic-auth.*/static/\*.*platform up"):
        later.preflight()
