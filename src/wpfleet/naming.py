"""Every name wpfleet derives, and every limit those names must respect.

This is the only module that spells a resource name. The seeds' naming pitfalls are
solved here once: AWS names use dashes and carry the environment prefix
(``sit-goldencrust-tg``), MySQL names use underscores and none (``goldencrust_db``),
because each environment has its own database server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wpfleet.errors import NameLimitError, ValidationError

# Used with fullmatch: ``$`` alone would accept a trailing newline.
TENANT_ID_RE = re.compile(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*")
ENV_NAME_RE = re.compile(r"[a-z][a-z0-9]{0,9}")

TENANT_ID_RULE = (
    "a tenant id is lower-case ASCII letters, digits and single dashes, starts with a "
    "letter and does not end with a dash (e.g. 'goldencrust', 'sunset-bistro')"
)

# Limits from AWS and MySQL documentation (see notes/aws-and-moto.md).
TARGET_GROUP_MAX = 32
MYSQL_USER_MAX = 32
MYSQL_DATABASE_MAX = 64
IAM_ROLE_MAX = 64
IAM_POLICY_MAX = 128
SECRET_NAME_MAX = 512
ECS_NAME_MAX = 255
#: CloudWatch Logs: a log group name is 1-512 of [.-_/#A-Za-z0-9]
LOG_GROUP_MAX = 512
LOG_GROUP_NAME_RE = re.compile(r"^[.\-_/#A-Za-z0-9]+$")
PRIORITY_MIN = 1
PRIORITY_MAX = 50_000
TARGET_GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def check_tenant_id(tenant: str) -> None:
    """Refuse an id that is unsafe anywhere it is used (SQL, shell, DNS, file names)."""
    if not tenant:
        raise ValidationError("tenant id is empty", hint=TENANT_ID_RULE)
    if not TENANT_ID_RE.fullmatch(tenant):
        raise ValidationError(f"tenant id {tenant!r:.80} is not valid", hint=TENANT_ID_RULE)
    if len(tenant) > 63:
        raise ValidationError(
            f"tenant id {tenant!r:.80} is {len(tenant)} characters; a DNS label allows 63",
            hint="choose a shorter tenant id",
        )


def check_env_name(env: str) -> None:
    if not ENV_NAME_RE.fullmatch(env):
        raise ValidationError(
            f"environment name {env!r:.80} is not valid",
            hint="use 1-10 lower-case letters or digits, starting with a letter (dev, sit, prod)",
        )


@dataclass(frozen=True)
class TenantNames:
    """The names of everything one tenant owns in one environment."""

    tenant: str
    env: str
    host: str

    # --- AWS (dashes, env prefix) -------------------------------------------------
    @property
    def prefix(self) -> str:
        return f"{self.env}-{self.tenant}"

    @property
    def service(self) -> str:
        return f"{self.prefix}-service"

    @property
    def task_family(self) -> str:
        return self.prefix

    @property
    def target_group(self) -> str:
        return f"{self.prefix}-tg"

    @property
    def listener_rule(self) -> str:
        return f"{self.prefix}-rule"

    @property
    def access_point(self) -> str:
        return f"{self.prefix}-ap"

    @property
    def task_name_tag(self) -> str:
        return f"{self.prefix}-task"

    @property
    def db_secret(self) -> str:
        return f"{self.prefix}-db-credentials"

    @property
    def admin_secret(self) -> str:
        return f"{self.prefix}-wp-admin"

    @property
    def secrets_policy(self) -> str:
        """Inline policy name on the shared execution role (the seeds' iam_mode)."""
        return f"{self.env}-ecs-secrets-access-{self.tenant}"

    @property
    def execution_role(self) -> str:
        return f"{self.prefix}-exec-role"

    @property
    def task_role(self) -> str:
        return f"{self.prefix}-task-role"

    @property
    def db_init_family(self) -> str:
        """The one-off task that creates the database in ``db_mode: ecs-task``."""
        return f"{self.prefix}-db-init"

    @property
    def db_init_role(self) -> str:
        return f"{self.prefix}-db-init-role"

    @property
    def content_family(self) -> str:
        """The one-off task that moves wp-content to and from S3 (content on aws)."""
        return f"{self.prefix}-content"

    @property
    def content_role(self) -> str:
        return f"{self.prefix}-content-role"

    @property
    def content_prefix(self) -> str:
        """The tenant's key prefix in the environment's content bucket."""
        return f"wpfleet-content/{self.env}/{self.tenant}"

    @property
    def log_group(self) -> str:
        """The tenant's own CloudWatch Logs group (its WordPress container logs here, so
        its database-error metric filter counts its lines only)."""
        return f"{log_group(self.env)}/{self.tenant}"

    @property
    def log_stream_prefix(self) -> str:
        return self.tenant

    @property
    def efs_path(self) -> str:
        return f"/{self.tenant}"

    # --- MySQL (underscores, no env prefix: one server per environment) ----------
    @property
    def mysql_stem(self) -> str:
        return self.tenant.replace("-", "_")

    @property
    def database(self) -> str:
        return f"{self.mysql_stem}_db"

    @property
    def db_user(self) -> str:
        return f"{self.mysql_stem}_user"

    # --- local backend ----------------------------------------------------------------
    @property
    def pool(self) -> str:
        return self.prefix

    @property
    def config_document(self) -> str:
        return config_document_path(self.tenant, self.env)

    # --- checks -----------------------------------------------------------------------
    def limited(self) -> list[tuple[str, str, int]]:
        """(what, name, limit) for every name with a length limit."""
        return [
            ("target group name", self.target_group, TARGET_GROUP_MAX),
            ("MySQL user name", self.db_user, MYSQL_USER_MAX),
            ("MySQL database name", self.database, MYSQL_DATABASE_MAX),
            ("IAM execution role name", self.execution_role, IAM_ROLE_MAX),
            ("IAM task role name", self.task_role, IAM_ROLE_MAX),
            ("IAM db-init role name", self.db_init_role, IAM_ROLE_MAX),
            ("IAM content role name", self.content_role, IAM_ROLE_MAX),
            ("IAM policy name", self.secrets_policy, IAM_POLICY_MAX),
            ("ECS service name", self.service, ECS_NAME_MAX),
            ("secret name", self.db_secret, SECRET_NAME_MAX),
            ("log group name", self.log_group, LOG_GROUP_MAX),
        ]

    def problems(self) -> list[str]:
        """Every limit a derived name breaks, each naming the name; empty when all fit."""
        out = []
        for what, name, limit in self.limited():
            if len(name) > limit:
                out.append(f"{what} {name!r} is {len(name)} characters, over the limit of {limit}")
        if not TARGET_GROUP_NAME_RE.match(self.target_group):
            out.append(f"target group name {self.target_group!r} has characters AWS refuses")
        if not LOG_GROUP_NAME_RE.match(self.log_group):
            out.append(f"log group name {self.log_group!r} has characters AWS refuses")
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise NameLimitError(
                f"tenant {self.tenant!r} in {self.env}: " + "; ".join(problems),
                hint="choose a shorter tenant id",
            )


def tenant_names(tenant: str, env: str, domain_pattern: str) -> TenantNames:
    """Derive and check every name of ``tenant`` in ``env``; raise naming what breaks."""
    from wpfleet import grammar  # grammar builds on this module's tenant-id rule

    check_tenant_id(tenant)
    check_env_name(env)
    grammar.check_domain_pattern(domain_pattern)
    names = TenantNames(tenant=tenant, env=env, host=host_for(tenant, domain_pattern))
    grammar.check_host(names.host)
    names.check()
    return names


def host_for(tenant: str, domain_pattern: str) -> str:
    return domain_pattern.replace("{tenant}", tenant)


def check_priority(priority: int) -> None:
    if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise ValidationError(
            f"listener rule priority {priority} is outside {PRIORITY_MIN}-{PRIORITY_MAX}",
            hint="pick a priority inside the environment's range",
        )


# --- environment-level names ------------------------------------------------------------
def basic_auth_user(fleet: str, env: str) -> str:
    """The seeds' SIT user is ``bbws-sit``: fleet name, dash, environment."""
    return f"{fleet}-{env}"


def basic_auth_secret(env: str) -> str:
    return f"{env}-basic-auth-password"


def basic_auth_function(env: str) -> str:
    """The environment's Lambda@Edge basic-auth function (us-east-1)."""
    return f"{env}-wpfleet-basic-auth"


def basic_auth_role(env: str) -> str:
    return f"{env}-wpfleet-basic-auth-role"


# Inline policy names inside the per-tenant roles (one role per tenant, so fixed names).
EXEC_POLICY = "wpfleet-tenant-secrets"
TASK_POLICY = "wpfleet-tenant-efs"
DB_INIT_POLICY = "wpfleet-db-init-secrets"
CONTENT_POLICY = "wpfleet-content-access"


def log_group(env: str) -> str:
    """The environment's log group: one-off tasks (db-init) log here; each tenant's
    WordPress logs to its own ``/ecs/{env}/{tenant}`` (``TenantNames.log_group``)."""
    return f"/ecs/{env}"


def shared_execution_role(env: str) -> str:
    return f"{env}-ecs-task-execution-role"


def config_document_path(tenant: str, env: str) -> str:
    """The seeds' ``config/{env}/{tenant}.json`` (also with shell variables as parts)."""
    return f"config/{env}/{tenant}.json"


# --- GitHub Actions and Terraform (``wpfleet ci generate``, ``wpfleet tf export``) -------
#: every generated workflow file starts with this, so ``--check`` knows which are ours
CI_WORKFLOW_PREFIX = "wpfleet-"
#: the identity of the bot commits that write config documents back to git
CI_BOT_ACTOR = "github-actions[bot]"
CI_BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def ci_workflow(kind: str) -> str:
    """deploy, dispatch, promote, release, approve, drift."""
    return f"{CI_WORKFLOW_PREFIX}{kind}.yml"


def ci_tenant_workflow(tenant: str) -> str:
    return f"{CI_WORKFLOW_PREFIX}tenant-{tenant}.yml"


def ci_concurrency_group(tenant: str, env: str) -> str:
    return f"wpfleet-{env}-{tenant}"


def ci_status_context(tenant: str, env: str) -> str:
    """The commit status a deployment sets on the commit it deployed."""
    return f"wpfleet/{env}/{tenant}"


def ci_report_artifact(tenant: str, env: str) -> str:
    return f"wpfleet-verify-{env}-{tenant}"


def ci_document_artifact(tenant: str, env: str) -> str:
    return f"wpfleet-config-{env}-{tenant}"


def release_request_path(tenant: str, env: str) -> str:
    """The file a release pull request adds: merging it deploys that release to ``env``."""
    return f"releases/{env}/{tenant}.json"


def ci_release_branch(tenant: str, env: str) -> str:
    return f"wpfleet/release-{env}-{tenant}"


def tf_root_dir(tenant: str, env: str) -> str:
    """One root module per tenant and environment: no shared directory, no ``-target``."""
    return f"tenants/{tenant}/{env}"


def tf_state_key(tenant: str, env: str) -> str:
    return f"wpfleet/{env}/{tenant}/terraform.tfstate"
