"""What a CI runner does with AWS, end to end: deploy -> verify -> destroy of one tenant,
with state on DynamoDB + S3 (as in CI), against moto + MariaDB, a local WordPress
answering the HTTP checks. Used to record the AWS operations wpfleet calls (the source
of ``wpfleet ci policy``) and to prove that policy is enough."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.backends.aws.infra import ENV, REGION, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import register_targets_like_ecs
from wpfleet.config.load import LoadedFleet
from wpfleet.pipeline import deploy as pipeline
from wpfleet.state import dynamo_items
from wpfleet.state.dynamodb import DynamoStore

TENANT = "alpha"
STATE = "sit-wpfleet-state"  # table and bucket of the CI runners' shared state
VERIFY_DEADLINE = 20.0


def ci_fleet(tmp_path: Path, base: BaseEnv, site: str, db_mode: str = "direct") -> LoadedFleet:
    return write_fleet(
        tmp_path / "fleet.yaml",
        base,
        [tenant(TENANT)],
        http_check_address=site,
        db_mode=db_mode,
        ci_role_arn=f"arn:aws:iam::123456789012:role/{ENV}-wpfleet-ci",
        env_extra={"state": {"backend": "dynamodb", "table": STATE, "bucket": STATE,
                             "region": REGION, "endpoint_url": base.url}},
    )  # fmt: skip


def bootstrap_state(base: BaseEnv) -> DynamoStore:
    """The state table and bucket exist before CI runs (``platform bootstrap``, an
    administrator's job, not the CI role's)."""
    dynamo_items._CLIENTS.clear()  # clients of an earlier test's server or credentials
    store = DynamoStore(STATE, STATE, REGION, base.url)
    store.bootstrap()
    return store


def full_run(loaded: LoadedFleet, base: BaseEnv, ecs_base: BaseEnv | None = None) -> list[str]:
    """deploy -> verify -> destroy; returns every AWS operation called, in order.
    ``ecs_base`` makes the targets registration (what ECS itself does) with other
    credentials than the run's."""
    dynamo_items._CLIENTS.clear()
    store = DynamoStore(STATE, STATE, REGION, base.url)
    register = register_targets_like_ecs(ecs_base or base)
    db_init = DbInitTask(ecs_base or base)

    def like_ecs(name: str, params: dict[str, Any]) -> Any:
        register(name, params)
        return db_init(name, params)

    with recording() as rec:
        rec.fail = like_ecs
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


# --- db_mode: ecs-task ---------------------------------------------------------------------
class DbInitTask:
    """Stands in for ECS running wpfleet's db-init task (moto runs no task): on
    ``ecs.RunTask`` it runs the task definition's real command (``sh -c SCRIPT`` with
    Debian's mariadb client) against the MariaDB standing in for RDS, with the
    environment ECS would give it (its ``environment`` and its ``secrets: valueFrom``
    resolved from Secrets Manager); ``ecs.DescribeTasks`` then answers STOPPED with the
    command's exit code, as ECS does once a task has run."""

    def __init__(self, base: BaseEnv) -> None:
        self.base = base
        self.exit_code: int | None = None

    def __call__(self, name: str, params: dict[str, Any]) -> Any:
        if name == "ecs.RunTask":
            self._run(json.loads(params.get("body") or b"{}"))
        elif name == "ecs.DescribeTasks" and self.exit_code is not None:
            arns = json.loads(params.get("body") or b"{}").get("tasks", [])
            task = {
                "taskArn": arns[0],
                "lastStatus": "STOPPED",
                "containers": [{"name": "db-init", "exitCode": self.exit_code}],
            }
            http = SimpleNamespace(status_code=200, headers={}, text="", content=b"")
            return http, {
                "tasks": [task],
                "failures": [],
                "ResponseMetadata": {"HTTPStatusCode": 200},
            }
        return None

    def _run(self, body: dict[str, Any]) -> None:
        ecs = self.base.client("ecs")
        td = ecs.describe_task_definition(taskDefinition=body["taskDefinition"])
        container = td["taskDefinition"]["containerDefinitions"][0]
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        for item in body["overrides"]["containerOverrides"][0].get("environment", []):
            env[item["name"]] = item["value"]
        sm = self.base.client("secretsmanager")
        for secret in container.get("secrets", []):
            arn, key = secret["valueFrom"].rsplit(":", 3)[0], secret["valueFrom"].split(":")[-3]
            value = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])[key]
            env[secret["name"]] = str(value)
        # the stand-in for RDS is a local MariaDB without RDS's certificate, and no test
        # may reach out for the bundle: the script then connects as the client defaults
        env.pop("RDS_CA_URL", None)
        run = subprocess.run(
            container["command"],
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert run.returncode == 0, run.stderr
        self.exit_code = run.returncode
