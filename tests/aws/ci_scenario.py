"""What a CI runner does with AWS, end to end: deploy -> verify -> destroy of one tenant,
with state on DynamoDB + S3 (as in CI), against moto + MariaDB, a local WordPress
answering the HTTP checks. Used to record the AWS operations wpfleet calls (the source
of ``wpfleet ci policy``) and to prove that policy is enough."""

from __future__ import annotations

from pathlib import Path

from tests.aws.infra import ENV, REGION, BaseEnv, recording, tenant, write_fleet
from tests.aws.test_deploy import register_targets_like_ecs
from wpfleet.config.load import LoadedFleet
from wpfleet.pipeline import deploy as pipeline
from wpfleet.state import dynamodb
from wpfleet.state.dynamodb import DynamoStore

TENANT = "alpha"
STATE = "sit-wpfleet-state"  # table and bucket of the CI runners' shared state
VERIFY_DEADLINE = 20.0


def ci_fleet(tmp_path: Path, base: BaseEnv, site: str) -> LoadedFleet:
    return write_fleet(
        tmp_path / "fleet.yaml",
        base,
        [tenant(TENANT)],
        http_check_address=site,
        ci_role_arn=f"arn:aws:iam::123456789012:role/{ENV}-wpfleet-ci",
        env_extra={"state": {"backend": "dynamodb", "table": STATE, "bucket": STATE,
                             "region": REGION, "endpoint_url": base.url}},
    )  # fmt: skip


def bootstrap_state(base: BaseEnv) -> DynamoStore:
    """The state table and bucket exist before CI runs (``platform bootstrap``, an
    administrator's job, not the CI role's)."""
    dynamodb._CLIENTS.clear()  # clients of an earlier test's server or credentials
    store = DynamoStore(STATE, STATE, REGION, base.url)
    store.bootstrap()
    return store


def full_run(loaded: LoadedFleet, base: BaseEnv, ecs_base: BaseEnv | None = None) -> list[str]:
    """deploy -> verify -> destroy; returns every AWS operation called, in order.
    ``ecs_base`` makes the targets registration (what ECS itself does) with other
    credentials than the run's."""
    dynamodb._CLIENTS.clear()
    store = DynamoStore(STATE, STATE, REGION, base.url)
    with recording() as rec:
        rec.fail = register_targets_like_ecs(ecs_base or base)
        outcome = pipeline.deploy(
            loaded, ENV, TENANT, actor="ci", store=store, verify_deadline=VERIFY_DEADLINE
        )
        assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
        p = pipeline.Pipeline(loaded, ENV, store=store, verify_deadline=VERIFY_DEADLINE)
        try:
            report = p.verify(TENANT)
        finally:
            p.close()
        assert report.ok, report
        gone = pipeline.destroy(loaded, ENV, TENANT, actor="ci", store=store)
        assert gone.deployment is not None and gone.deployment.status == "succeeded"
    return list(rec.calls)


def unique(calls: list[str]) -> list[str]:
    return sorted(set(calls))
