"""Content on aws: the database as the tenant's own user straight from this machine
(``db_mode: direct`` only), wp-content through S3 and a one-off ECS task that mounts the
tenant's access point (``content_run.py``), restore points in the environment's content
bucket (``aws.content_bucket``), under ``wpfleet-content/{env}/{tenant}/``.

``db_mode: ecs-task`` is refused: the dump is checked, moved to the new host, loaded
into shadow tables and proved by wpfleet's own code, which a stock client image cannot
run; such an environment needs a machine that reaches RDS (a VPN, a bastion tunnel, a
runner in the VPC) and ``db_mode: direct``.
"""

from __future__ import annotations

import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wpfleet.backends.aws import content_run, s3
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.backends.siteaccess import ContentAccess, RestorePoints, SiteFiles
from wpfleet.errors import ContentUnavailable, NotFoundError
from wpfleet.treearchive import ArchiveInfo

#: a restore point is complete when its dump is there (the manifest is written after it)
DUMP = "database.sql.gz"


def content_access(t: TenantAws, url: str) -> ContentAccess:
    """The tenant's site for the content engine; refused, before anything is read or
    changed, where this environment cannot do content (see the module docstring)."""
    if t.settings.db_mode != "direct":
        raise ContentUnavailable(
            f"content export/import is not available on {t.env}: it uses db_mode: "
            f"{t.settings.db_mode}, and content needs db_mode: direct (this machine "
            "connects to the database server as the tenant's own user)",
            hint="run it where RDS is reachable (VPN, bastion tunnel, a runner in the VPC) "
            f"with environments[{t.env}].aws.db_mode: direct",
        )
    bucket = t.settings.content_bucket
    if not bucket:
        raise ContentUnavailable(
            f"content export/import is not available on {t.env}: aws.content_bucket "
            "is not set (wp-content and restore points go through S3)",
            hint=f"set environments[{t.env}].aws.content_bucket to an S3 bucket of the "
            "environment's account (versioning and default encryption recommended)",
        )
    secret = t.secret_value(t.names.db_secret)
    if "password" not in secret:
        raise NotFoundError(
            f"{t.tenant} in {t.env}: the secret {t.names.db_secret} holds no password",
            hint=f"redeploy it: wpfleet deploy {t.tenant} --env {t.env}",
        )
    host, port = t.db_endpoint()
    return ContentAccess(
        db_host=host,
        db_port=port,
        db_user=str(secret.get("username") or t.names.db_user),
        db_password=str(secret["password"]),
        database=t.names.database,
        files=TaskFiles(t, bucket),
        points=S3RestorePoints(t, bucket),
        url=url.rstrip("/"),
    )


class TaskFiles(SiteFiles):
    """wp-content on EFS, reached by the content task through a transfer object in S3
    that lives only as long as one pull or push."""

    def __init__(self, t: TenantAws, bucket: str) -> None:
        self.t, self.bucket = t, bucket
        self.where = f"EFS access point {t.names.access_point} (via s3://{bucket})"

    def _key(self) -> str:
        return f"{content_run.transfer_prefix(self.t)}{secrets.token_hex(8)}.tar.gz"

    def pull(self, archive: Path) -> ArchiveInfo:
        key = self._key()
        tmp = archive.with_name(f".{archive.name}.partial")
        try:
            content_run.run(self.t, self.bucket, "export", key)
            s3.download_file(self.t.aws, self.bucket, key, str(tmp))
            tmp.replace(archive)
        finally:
            tmp.unlink(missing_ok=True)
            s3.delete_keys(self.t.aws, self.bucket, [key])
        return ArchiveInfo(archive, archive.stat().st_size, _files(archive))

    def push(self, archive: Path) -> ArchiveInfo:
        key = self._key()
        s3.upload_file(self.t.aws, str(archive), self.bucket, key)
        try:
            content_run.run(self.t, self.bucket, "import", key)
        finally:
            s3.delete_keys(self.t.aws, self.bucket, [key])
        return ArchiveInfo(archive, archive.stat().st_size, _files(archive))


def _files(archive: Path) -> int:
    with tarfile.open(archive, "r:gz") as tar:
        return sum(1 for m in tar if m.isfile())


class S3RestorePoints(RestorePoints):
    """Restore points as ``s3://BUCKET/wpfleet-content/{env}/{tenant}/restore-points/ID/``
    (SSE-S3); written and read through a temporary directory on this machine."""

    def __init__(self, t: TenantAws, bucket: str) -> None:
        self.t, self.bucket = t, bucket
        self.prefix = f"{t.names.content_prefix}/restore-points/"

    def location(self, point: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{point}/"

    def _split(self, location: str) -> tuple[str, str]:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not location.startswith("s3://") or not prefix.startswith(self.prefix):
            raise NotFoundError(
                f"restore point {location} is not one of {self.t.tenant}'s in {self.t.env}",
                hint="list them: wpfleet backup list",
            )
        return bucket, prefix

    @contextmanager
    def writing(self, point: str) -> Iterator[Path]:
        tmp = Path(tempfile.mkdtemp(prefix="wpfleet-point-"))
        try:
            yield tmp
            bucket, prefix = self._split(self.location(point))
            names = sorted(p.name for p in tmp.iterdir() if p.is_file())
            for name in [n for n in names if n != DUMP] + [DUMP]:  # the dump last: complete
                s3.upload_file(self.t.aws, str(tmp / name), bucket, prefix + name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @contextmanager
    def reading(self, location: str) -> Iterator[Path]:
        bucket, prefix = self._split(location)
        tmp = Path(tempfile.mkdtemp(prefix="wpfleet-point-"))
        try:
            for key in s3.list_keys(self.t.aws, bucket, prefix):
                name = key[len(prefix) :]
                if name and "/" not in name:
                    s3.download_file(self.t.aws, bucket, key, str(tmp / name))
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def exists(self, location: str) -> bool:
        bucket, prefix = self._split(location)
        return prefix + DUMP in s3.list_keys(self.t.aws, bucket, prefix)

    def delete(self, location: str) -> None:
        bucket, prefix = self._split(location)
        s3.delete_keys(self.t.aws, bucket, s3.list_keys(self.t.aws, bucket, prefix))
