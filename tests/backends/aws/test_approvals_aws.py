"""The seeds' production gate on the AWS backend (moto + MariaDB): the bbws example's
prod policy (2 of [tebogotseka, lead-devops-engineer], a Johannesburg window, 72 h
expiry) on an environment with prod semantics (verification after DNS). Nothing reaches
ECS until two distinct allowed approvers have approved; then the last approval runs it
and the release is recorded as passed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import register_targets_like_ecs
from wpfleet.approvals.flow import AwaitingApproval
from wpfleet.approvals.policy import ApprovalRefused
from wpfleet.releases.book import ReleaseBook
from wpfleet.services import approvals
from wpfleet.services.clocked import pipeline
from wpfleet.services.workspace import Workspace
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
WED_10 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp()


def bbws_prod_policy() -> dict[str, object]:
    doc = yaml.safe_load((REPO / "examples/bbws/fleet.yaml").read_text())
    policy = next(e for e in doc["environments"] if e["name"] == "prod")["approvals"]
    assert policy["required"] == 2 and policy["windows"], policy
    return dict(policy)


DIGEST = "sha256:" + "ab" * 32
FAKE_TASK = "arn:aws:ecs:eu-west-1:123456789012:task/sit-cluster/0123456789abcdef"


def with_task_digest(base: BaseEnv) -> Any:
    """moto starts no tasks for a service and reports no ``imageDigest``. AWS's
    DescribeTasks reports, per container, the "container image manifest digest"
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html): stub
    ListTasks/DescribeTasks for the tenant's service with that shape."""
    also = register_targets_like_ecs(base)

    def on_call(name: str, params: dict[str, Any]) -> Any:
        also(name, params)
        if not name.startswith("ecs."):
            return None
        body = json.loads(params.get("body") or b"{}")
        ok = SimpleNamespace(status_code=200, headers={}, text="", content=b"")
        meta = {"ResponseMetadata": {"HTTPStatusCode": 200}}
        if name == "ecs.ListTasks" and body.get("serviceName") == f"{ENV}-alpha-service":
            return ok, {"taskArns": [FAKE_TASK], **meta}
        if name == "ecs.DescribeTasks" and body.get("tasks") == [FAKE_TASK]:
            container = {"name": "wordpress", "image": "wordpress:6.4", "imageDigest": DIGEST}
            return ok, {"tasks": [{"taskArn": FAKE_TASK, "containers": [container]}], **meta}
        return None

    return on_call


def services_of(base: BaseEnv) -> list[str]:
    arns = base.client("ecs").list_services(cluster=base.cluster)["serviceArns"]
    return [a.rsplit("/", 1)[-1] for a in arns]


def test_prod_on_aws_deploys_only_after_two_distinct_approvers(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str
) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=wordpress_site,
        env_extra={"prod": True, "approvals": bbws_prod_policy()},
    )  # fmt: skip
    now = [WED_10]

    def clock() -> float:
        return now[0]

    with Workspace(loaded, actor="dev-person") as ws:
        pipe = pipeline(ws, ws.env(ENV), clock=clock, verify_deadline=20.0)
        with pytest.raises(AwaitingApproval) as asked:
            pipe.deploy("alpha")
    rid = asked.value.request_id
    assert services_of(base) == []  # nothing was created
    with Workspace(loaded, actor="dev-person") as ws, pytest.raises(ApprovalRefused):
        approvals.vote(ws, rid, "approve", clock=clock)
    now[0] += 600  # past the seeds' 5-minute wait timer, inside the window
    with Workspace(loaded, actor="tebogotseka") as ws:
        first = approvals.vote(ws, rid, "approve", clock=clock)
    assert first.outcome is None and first.row.evaluation.missing == 1
    assert services_of(base) == []
    with recording() as rec, Workspace(loaded, actor="lead-devops-engineer") as ws:
        rec.fail = with_task_digest(base)
        second = approvals.vote(ws, rid, "approve", clock=clock, verify_deadline=20.0)
    assert second.outcome is not None and second.outcome.deployment is not None
    assert second.outcome.deployment.status == "succeeded"
    assert second.outcome.report is not None and second.outcome.report.ok
    assert services_of(base) == [f"{ENV}-alpha-service"]
    current = ReleaseBook(store).current("alpha", ENV)
    assert current is not None and current["id"] == second.outcome.deployment.release["id"]
    runs = ReleaseBook(store).runs("alpha", ENV)
    assert [(r["passed"], r["actor"]) for r in runs] == [(True, "lead-devops-engineer")]
    release = ReleaseBook(store).get("alpha", ENV, current["id"])
    assert release is not None and release["image"] == "wordpress:6.4"
    assert release["image_digest"] == DIGEST and runs[0]["image_digest"] == DIGEST
