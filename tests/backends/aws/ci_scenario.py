"""What a CI runner does with AWS, end to end: deploy -> verify -> content -> destroy of
one tenant, with state on DynamoDB + S3 (as in CI), against moto + MariaDB, a local
WordPress answering the HTTP checks. Used to record the AWS operations wpfleet calls (the
source of ``wpfleet ci policy``) and to prove that policy is enough.

The content part runs where content can (``db_mode: direct`` with a content bucket): a
restore point, its restore, and destroy's restore point, so that the one-off content
task (played by ``TaskPlayer``: moto runs no container), its role, and the content
bucket's objects are all in the recording."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.backends.aws.content_player import TaskPlayer
from tests.backends.aws.infra import ENV, REGION, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import register_targets_like_ecs
from wpfleet.aws import session as aws_session
from wpfleet.backends.aws import content_run, dbinit, s3
from wpfleet.config.load import LoadedFleet
from wpfleet.pipeline import deploy as pipeline
from wpfleet.services import backups, deployments
from wpfleet.services.workspace import Workspace
from wpfleet.state import dynamo_items
from wpfleet.state.dynamodb import DynamoStore

TENANT = "alpha"
STATE = "sit-wpfleet-state"  # table and bucket of the CI runners' shared state
CONTENT = "sit-wpfleet-content"  # the content bucket (content on aws)
MULTIPART = 5 * 1024 * 1024
VERIFY_DEADLINE = 20.0


def ci_fleet(
    tmp_path: Path, base: BaseEnv, site: str, db_mode: str = "direct", content: bool = True
) -> LoadedFleet:
    """``content``: with a content bucket (``direct`` mode then runs content too)."""
    return write_fleet(
        tmp_path / "fleet.yaml",
        base,
        [tenant(TENANT)],
        http_check_address=site,
        db_mode=db_mode,
        content_bucket=CONTENT if content else None,
        scheme="http",  # the stand-in WordPress installs itself at http:// (the proof asks)
        ci_role_arn=f"arn:aws:iam::123456789012:role/{ENV}-wpfleet-ci",
        env_extra={"state": {"backend": "dynamodb", "table": STATE, "bucket": STATE,
                             "region": REGION, "endpoint_url": base.url},
                   "backup_retention": 2},
    )  # fmt: skip


def bootstrap_state(base: BaseEnv) -> DynamoStore:
    """The state table and bucket, and the content bucket, exist before CI runs
    (``platform bootstrap``, an administrator's job, not the CI role's)."""
    dynamo_items._CLIENTS.clear()  # clients of an earlier test's server or credentials
    store = DynamoStore(STATE, STATE, REGION, base.url)
    store.bootstrap()
    base.client("s3").create_bucket(
        Bucket=CONTENT, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return store


def full_run(loaded: LoadedFleet, base: BaseEnv, ecs_base: BaseEnv | None = None) -> list[str]:
    """deploy -> verify -> content -> destroy; returns every AWS operation called, in
    order. ``ecs_base`` makes the targets registration and the tasks' own calls (what
    ECS and the tasks' roles do) with other credentials than the run's."""
    dynamo_items._CLIENTS.clear()
    store = DynamoStore(STATE, STATE, REGION, base.url)
    register = register_targets_like_ecs(ecs_base or base)
    db_init = DbInitTask(ecs_base or base)

    def like_ecs(name: str, params: dict[str, Any]) -> Any:
        register(name, params)
        return db_init(name, params)

    with recording() as rec, content_task(ecs_base or base) as player:
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
        with Workspace(loaded, actor="ci") as ws:  # `wpfleet backup ...`, `wpfleet destroy`
            env = ws.env(ENV)
            content = env.aws and env.aws.db_mode == "direct" and env.aws.content_bucket
            if content:
                site_files(ecs_base or base, player)
                point = backups.create(ws, env, TENANT, reason="ci")["id"]
                backups.restore(ws, env, TENANT, point)
            gone = deployments.destroy(ws, env, TENANT)
            assert gone.deployment is not None and gone.deployment.status == "succeeded"
            if content:  # destroy took one; retention (2) let the first go
                kept = [p["reason"] for p in backups.points(ws, env, TENANT)]
                assert kept == ["before destroy", f"before restoring {point}"], kept
    return list(rec.calls)


@contextmanager
def content_task(base: BaseEnv) -> Iterator[TaskPlayer]:
    """The content task, played (see tests/backends/aws/content_player.py); transfers
    multipart from 5 MiB (S3's smallest part) rather than 8, so that ``site_files``'
    6 MiB archive puts the multipart calls in the recording."""
    efs = Path(tempfile.mkdtemp(prefix="wpfleet-ci-efs-"))
    player = TaskPlayer(base, efs)
    delay, content_run.WAIT_DELAY = content_run.WAIT_DELAY, 0
    threshold, s3.MULTIPART_THRESHOLD = s3.MULTIPART_THRESHOLD, MULTIPART
    aws_session.add_session_hook(player.hook)
    try:
        yield player
    finally:
        aws_session.remove_session_hook(player.hook)
        content_run.WAIT_DELAY, s3.MULTIPART_THRESHOLD = delay, threshold
        shutil.rmtree(efs, ignore_errors=True)


def site_files(base: BaseEnv, player: TaskPlayer) -> None:
    """An upload in the tenant's access point (incompressible, above ``MULTIPART``)."""
    (point,) = base.client("efs").describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    uploads = player.efs / point["AccessPointId"] / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "big.bin").write_bytes(os.urandom(MULTIPART + 1024 * 1024))


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
        if container["name"] != dbinit.CONTAINER:  # the content task: TaskPlayer's
            return
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
