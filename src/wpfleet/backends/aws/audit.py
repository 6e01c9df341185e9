"""Isolation audit of an AWS environment's tenants (``wpfleet audit isolation``).

Per tenant A, against every other tenant B:

- **database**: A's user, with the password from A's own secret, is refused B's
  database (by trying, against the environment's database server), and reads its own;
- **access-point**: A's access point roots at A's own path (never ``/`` nor a path
  above or below another tenant's) with the expected POSIX owner;
- **iam**: A's roles' inline policies are exactly the own-only documents wpfleet writes
  (its own secrets; its own access point) and name nothing of any B.

For the environment (reported as tenant ``*``):

- **efs-policy**: the file-system policy requires IAM authorization and an access
  point (``efs_policy.problems``);
- **security-groups**: the tasks' group admits only the load balancer's groups (no
  address range), and the database's groups admit only the tasks' group.
"""

from __future__ import annotations

import json
from typing import Any

import pymysql

from wpfleet.backends.aws import efs_policy, mysql, rds
from wpfleet.backends.aws.resources.access_point import AccessPoint
from wpfleet.backends.aws.resources.roles import ExecRole, SharedSecretsPolicy, TaskRole
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.context import AuditFinding
from wpfleet.errors import WpfleetError

DENIED = (1044, 1045, 1142, 1049)
ENV = "*"


def audit(tenants: list[TenantAws]) -> list[AuditFinding]:
    out: list[AuditFinding] = []
    for a in tenants:
        others = [b for b in tenants if b.tenant != a.tenant]
        out.append(_guard(a, "database", _database, others))
        out.append(_guard(a, "access-point", _access_point, others))
        out.append(_guard(a, "iam", _iam, others))
    first = tenants[0]
    out.append(_guard(first, "efs-policy", lambda t, _o: _efs(t), [], who=ENV))
    out.append(_guard(first, "security-groups", lambda t, _o: _security_groups(t), [], who=ENV))
    return out


def _guard(
    t: TenantAws, check: str, run: Any, others: list[TenantAws], who: str = ""
) -> AuditFinding:
    """A check that cannot run is a failed check naming why (never a pass)."""
    try:
        ok, detail = run(t, others)
    except (WpfleetError, pymysql.MySQLError) as exc:
        ok, detail = False, f"could not check: {exc}"
    return AuditFinding(who or t.tenant, check, ok, detail)


def _database(a: TenantAws, others: list[TenantAws]) -> tuple[bool, str]:
    secret = a.secret_value(a.names.db_secret)
    host, port = a.db_endpoint()
    reached: list[str] = []
    login = (host, port, a.names.db_user, str(secret["password"]))
    with mysql.connect(*login) as conn, conn.cursor() as cur:
        cur.execute(f"SHOW TABLES FROM {mysql.ident(a.names.database)}")
        for b in others:
            try:
                cur.execute(f"SHOW TABLES FROM {mysql.ident(b.names.database)}")
                reached.append(b.names.database)
            except pymysql.MySQLError as exc:
                if exc.args[0] not in DENIED:
                    reached.append(f"{b.names.database} (unexpected {exc.args[0]})")
    if reached:
        return False, "reads " + ", ".join(reached)
    return True, f"refused on {len(others)} other database(s)"


def _access_point(a: TenantAws, others: list[TenantAws]) -> tuple[bool, str]:
    fact = AccessPoint(a).read()
    if fact is None:
        return False, "no access point"
    want = AccessPoint(a).desired()
    path = str(fact.state["path"] or "/")
    problems = [
        f"{k} is {fact.state[k]!r}, not {want[k]!r}" for k in want if fact.state[k] != want[k]
    ]
    for b in others:
        theirs = b.names.efs_path
        if (
            path == "/"
            or theirs.startswith(path.rstrip("/") + "/")
            or path.startswith(theirs.rstrip("/") + "/")
        ):
            problems.append(f"its root {path} reaches {b.tenant}'s {theirs}")
    return (False, "; ".join(problems)) if problems else (True, f"{path}, uid {want['uid']}")


def _iam(a: TenantAws, others: list[TenantAws]) -> tuple[bool, str]:
    roles: list[AwsResource]
    if a.settings.iam_mode == "per-tenant-roles":
        roles = [ExecRole(a), TaskRole(a)]
    else:
        roles = [SharedSecretsPolicy(a)]
    problems: list[str] = []
    for role in roles:
        fact = role.read()
        if fact is None:
            problems.append(f"{role.id}: missing")
            continue
        actual = fact.state.get("policy")
        if actual != role.desired().get("policy"):
            problems.append(f"{role.id}: policy differs from its own-only document")
        text = json.dumps(actual)
        for b in others:
            if b.names.db_secret in text or f"{b.env}-{b.tenant}-" in text:
                problems.append(f"{role.id}: names {b.tenant}'s resources")
    return (False, "; ".join(problems)) if problems else (True, "own secrets and access point only")


def _efs(t: TenantAws) -> tuple[bool, str]:
    fs_id = t.require("efs_id")
    found = efs_policy.problems(efs_policy.read_policy(t.aws, fs_id))
    return (
        (False, "; ".join(found)) if found else (True, f"{fs_id}: IAM and an access point required")
    )


def _security_groups(t: TenantAws) -> tuple[bool, str]:
    task_sg = t.require("security_group")
    lb_sgs = set(t.load_balancer().get("SecurityGroups", []))
    problems = _ingress_problems(
        t, task_sg, lb_sgs | {task_sg} if task_sg in lb_sgs else lb_sgs, "tasks"
    )
    instance = rds.describe_db_instance(t.aws, t.require("rds_instance"))
    db_sgs = [g["VpcSecurityGroupId"] for g in (instance or {}).get("VpcSecurityGroups", [])]
    for sg in db_sgs:
        problems += _ingress_problems(t, sg, {task_sg}, "database")
    if problems:
        return False, "; ".join(problems)
    return True, f"ALB → {task_sg} → database ({', '.join(db_sgs) or 'no group'}) only"


def _ingress_problems(t: TenantAws, sg: str, allowed: set[str], what: str) -> list[str]:
    resp = t.aws.call("ec2", "describe_security_groups", GroupIds=[sg])
    out: list[str] = []
    for group in resp.get("SecurityGroups", []):
        for perm in group.get("IpPermissions", []):
            for cidr in [*perm.get("IpRanges", []), *perm.get("Ipv6Ranges", [])]:
                where = cidr.get("CidrIp") or cidr.get("CidrIpv6")
                out.append(f"{what} group {sg} admits {where} on {_ports(perm)}")
            for pair in perm.get("UserIdGroupPairs", []):
                if pair.get("GroupId") not in allowed:
                    out.append(f"{what} group {sg} admits {pair.get('GroupId')} on {_ports(perm)}")
            for prefix in perm.get("PrefixListIds", []):
                out.append(f"{what} group {sg} admits {prefix.get('PrefixListId')}")
    return out


def _ports(perm: dict[str, Any]) -> str:
    if perm.get("IpProtocol") == "-1":
        return "every port"
    return f"{perm.get('FromPort')}-{perm.get('ToPort')}"
