"""Proof of ``wpfleet ci policy``: a deploy -> verify -> content (a restore point and its
restore, through the content task and the content bucket) -> destroy as an IAM user holding
ONLY that policy passes against moto with IAM authorization enforced, and taking any
one of a sample of its actions away makes the run fail.

How moto enforces here (moto 5.2, its documented ``INITIAL_NO_AUTH_ACTION_COUNT``
setting, switched to 0 once the base environment and the users exist):
- it checks the ACTION of every request; it checks the RESOURCE only for S3 (the
  bucket/object ARN) and evaluates no condition keys. So the policy's name-pattern
  scoping is not proven by this test for other services: the policy given to moto keeps
  the S3 resources and puts ``*`` elsewhere (``moto_form``), and the name patterns are
  checked against the names ``naming`` gives in test_ci_policy_document.
- signatures are not checked: moto's recomputed SigV4 differs from botocore's for some
  REST services (EFS: SignatureDoesNotMatch on a correct request); the identity still
  comes from the access key id, and every action is still authorized.
- requests signed with the harness key ``testing`` are exempt: they are the stand-ins
  for what is not the CI role (ECS registering targets, the tenant's task reading its
  own secret through its execution role). wpfleet's own calls are signed with the CI
  user's key (the removal tests show they are enforced).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMRequestBase

from tests.backends.aws.ci_scenario import bootstrap_state, ci_fleet, full_run
from tests.backends.aws.infra import ENV, REGION, BaseEnv, MariaDB, create_base_env
from tests.backends.aws.wordpress_site import start_site
from tests.helpers.moto_server import fake_aws_credentials, start_moto_server
from wpfleet.ci.policy import build_policy
from wpfleet.config.load import LoadedFleet
from wpfleet.errors import WpfleetError

pytestmark = [pytest.mark.aws, pytest.mark.slow]

#: one action per phase the run reaches: state, database, infra, dns, post, content
SAMPLE = (
    "dynamodb:PutItem",
    "secretsmanager:CreateSecret",
    "elasticloadbalancing:CreateTargetGroup",
    "ecs:CreateService",
    "ecs:RunTask",
    "s3:ListBucket",
)
#: AWS checks these but moto does not (iam:PassRole is not an API call of its own), or
#: the run never calls them (AbortMultipartUpload: only when an upload fails)
NOT_EVALUATED_BY_MOTO = {"iam:PassRole", "s3:AbortMultipartUpload"}
#: needed, but taking them away does not fail this run: reading the running task's image
#: digest (ListTasks, DescribeTasks) is best effort (the release is then recorded without
#: it), and the content task's DescribeTasks is answered by the task player before it
#: reaches moto (moto runs no container)
NOT_FAILING_THE_RUN = {"ecs:ListTasks", "ecs:DescribeTasks"}


def _actions_to_remove() -> tuple[str, ...]:
    """The sample; every action with WPFLEET_POLICY_ALL=1 (about 15 s each)."""
    if os.environ.get("WPFLEET_POLICY_ALL") != "1":
        return SAMPLE
    from wpfleet.ci.policy import policy_actions

    skip = NOT_EVALUATED_BY_MOTO | NOT_FAILING_THE_RUN
    return tuple(a for a in policy_actions(content=True) if a not in skip)


class HarnessEnv(BaseEnv):
    """The base environment's clients signed with the harness key (exempt)."""

    def client(self, service: str, region: str = REGION) -> Any:
        harness = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(service, region_name=region, endpoint_url=self.url, **harness)


@dataclass
class Enforced:
    base: HarnessEnv
    loaded: LoadedFleet
    policy: dict[str, Any]

    def run_as(self, policy: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
        key = self._user(policy)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
        return full_run(self.loaded, self.base, ecs_base=self.base)

    def _user(self, policy: dict[str, Any]) -> dict[str, Any]:
        import json

        iam = self.base.client("iam")
        iam.create_user(UserName="wpfleet-ci")
        iam.put_user_policy(UserName="wpfleet-ci", PolicyName="ci",
                            PolicyDocument=json.dumps(moto_form(policy)))  # fmt: skip
        return iam.create_access_key(UserName="wpfleet-ci")["AccessKey"]


def moto_form(policy: dict[str, Any]) -> dict[str, Any]:
    """What moto can evaluate: S3 resources as they are, ``*`` for the others; and
    CloudWatch's actions under the prefix moto checks them by (its endpoint prefix
    ``monitoring:``), besides AWS's own ``cloudwatch:`` (the IAM reference:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html)."""
    out = []
    for st in policy["Statement"]:
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        s3 = [r for r in res if r.startswith("arn:aws:s3:::")]
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        moto_names = [a.replace("cloudwatch:", "monitoring:", 1) for a in actions]
        both = actions + [a for a in moto_names if a not in actions]
        out.append({**st, "Action": both, "Resource": s3 or "*"})
    return {"Version": policy["Version"], "Statement": out}


def without(policy: dict[str, Any], action: str) -> dict[str, Any]:
    statements = [
        {**st, "Action": [a for a in st["Action"] if a != action]} for st in policy["Statement"]
    ]
    return {**policy, "Statement": [st for st in statements if st["Action"]]}


@pytest.fixture
def enforced(
    tmp_path: Path, mariadb: MariaDB, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Enforced]:
    fake_aws_credentials()
    for var in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):  # IAM user keys carry no token
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if "Credential=testing/" in self.headers.get("Authorization", ""):
            return None
        return original(self, iam_request_cls, resource)

    monkeypatch.setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", authorize)
    monkeypatch.setattr(IAMRequestBase, "check_signature", lambda self: None)
    url, stop = start_moto_server()  # in this process: moto's settings are ours to switch
    site, stop_site = None, None
    try:
        # in-process servers share moto's backends: forget earlier tests' resources
        # (directly: the HTTP reset can take over 5 s on a loaded machine)
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        mariadb.clean()
        base = HarnessEnv(**vars(create_base_env(url, mariadb)))
        bootstrap_state(base)
        site, stop_site = start_site(tmp_path / "site", url, ENV)
        loaded = ci_fleet(tmp_path, base, site)
        yield Enforced(base, loaded, build_policy(loaded.fleet, loaded.fleet.env(ENV)))
    finally:
        monkeypatch.undo()  # enforcement off before the server stops
        if stop_site:
            stop_site()
        stop()


def test_the_policy_alone_is_enough(enforced: Enforced, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = enforced.run_as(enforced.policy, monkeypatch)
    assert "ecs.CreateService" in calls and "ecs.DeleteService" in calls
    assert os.environ["AWS_ACCESS_KEY_ID"] != "testing"


@pytest.mark.parametrize("action", _actions_to_remove())
def test_taking_one_action_away_fails(
    enforced: Enforced, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    actions = {a for st in enforced.policy["Statement"] for a in st["Action"]}
    assert action in actions and action not in NOT_EVALUATED_BY_MOTO
    # A denied call fails the run in one of three ways: an error (AccessDenied; moto's
    # REST-XML services answer with an empty error code), a deployment rolled back
    # (e.g. "verification failed ... secret" when the secret check may not read), or the
    # scenario's own assertion (deployment or verify not ok). With WPFLEET_POLICY_ALL=1
    # every one of the 58 actions failed the run (2026-12-02, content included).
    with pytest.raises((WpfleetError, AssertionError)):
        enforced.run_as(without(enforced.policy, action), monkeypatch)
