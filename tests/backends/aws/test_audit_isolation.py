"""``audit isolation`` on AWS (moto + the MariaDB stand-in for RDS): passes on a clean
fleet of two tenants, and fails, naming the breach, when a tenant's grants are widened
to the other's database, when the tasks' security group is opened to the internet, and
when the EFS file-system policy is replaced by one that lets anyone mount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends.aws.infra import ENV, BaseEnv, recording, tenant, write_fleet
from tests.backends.aws.test_deploy import VERIFY_DEADLINE, register_targets_like_ecs
from wpfleet.services import Workspace, deployments
from wpfleet.services.audit import isolation

pytestmark = [pytest.mark.aws, pytest.mark.slow]


def _breaches(ws: Workspace) -> dict[tuple[str, str], str]:
    report = isolation(ws, ENV)
    return {(f.tenant, f.check): f.detail for f in report.findings[ENV] if not f.ok}


def test_audit_holds_then_names_each_breach(
    tmp_path: Path, base: BaseEnv, wordpress_site: str
) -> None:
    loaded = write_fleet(
        tmp_path / "fleet.yaml", base, [tenant("alpha"), tenant("bravo")],
        http_check_address=wordpress_site,
    )  # fmt: skip
    with recording() as rec, Workspace(loaded, actor="t") as ws:
        rec.fail = register_targets_like_ecs(base)
        env = ws.env(ENV)
        deployments.deploy_many(
            ws, env, concurrency=2, verify_deadline=VERIFY_DEADLINE
        ).raise_for_failures()
        report = isolation(ws, ENV)
        assert report.ok, report.breaches
        checks = {(f.tenant, f.check) for f in report.findings[ENV]}
        assert checks >= {
            (t, c) for t in ("alpha", "bravo") for c in ("database", "access-point", "iam")
        } | {("*", "efs-policy"), ("*", "security-groups")}

        # widen alpha's grants to bravo's database, on purpose
        [(host,)] = base.db.query("SELECT Host FROM mysql.user WHERE User='alpha_user'")
        base.db.query(f"GRANT SELECT ON `bravo_db`.* TO 'alpha_user'@'{host}'")
        try:
            assert "reads bravo_db" in _breaches(ws)[("alpha", "database")]
        finally:
            base.db.query(f"REVOKE SELECT ON `bravo_db`.* FROM 'alpha_user'@'{host}'")

        ec2 = base.client("ec2")
        ec2.authorize_security_group_ingress(
            GroupId=base.security_group, IpProtocol="tcp", FromPort=80, ToPort=80,
            CidrIp="0.0.0.0/0",
        )  # fmt: skip
        found = _breaches(ws)
        assert "admits 0.0.0.0/0 on 80-80" in found[("*", "security-groups")]
        assert ("alpha", "database") not in found  # revoked: holds again

        # a policy that lets anyone mount the whole file system (moto has no
        # DeleteFileSystemPolicy, so the weak policy is put over wpfleet's)
        anyone = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": "elasticfilesystem:ClientMount", "Resource": "*"}
            ],
        }  # fmt: skip
        base.client("efs").put_file_system_policy(
            FileSystemId=base.efs_id, Policy=json.dumps(anyone)
        )
        assert ("*", "efs-policy") in _breaches(ws)
