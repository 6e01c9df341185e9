"""Secrets Manager as AWS documents it, where moto is more forgiving.

- ListSecrets is eventually consistent ("might not reflect changes from the last few
  minutes", https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html):
  a single secret is read with DescribeSecret.
- A name whose secret is scheduled for deletion cannot be created again: CreateSecret
  answers InvalidRequestException "You can't create this secret because a secret with
  this name is already scheduled for deletion." — for the recovery window, and briefly
  even after ForceDeleteWithoutRecovery
  (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html,
  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
moto answers neither way, so the tests inject those answers with a ``before-call`` handler.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.backends.aws.infra import (
    ENV,
    BaseEnv,
    injected_error,
    make_ctx,
    recording,
    tenant,
    write_fleet,
)
from wpfleet.backends.aws.backend import AwsBackend
from wpfleet.engine.resource import Resource
from wpfleet.state.sqlite import SqliteStore

pytestmark = pytest.mark.aws

SECRET = f"{ENV}-alpha-db-credentials"
SCHEDULED = (
    "You can't create this secret because a secret with this name is already scheduled "
    "for deletion."
)


def db_secret(tmp_path: Path, base: BaseEnv, store: SqliteStore) -> Resource:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")])
    backend = AwsBackend(loaded, loaded.fleet.env(ENV), store)
    backend.aws.sleep = lambda _s: None
    ctx = make_ctx(loaded, "alpha", store)
    return next(r for r in backend.resources(ctx) if r.id == "database/secret")


def stale_listing(name: str, _params: dict[str, Any]) -> Any:
    """ListSecrets that does not show yet what was created a minute ago."""
    if name == "secretsmanager.ListSecrets":
        http = SimpleNamespace(status_code=200, headers={}, text="", content=b"")
        return http, {"SecretList": [], "ResponseMetadata": {"HTTPStatusCode": 200}}
    return None


def test_a_secret_missing_from_a_stale_listing_is_still_found(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    db_secret(tmp_path, base, store).create()
    with recording() as rec:
        rec.fail = stale_listing
        fact = db_secret(tmp_path, base, store).read()
    assert fact is not None and fact.state["name"] == SECRET
    assert "secretsmanager.DescribeSecret" in rec.calls


def scheduled_for(n: int) -> Any:
    """The next ``n`` CreateSecret calls are refused as AWS refuses a name scheduled for
    deletion."""
    left = {"n": n}

    def fail(name: str, _params: dict[str, Any]) -> Any:
        if name == "secretsmanager.CreateSecret" and left["n"] > 0:
            left["n"] -= 1
            return injected_error("InvalidRequestException", 400, SCHEDULED)
        return None

    return fail


def test_destroy_then_deploy_waits_for_a_forced_deletion_to_complete(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    """Destroy force-deletes the secret; the deploy right after meets the name still
    being freed: RestoreSecret cannot bring back a forced deletion, so it retries."""
    secret = db_secret(tmp_path, base, store)
    secret.create()
    secret.delete()
    with recording() as rec:
        rec.fail = scheduled_for(2)
        again = db_secret(tmp_path, base, store)
        again.create()
    assert rec.calls.count("secretsmanager.CreateSecret") == 3
    assert rec.calls.count("secretsmanager.RestoreSecret") == 2
    assert again.read() is not None


def test_a_secret_in_its_recovery_window_is_restored_with_a_new_value(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    sm = base.client("secretsmanager")
    secret = db_secret(tmp_path, base, store)
    secret.create()
    arn = sm.describe_secret(SecretId=SECRET)["ARN"]
    old = json.loads(sm.get_secret_value(SecretId=SECRET)["SecretString"])["password"]
    sm.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)
    # scheduled for deletion: absent, so planned as CREATE
    assert db_secret(tmp_path, base, store).read() is None
    with recording() as rec:  # (hooks reach sessions made after this line)
        rec.fail = scheduled_for(1)
        db_secret(tmp_path, base, store).create()
    assert rec.calls.count("secretsmanager.RestoreSecret") == 1
    meta = sm.describe_secret(SecretId=SECRET)
    assert meta["ARN"] == arn and not meta.get("DeletedDate")
    assert {t["Key"] for t in meta["Tags"]} >= {"wpfleet:tenant", "wpfleet:env"}
    new = json.loads(sm.get_secret_value(SecretId=SECRET)["SecretString"])["password"]
    assert new != old and len(new) == 32
    assert db_secret(tmp_path, base, store).read() is not None
