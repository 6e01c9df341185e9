"""The database phase as a one-off ECS task (``db_mode: ecs-task``), for database servers
this machine cannot reach.

The tenant's db-init task definition reads BOTH secrets by name through ``secrets:
valueFrom`` with its own execution role (master secret + the tenant's secret only), so
no secret value is ever in the task definition's command or environment, nor in
``run_task`` overrides: the only override is the action to take.
"""

from __future__ import annotations

import time
from typing import Any

from wpfleet.backends.aws import ecs, iam, oneoff
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.errors import BackendError, ValidationError
from wpfleet.naming import DB_INIT_POLICY

#: MySQL 8.4 LTS client (Oracle Linux image: it has curl). RDS presents a certificate of
#: the RDS CA, which no client image trusts: the task downloads the RDS global bundle
#: (over HTTPS, checked with the image's CAs) and the client verifies the server's
#: certificate and host name against it (``--ssl-mode=VERIFY_IDENTITY``). The task runs
#: in the VPC, so it needs a route to truststore.pki.rds.amazonaws.com (NAT or a proxy).
#: The mariadb:11 client would verify by default too, without that CA, and fail.
DB_INIT_IMAGE = "mysql:8.4"
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
CONTAINER = "db-init"
ACTIONS = ("create-database", "drop-database", "create-user", "drop-user")

#: runs inside the container; every value it needs is an environment variable that
#: ECS fills from Secrets Manager (MYSQL_PWD, TENANT_PASSWORD) or from the definition.
#: With RDS_CA_URL (always set in the task definition) the client verifies RDS's
#: certificate and name against the downloaded bundle; without it (tests against a local
#: MariaDB) it connects as the client's defaults say.
SCRIPT = r"""set -eu
TLS=""
if [ -n "${RDS_CA_URL:-}" ]; then
  curl -fsS --retry 3 -o /tmp/rds-ca.pem "$RDS_CA_URL"
  TLS="--ssl-mode=VERIFY_IDENTITY --ssl-ca=/tmp/rds-ca.pem"
fi
U="'$DB_USER'@'%'"
CS="CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
PW="IDENTIFIED BY '$TENANT_PASSWORD'"
case "$WPFLEET_ACTION" in
  create-database) SQL="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` $CS;" ;;
  drop-database) SQL="DROP DATABASE IF EXISTS \`$DB_NAME\`;" ;;
  create-user) SQL="CREATE USER IF NOT EXISTS $U $PW; ALTER USER $U $PW;
    GRANT ALL PRIVILEGES ON \`$DB_GRANT\`.* TO $U;" ;;
  drop-user) SQL="DROP USER IF EXISTS $U;" ;;
  *) echo "unknown action $WPFLEET_ACTION" >&2; exit 2 ;;
esac
# the SQL holds the tenant's password: stdin (printf is a builtin), never argv
# shellcheck disable=SC2086 # TLS is two options or none
printf '%s\n' "$SQL" | mysql $TLS -h "$DB_HOST" -P "$DB_PORT" -u "$MASTER_USERNAME"
echo "wpfleet db-init $WPFLEET_ACTION done"
"""


def task_definition(t: TenantAws) -> dict[str, Any]:
    names = t.names
    host, port = t.db_endpoint()
    master = full_secret_arn(t, t.require("rds_master_secret"))
    tenant_secret = full_secret_arn(t, names.db_secret)
    return {
        "family": names.db_init_family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": t.role_arn(names.db_init_role),
        "containerDefinitions": [
            {
                "name": CONTAINER,
                "image": DB_INIT_IMAGE,
                "essential": True,
                "memory": 512,  # moto's run_task needs memory on every container
                "mountPoints": [],  # as ECS describes it: an unchanged spec compares equal
                "command": ["sh", "-c", SCRIPT],
                "environment": [
                    {"name": "DB_HOST", "value": host},
                    {"name": "DB_PORT", "value": str(port)},
                    {"name": "DB_NAME", "value": names.database},
                    {"name": "DB_GRANT", "value": names.database.replace("_", "\\_")},
                    {"name": "DB_USER", "value": names.db_user},
                    {"name": "RDS_CA_URL", "value": RDS_CA_BUNDLE_URL},
                ],
                "secrets": [
                    {"name": "MASTER_USERNAME", "valueFrom": f"{master}:username::"},
                    {"name": "MYSQL_PWD", "valueFrom": f"{master}:password::"},
                    {"name": "TENANT_PASSWORD", "valueFrom": f"{tenant_secret}:password::"},
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{t.env}",
                        "awslogs-region": t.aws.region,
                        "awslogs-stream-prefix": f"db-init-{t.tenant}",
                    },
                },
            }
        ],
        "tags": [{"key": k, "value": v} for k, v in t.tags(names.db_init_family).items()],
    }


def full_secret_arn(t: TenantAws, name: str) -> str:
    """The secret's complete ARN (with AWS's 6-character suffix). A partial ARN in
    ``valueFrom`` only works by chance: ECS documents the full ARN, and a partial one
    that happens to end in ``-`` and 6 characters is taken for a full one."""
    meta = t.secret_meta(name)
    if meta is None:
        raise ValidationError(
            f"db-init for {t.tenant} in {t.env}: secret {name} does not exist",
            hint="the tenant's secret is created by the deploy before the database; the "
            "master secret must be aws.rds_master_secret",
        )
    return str(meta["ARN"])


def role_policy(t: TenantAws) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadMasterAndTenantSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    t.secret_arn_pattern(t.require("rds_master_secret")),
                    t.secret_arn_pattern(t.names.db_secret),
                ],
            },
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": t.arn("logs", f"log-group:/ecs/{t.env}:*"),
            },
        ],
    }


def ensure_prerequisites(t: TenantAws) -> str:
    """The db-init role and task definition; returns the task definition ARN. The latest
    ACTIVE revision is reused when it is what this run would register."""
    role = t.names.db_init_role
    if t.role(role) is None:
        iam.create_role(
            t.aws,
            role,
            iam.trust_policy("ecs-tasks.amazonaws.com"),
            t.tags(role),
            f"wpfleet db-init for {t.tenant} in {t.env}",
        )
        t.changed(f"role:{role}")
    if iam.get_role_policy(t.aws, role, DB_INIT_POLICY) != role_policy(t):
        iam.put_role_policy(t.aws, role, DB_INIT_POLICY, role_policy(t))
    spec = task_definition(t)
    found = ecs.find_task_definition(t.aws, spec["family"])
    if found is not None and _same(found[0], spec):
        return str(found[0]["taskDefinitionArn"])
    return str(ecs.register_task_definition(t.aws, **spec)["taskDefinitionArn"])


def _same(described: dict[str, Any], spec: dict[str, Any]) -> bool:
    from wpfleet.backends.aws.resources.task_definition import canonical

    top = ("executionRoleArn", "cpu", "memory")
    same_top = all(str(described.get(k)) == str(spec[k]) for k in top)
    commands = [c.get("command") for c in described.get("containerDefinitions", [])]
    wanted = [c.get("command") for c in spec["containerDefinitions"]]
    return same_top and commands == wanted and canonical(described) == canonical(spec)


def remove_prerequisites(t: TenantAws) -> None:
    """Destroy: the tenant's db-init task-definition revisions and its role go too."""
    oneoff.remove(t, t.names.db_init_family, t.names.db_init_role)


def run_action(t: TenantAws, action: str, *, timeout: float = 300.0) -> dict[str, Any]:
    """Run one action as a task and wait for it; a launch that cannot work yet (a new
    role not assumable, no Fargate capacity) is retried with growing pauses."""
    if action not in ACTIONS:
        raise ValueError(action)
    arn = ensure_prerequisites(t)
    environment = {"WPFLEET_ACTION": action}

    def attempt() -> dict[str, Any]:
        started = oneoff.launch(t, arn, started_by="wpfleet-db-init", container=CONTAINER,
                                environment=environment)  # fmt: skip
        return wait_for(t, t.require("cluster"), started, action, timeout)

    return oneoff.with_retries(t, attempt)


def wait_for(
    t: TenantAws, cluster: str, task_arn: str, action: str, timeout: float
) -> dict[str, Any]:
    """Poll (with growing delays) until the task stops; every container must exit 0.

    A task that has not stopped by ``timeout`` is a (retryable) error. moto never runs or
    stops tasks, so tests assert the request shape instead.
    """
    deadline = time.monotonic() + timeout
    delay = 2.0
    while True:
        tasks = ecs.describe_tasks(t.aws, cluster, [task_arn])
        task = tasks[0] if tasks else {}
        if task.get("lastStatus") == "STOPPED":
            codes = [c.get("exitCode") for c in task.get("containers", [])]
            if codes and all(c == 0 for c in codes):
                return task
            raise BackendError(
                f"db-init task {action} for {t.tenant} in {t.env} failed: exit codes {codes}, "
                f"{task.get('stoppedReason', '')}",
                hint=f"read the log group /ecs/{t.env}, stream prefix db-init-{t.tenant}",
                code="DbInitFailed",
            )
        if time.monotonic() >= deadline:
            raise BackendError(
                f"db-init task {action} for {t.tenant} in {t.env} did not stop within "
                f"{timeout:.0f} s",
                code="DbInitTimeout",
                retryable=True,
            )
        t.aws.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 1.5, 15.0)
