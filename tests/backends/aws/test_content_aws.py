"""Content on the AWS backend (moto server + the MariaDB standing in for RDS): export,
import through shadow tables with its proof, a failed proof that leaves the site as it
was, restore points in S3 with the environment's retention, and the one-off ECS task that
moves wp-content between the tenant's EFS access point and S3.

moto registers and "runs" the task but starts no container, so ``TaskPlayer`` plays it:
when wpfleet's waiter asks DescribeTasks, the task goes PROVISIONING → RUNNING → STOPPED
as ECS reports it (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html),
and at RUNNING the player runs the very script the task definition carries
(``command[0]``, with ``python3 -c`` as its entry point) on this machine, against a real
directory tree standing for the access point and moto's S3. Its exit code is the
container's ``exitCode``."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.backends.aws.content_player import CONTENT_BUCKET, META, OK, TaskPlayer
from tests.backends.aws.infra import (
    ENV,
    MASTER_PASSWORD,
    BaseEnv,
    Recorder,
    recording,
    tenant,
    write_fleet,
)
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from tests.reliability.leaks import ProcSampler, dump_sqlite, find_leaks, make_shims
from wpfleet.backends.aws import content_run
from wpfleet.config.load import LoadedFleet
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.manifest import Manifest
from wpfleet.errors import BackendError, ContentUnavailable
from wpfleet.services import backups
from wpfleet.services.clocked import pipeline
from wpfleet.services.workspace import Workspace
from wpfleet.state.sqlite import SqliteStore

pytestmark = [pytest.mark.aws, pytest.mark.slow]

BUCKET = CONTENT_BUCKET  # the ``player`` fixture (conftest) makes it


def deployed(tmp_path: Path, base: BaseEnv, site: str, **extra: Any) -> LoadedFleet:
    """Alpha deployed. The stand-in WordPress ignores X-Forwarded-Proto, so it installs
    itself at http://; the site's URL (``aws.scheme``) says so, as the proof demands."""
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha")], http_check_address=site,
        content_bucket=BUCKET, scheme="http", **extra,
    )  # fmt: skip
    with recording() as rec, Workspace(loaded, actor="test") as ws:
        rec.fail = register_targets_like_ecs(base)
        outcome = pipeline(ws, ws.env(ENV), verify_deadline=VERIFY_DEADLINE).deploy("alpha")
    assert outcome.deployment is not None and outcome.deployment.status == "succeeded"
    return loaded


def seed_files(root: Path) -> None:
    uploads = root / "uploads" / "2026"
    uploads.mkdir(parents=True)
    (uploads / "hello.txt").write_text("hello from sit\n")
    (uploads / "hello.txt").chmod(0o640)
    (root / "plugins").mkdir()
    (root / "plugins" / "run.sh").write_text("#!/bin/sh\n")
    (root / "plugins" / "run.sh").chmod(0o750)


def table_state(base: BaseEnv) -> dict[str, tuple[int, int]]:
    tables = [r[0] for r in base.db.query("SHOW TABLES FROM alpha_db")]
    out = {}
    for t in tables:
        count = base.db.query(f"SELECT COUNT(*) FROM alpha_db.`{t}`")[0][0]
        checksum = base.db.query(f"CHECKSUM TABLE alpha_db.`{t}`")[0][1]
        out[t] = (count, checksum)
    return out


def keys(base: BaseEnv, prefix: str = "") -> list[str]:
    found = base.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in found.get("Contents", []))


def test_export_runs_the_task_on_the_access_point_and_writes_a_manifest(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    loaded = deployed(tmp_path, base, wordpress_site)
    out = tmp_path / "export"
    with recording() as rec, Workspace(loaded, actor="test") as ws:
        access = backups.site_access(ws, ws.env(ENV), "alpha")
        manifest = first_export(access, out, player)
    # the manifest: rows per table as the server counts them, the site's URLs
    assert manifest.rows == {t: n for t, (n, _) in table_state(base).items()}
    assert manifest.rows["wp_options"] > 50 and manifest.source_urls["home"].endswith(
        "alpha.wpsit.example.test"
    )
    assert manifest.wp_content == {
        "file": "wp-content.tar.gz",
        "bytes": manifest.wp_content["bytes"],
        "files": 2,
    }
    with tarfile.open(out / "wp-content.tar.gz") as tar:
        modes = {m.name: m.mode for m in tar.getmembers() if m.isfile()}
    assert modes == {"plugins/run.sh": 0o750, "uploads/2026/hello.txt": 0o640}
    assert_request_shape(rec, base)
    assert keys(base) == []  # the transfer object lives only as long as the copy


def first_export(access: Any, out: Path, player: TaskPlayer) -> Manifest:
    """The access point exists since the deploy: give its directory the site's files."""
    ap = boto3.client("efs", region_name="eu-west-1", endpoint_url=player.base.url)
    (point,) = ap.describe_access_points(FileSystemId=player.base.efs_id)["AccessPoints"]
    seed_files(player.efs / point["AccessPointId"])
    return backups.export_site(access, out)


def assert_request_shape(rec: Recorder, base: BaseEnv) -> None:
    """RunTask and the task definition as ECS documents them
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html,
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSVolumeConfiguration.html)."""
    run = rec.first("ecs.RunTask")
    assert run["cluster"] == base.cluster and run["launchType"] == "FARGATE"
    assert run["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": base.subnets, "securityGroups": [base.security_group],
        "assignPublicIp": "DISABLED",
    }  # fmt: skip
    (override,) = run["overrides"]["containerOverrides"]
    env = {e["name"]: e["value"] for e in override["environment"]}
    assert env["WPFLEET_ACTION"] == "export"
    assert env["WPFLEET_KEY"].startswith("wpfleet-content/sit/alpha/transfer/")
    td = rec.first("ecs.RegisterTaskDefinition")
    (ap,) = base.client("efs").describe_access_points(FileSystemId=base.efs_id)["AccessPoints"]
    assert td["volumes"] == [{"name": "wp-content", "efsVolumeConfiguration": {
        "fileSystemId": base.efs_id, "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": ap["AccessPointId"], "iam": "ENABLED"},
    }}]  # fmt: skip
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["taskRoleArn"].endswith(":role/sit-alpha-content-role")
    (container,) = td["containerDefinitions"]
    assert container["command"] == [content_run.script()]
    assert container["mountPoints"][0]["containerPath"] == "/wp-content"
    assert "secrets" not in container  # the task needs none
    policy = base.client("iam").get_role_policy(
        RoleName="sit-alpha-content-role", PolicyName="wpfleet-content-access"
    )["PolicyDocument"]
    resources = [s["Resource"] for s in policy["Statement"]]
    assert f"arn:aws:s3:::{BUCKET}/wpfleet-content/sit/alpha/transfer/*" in resources
    mount = policy["Statement"][0]["Condition"]["StringEquals"]
    assert mount == {"elasticfilesystem:AccessPointArn": ap["AccessPointArn"]}


def test_import_proves_and_a_failing_proof_leaves_the_site_as_it_was(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    loaded = deployed(tmp_path, base, wordpress_site)
    out = tmp_path / "export"
    with Workspace(loaded, actor="test") as ws:
        access = backups.site_access(ws, ws.env(ENV), "alpha")
        first_export(access, out, player)
    exported = table_state(base)
    spec = DbSpec(access.db_host, access.db_port, access.db_user, access.db_password,
                  access.database)  # fmt: skip
    conn = spec.connect()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO wp_options (option_name, option_value) VALUES ('later', 'x')")
    conn.close()
    (player.root() / "uploads" / "2026" / "hello.txt").write_text("changed\n")
    with Workspace(loaded, actor="test") as ws:
        done = backups.import_site(ws, ws.env(ENV), "alpha", out, why="test import")
    assert table_state(base) == exported
    assert (player.root() / "uploads" / "2026" / "hello.txt").read_text() == "hello from sit\n"
    assert done["loaded"]["files"] == 2
    # the proof fails (the manifest promises other row counts): nothing changes
    before = table_state(base)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["tables"]["wp_options"]["rows"] += 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    with Workspace(loaded, actor="test") as ws, pytest.raises(Exception, match="wp_options"):
        backups.import_site(ws, ws.env(ENV), "alpha", out, why="bad import")
    assert table_state(base) == before
    shadows = base.db.query("SHOW TABLES FROM alpha_db")
    assert sorted(r[0] for r in shadows) == sorted(before)


def test_restore_points_live_in_s3_with_the_environments_retention(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    loaded = deployed(tmp_path, base, wordpress_site, env_extra={"backup_retention": 2})
    with Workspace(loaded, actor="test") as ws:
        env = ws.env(ENV)
        first_export(backups.site_access(ws, env, "alpha"), tmp_path / "x", player)
        first = backups.create(ws, env, "alpha", reason="first")
        base.db.query("DELETE FROM alpha_db.wp_options WHERE option_name = 'blogdescription'")
        (player.root() / "uploads" / "2026" / "hello.txt").unlink()
        second = backups.create(ws, env, "alpha", reason="second")
        third = backups.create(ws, env, "alpha", reason="third")
        kept = backups.points(ws, env, "alpha")
    base.db.query(
        "INSERT INTO alpha_db.wp_options (option_name, option_value) VALUES ('later', '')"
    )
    (player.root() / "uploads" / "2026" / "later.txt").write_text("later\n")
    assert [p["id"] for p in kept] == [third["id"], second["id"]]  # the newest 2
    prefix = "wpfleet-content/sit/alpha/restore-points/"
    assert kept[0]["path"] == f"s3://{BUCKET}/{prefix}{third['id']}/"
    assert keys(base) == sorted(
        f"{prefix}{p['id']}/{name}" for p in kept
        for name in ("database.sql.gz", "manifest.json", "wp-content.tar.gz")
    )  # fmt: skip
    assert first["id"] not in json.dumps(keys(base))
    # restore the second (a point of what is there now first): what came later is gone
    with Workspace(loaded, actor="test") as ws:
        done = backups.restore(ws, ws.env(ENV), "alpha", second["id"])
    assert done["restore_point_before"] not in (second["id"], third["id"])
    assert {t: n for t, (n, _) in table_state(base).items()} == second["rows"]
    assert not (player.root() / "uploads" / "2026" / "later.txt").exists()
    assert not (player.root() / "uploads" / "2026" / "hello.txt").exists()
    assert (player.root() / "plugins" / "run.sh").stat().st_mode & 0o777 == 0o750


def test_a_task_that_stops_without_exit_0_is_an_error_naming_why(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    """A container that never started reports no exit code; ECS gives the task a
    ``stoppedReason`` and ``stopCode: TaskFailedToStart``, here the image pull error of
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html.
    Fargate without capacity answers RunTask with the failure of
    https://repost.aws/knowledge-center/ecs-fargate-runtask-capacity: retried."""
    loaded = deployed(tmp_path, base, wordpress_site)
    pull = ("CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            "failed to resolve ref public.ecr.aws/lambda/python:3.12")  # fmt: skip
    player.stop_next = {
        "stoppedReason": pull, "stopCode": "TaskFailedToStart",
        "containers": [{"name": "content", "lastStatus": "STOPPED", "reason": pull}],
    }  # fmt: skip
    with Workspace(loaded, actor="test") as ws, pytest.raises(BackendError) as failed:
        backups.export_site(backups.site_access(ws, ws.env(ENV), "alpha"), tmp_path / "a")
    assert (
        "exit code None" in failed.value.message
        and "CannotPullContainerError" in failed.value.message
    )
    assert "TaskFailedToStart" in failed.value.message
    left = {"n": 2}

    def no_capacity(name: str, _params: dict[str, Any]) -> Any:
        if name == "ecs.RunTask" and left["n"]:
            left["n"] -= 1
            failure = {"arn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/x",
                       "reason": "Capacity is unavailable at this time. Please try again "
                       "later or in a different availability zone"}  # fmt: skip
            return OK, {"tasks": [], "failures": [failure], **META}
        return None

    with recording() as rec, Workspace(loaded, actor="test") as ws:
        rec.fail = no_capacity
        ws.backend(ws.env(ENV)).aws.sleep = lambda _s: None  # type: ignore[attr-defined]
        backups.export_site(backups.site_access(ws, ws.env(ENV), "alpha"), tmp_path / "b")
    assert rec.calls.count("ecs.RunTask") == 3 and player.runs[-1]["code"] == 0


def test_the_task_refuses_an_archive_that_writes_outside_its_tree(
    tmp_path: Path, base: BaseEnv, store: SqliteStore, wordpress_site: str, player: TaskPlayer
) -> None:
    """A link, then a file written through it: refused inside the task (exit 3), and
    the access point's tree is what it was."""
    loaded = deployed(tmp_path, base, wordpress_site)
    with Workspace(loaded, actor="test") as ws:
        access = backups.site_access(ws, ws.env(ENV), "alpha")
        first_export(access, tmp_path / "x", player)
        evil = tmp_path / "evil.tar.gz"
        with tarfile.open(evil, "w:gz") as tar:
            link = tarfile.TarInfo("escape")
            link.type, link.linkname = tarfile.SYMTYPE, str(tmp_path)
            tar.addfile(link)
            data = tarfile.TarInfo("escape/pwned.txt")
            data.size = 5
            tar.addfile(data, io.BytesIO(b"pwned"))
        with pytest.raises(BackendError, match="exit code 3"):
            access.files.push(evil)
    assert player.runs[-1]["code"] == 3 and "refused" in player.runs[-1]["out"]
    assert not (tmp_path / "pwned.txt").exists()
    assert (player.root() / "uploads" / "2026" / "hello.txt").read_text() == "hello from sit\n"
    assert sorted(p.name for p in player.root().iterdir()) == ["plugins", "uploads"]


def test_ecs_task_mode_and_a_missing_bucket_are_refused_clearly(
    tmp_path: Path, base: BaseEnv, store: SqliteStore
) -> None:
    loaded = write_fleet(tmp_path / "fleet.yaml", base, [tenant("alpha")], db_mode="ecs-task",
                         content_bucket=BUCKET)  # fmt: skip
    with Workspace(loaded, actor="test") as ws, pytest.raises(ContentUnavailable) as refused:
        backups.site_access(ws, ws.env(ENV), "alpha")
    assert "db_mode: direct" in refused.value.message and refused.value.hint
    (tmp_path / "b").mkdir()
    loaded = write_fleet(tmp_path / "b" / "fleet.yaml", base, [tenant("alpha")])
    with Workspace(loaded, actor="test") as ws, pytest.raises(ContentUnavailable) as refused:
        backups.site_access(ws, ws.env(ENV), "alpha")
    assert "aws.content_bucket is not set" in refused.value.message


def test_no_secret_in_argv_environment_requests_or_state(
    tmp_path: Path,
    base: BaseEnv,
    store: SqliteStore,
    wordpress_site: str,
    player: TaskPlayer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tenant's database password (read from Secrets Manager) and the master's reach
    the client tools only through a 0600 option file: not argv, not the environment of
    any process (PATH shims record both; /proc is sampled too), not a request to AWS
    (the task definition and RunTask carry none), not the state store or the export."""
    loaded = deployed(tmp_path, base, wordpress_site)
    log = tmp_path / "shims.log"
    monkeypatch.setenv("PATH", make_shims(tmp_path / "shims", log))
    sm = base.client("secretsmanager")
    tenant_pw = json.loads(sm.get_secret_value(SecretId="sit-alpha-db-credentials")["SecretString"])
    out = tmp_path / "export"
    with recording() as rec, ProcSampler().running() as procs, Workspace(loaded) as ws:
        access = backups.site_access(ws, ws.env(ENV), "alpha")
        first_export(access, out, player)
        backups.import_site(ws, ws.env(ENV), "alpha", out, why="leak check")
    recorded = log.read_bytes().decode("utf-8", "replace")
    assert "mariadb-dump" in recorded or "mysqldump" in recorded  # the shims saw the tools
    places = {
        "argv and environment of the client tools": recorded,
        "/proc cmdline and environ": procs.text(),
        "AWS request bodies": "\n".join(body for _, body in rec.bodies),
        "state store": dump_sqlite(tmp_path / "state.db"),
        "the task's output": "\n".join(r["out"] for r in player.runs),
        "manifest": (out / "manifest.json").read_text(),
    }
    assert find_leaks({tenant_pw["password"], MASTER_PASSWORD}, places) == []
    assert procs.samples > 0 and len(player.runs) >= 3
