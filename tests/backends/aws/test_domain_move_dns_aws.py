"""A domain move's Route 53 records on the AWS backend, against moto (Route 53 in server
mode) + the MariaDB standing in for RDS, content played by ``TaskPlayer``: the move
writes the new host's alias record and deletes the old one, but only while the old one
is exactly as wpfleet wrote it; every undo puts the old record back and removes the new
one; a destroy after the move removes the current record and nothing else."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.backends.aws.content_player import TaskPlayer
from tests.backends.aws.infra import ENV, BaseEnv, recording
from tests.backends.aws.test_domain_move_aws import rules
from tests.backends.aws.test_domain_move_content_aws import (
    NEW_DOMAIN,
    NEW_HOST,
    OLD_HOST,
    deploy,
    fleet,
)
from wpfleet.backends.aws.resources.dns_record import MOVED_SEAM
from wpfleet.config.load import LoadedFleet
from wpfleet.engine.resource import Step
from wpfleet.errors import DeploymentFailed, ValidationError
from wpfleet.pipeline import deploy as pipeline
from wpfleet.services.clocked import pipeline as workspace_pipeline
from wpfleet.services.workspace import Workspace
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

OTHER = "elsewhere.example.test"  # a target nobody at wpfleet wrote


def record_sets(base: BaseEnv) -> dict[str, dict[str, Any]]:
    """name → record set, of every record that is not the zone's own (NS, SOA)."""
    found = base.client("route53").list_resource_record_sets(HostedZoneId=base.zone_id)
    return {r["Name"]: r for r in found["ResourceRecordSets"] if r["Type"] not in ("NS", "SOA")}


def alias_to(record: dict[str, Any]) -> str:
    return str(record["AliasTarget"]["DNSName"]).rstrip(".")


def upsert(base: BaseEnv, record: dict[str, Any]) -> None:
    base.client("route53").change_resource_record_sets(
        HostedZoneId=base.zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
    )


def plan(loaded: LoadedFleet) -> dict[str, Step]:
    """The deploy's plan, as `wpfleet plan` makes it (with restore points: a move)."""
    with Workspace(loaded, actor="test") as ws:
        return {s.id: s for s in workspace_pipeline(ws, ws.env(ENV)).plan("alpha")}


def deployed(tmp_path: Path, base: BaseEnv, site: str) -> None:
    outcome, _ = deploy(fleet(tmp_path, base, site), base)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert list(record_sets(base)) == [f"{OLD_HOST}."]


def test_a_finished_move_leaves_only_the_new_record_and_destroy_removes_it(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    deployed(tmp_path, base, wordpress_site)
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    step = plan(moved)["dns/record"]
    assert (step.op.value, step.changes, step.before) == (
        "update", ["name"], {"name": OLD_HOST, "type": "A", "target": base.cloudfront_domain}
    )  # fmt: skip
    outcome, calls = deploy(moved, base)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    found = record_sets(base)
    assert list(found) == [f"{NEW_HOST}."]
    assert alias_to(found[f"{NEW_HOST}."]) == base.cloudfront_domain
    assert calls.count("route53.ChangeResourceRecordSets") == 2  # UPSERT new, DELETE old
    assert [s.id for s in plan(moved).values() if s.op.value != "noop"] == []
    gone = pipeline.destroy(moved, ENV, "alpha", actor="test", store=store)
    assert gone.deployment is not None and gone.deployment.status == "succeeded"
    assert record_sets(base) == {}


@pytest.mark.parametrize("fault", [MOVED_SEAM, "dns/record@after", "post/config-document@after"])
def test_an_undone_move_puts_the_old_record_back_and_removes_the_new(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    wordpress_site: str,
    player: TaskPlayer,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    """Failed in the record's move (both records written), right after it, and
    after the deploy's last step (the configuration document, POST phase)."""
    deployed(tmp_path, base, wordpress_site)
    before = record_sets(base)
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    monkeypatch.setenv("WPFLEET_INJECT_FAULT", fault)
    with pytest.raises(DeploymentFailed) as err:
        deploy(moved, base)
    monkeypatch.delenv("WPFLEET_INJECT_FAULT")
    assert err.value.rolled_back, err.value
    [last] = store.list_deployments(tenant="alpha", env=ENV, limit=1)
    assert "dns/record" in last.summary["rollback"]["undone"]  # the record had moved
    assert record_sets(base) == before
    assert rules(base) == [([OLD_HOST], "10")]


def test_a_killed_moves_leftover_old_record_is_removed_by_the_next_deploy(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    """Both records exist (as a run killed between writing the new one and deleting the
    old one leaves them): the plan names the old one, the deploy deletes it."""
    deployed(tmp_path, base, wordpress_site)
    upsert(base, {**record_sets(base)[f"{OLD_HOST}."], "Name": f"{NEW_HOST}."})
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    step = plan(moved)["dns/record"]
    assert (step.op.value, step.changes) == ("update", ["old_record"])
    assert step.before is not None and step.before["old_record"] == OLD_HOST
    outcome, _ = deploy(moved, base)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    assert list(record_sets(base)) == [f"{NEW_HOST}."]


@pytest.mark.parametrize(
    "change",
    [
        {"AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": f"{OTHER}.",
                         "EvaluateTargetHealth": False}},
        {"TTL": 300, "ResourceRecords": [{"Value": "192.0.2.10"}], "AliasTarget": None},
    ],
    ids=["alias-elsewhere", "plain-a-record"],
)  # fmt: skip
def test_an_old_record_someone_changed_is_left_alone_and_reported(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    wordpress_site: str,
    player: TaskPlayer,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
) -> None:
    deployed(tmp_path, base, wordpress_site)
    theirs = {**record_sets(base)[f"{OLD_HOST}."], **change}
    theirs = {k: v for k, v in theirs.items() if v is not None}
    upsert(base, theirs)
    kept = record_sets(base)[f"{OLD_HOST}."]
    moved = fleet(tmp_path, base, wordpress_site, domain=NEW_DOMAIN)
    with caplog.at_level(logging.WARNING, logger="wpfleet.backends.aws.resources.dns_record"):
        outcome, _ = deploy(moved, base)
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    found = record_sets(base)
    assert sorted(found) == sorted([f"{NEW_HOST}.", f"{OLD_HOST}."])
    assert found[f"{OLD_HOST}."] == kept
    [warning] = [r.getMessage() for r in caplog.records if OLD_HOST in r.getMessage()]
    assert f"the Route 53 record {OLD_HOST} is not as wpfleet wrote it" in warning
    assert "leaves it alone" in warning and base.zone_id in warning
    gone = pipeline.destroy(moved, ENV, "alpha", actor="test", store=store)
    assert gone.deployment is not None and gone.deployment.status == "succeeded"
    assert record_sets(base) == {f"{OLD_HOST}.": kept}


def test_a_host_the_distribution_does_not_list_is_refused_while_planning(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    """Route 53 refuses an alias record to a CloudFront distribution for a name it does
    not list as an alternate domain name, and ``*.wpsit.example.test`` covers one label
    only (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias-common.html,
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html).
    moto accepts the record anyway, so wpfleet checks while planning: the move is refused
    with the distribution's names and the fix, and nothing is changed."""
    deployed(tmp_path, base, wordpress_site)
    moved = fleet(tmp_path, base, wordpress_site, domain="{tenant}.far.wpsit.example.test")
    with recording() as rec, pytest.raises(ValidationError) as err:
        plan(moved)
    message = str(err.value)
    assert "alpha.far.wpsit.example.test is not an alternate domain name" in message
    assert base.distribution_id in message and "*.wpsit.example.test" in message
    assert "alternate domain names" in (err.value.hint or "")
    assert rec.mutating == [], rec.mutating
    assert list(record_sets(base)) == [f"{OLD_HOST}."]
