"""IAM: least privilege per tenant.

``per-tenant-roles`` (default): an execution role that can read only the tenant's two
secrets, and a task role that can mount only the tenant's EFS access point (IAM auth).
``shared-role`` (the seeds): an inline policy per tenant on the environment's shared
execution role; the 10,240-character cap on all inline policies of one role is checked
before adding to it.
"""

from __future__ import annotations

from typing import Any

from wpfleet.backends.aws import iam
from wpfleet.backends.aws.resources.access_point import access_point_arn
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ValidationError
from wpfleet.naming import EXEC_POLICY, TASK_POLICY

ECS_TASKS = "ecs-tasks.amazonaws.com"


def exec_policy(t: TenantAws) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnSecretsOnly",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    t.secret_arn_pattern(t.names.db_secret),
                    t.secret_arn_pattern(t.names.admin_secret),
                ],
            },
            {
                "Sid": "PullImages",
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ],
                "Resource": "*",
            },
            {
                "Sid": "WriteOwnLogsOnly",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": t.arn("logs", f"log-group:{t.names.log_group}:*"),
            },
        ],
    }


def seeds_secrets_policy(t: TenantAws) -> dict[str, Any]:
    """The seeds' create_iam_policy.sh document (GetSecretValue on the tenant's secret)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    t.secret_arn_pattern(t.names.db_secret),
                    t.secret_arn_pattern(t.names.admin_secret),
                ],
            }
        ],
    }


def own_access_point_statement(t: TenantAws, ap_arn: str) -> dict[str, Any]:
    """Mount and write the environment's file system through ``ap_arn`` only."""
    fs_arn = t.arn("elasticfilesystem", f"file-system/{t.require('efs_id')}")
    return {
        "Sid": "OwnAccessPointOnly",
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": fs_arn,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ap_arn}},
    }


def task_policy(t: TenantAws) -> dict[str, Any]:
    ap_arn = access_point_arn(t) or t.arn("elasticfilesystem", "access-point/pending")
    return {"Version": "2012-10-17", "Statement": [own_access_point_statement(t, ap_arn)]}


class RoleResource(AwsResource):
    """A tagged per-tenant role trusted by ECS tasks, with one inline policy."""

    policy_name: str

    def role_name(self) -> str:
        raise NotImplementedError

    def policy(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self) -> Fact | None:
        role = self.t.role(self.role_name())
        if role is None:
            return None
        tags = role.get("Tags") or iam.list_role_tags(self.aws, self.role_name())
        policy = iam.get_role_policy(self.aws, self.role_name(), self.policy_name)
        return self.fact({"name": self.role_name(), "policy": policy}, tags)

    def desired(self) -> State:
        return {"name": self.role_name(), "policy": self.policy()}

    def create(self) -> None:
        name = self.role_name()
        if self.t.role(name) is None:
            iam.create_role(
                self.aws, name, iam.trust_policy(ECS_TASKS), self.t.tags(name), self.description
            )
        else:
            iam.tag_role(self.aws, name, self.t.tags(name))
        self.t.changed(f"role:{name}")
        iam.put_role_policy(self.aws, name, self.policy_name, self.policy())

    def update(self, target: State) -> None:
        name = self.role_name()
        self.reconcile_tags(target, name, name, iam.tag_role, iam.untag_role)
        self.t.changed(f"role:{name}")
        if target.get("policy"):
            iam.put_role_policy(self.aws, name, self.policy_name, target["policy"])
        else:
            iam.delete_role_policy(self.aws, name, self.policy_name)

    def delete(self) -> None:
        iam.delete_role(self.aws, self.role_name())
        self.t.changed(f"role:{self.role_name()}")

    def ownership_data(self) -> State:
        return {"role": self.role_name()}


class ExecRole(RoleResource):
    id = "database/exec-role"
    phase = Phase.DATABASE
    depends_on = ("database/secret", "database/admin-secret")
    description = "execution role: reads only the tenant's own secrets"
    policy_name = EXEC_POLICY

    def role_name(self) -> str:
        return self.names.execution_role

    def policy(self) -> dict[str, Any]:
        return exec_policy(self.t)


class TaskRole(RoleResource):
    id = "infra/task-role"
    phase = Phase.INFRA
    depends_on = ("infra/access-point",)
    description = "task role: mounts only the tenant's own EFS access point"
    policy_name = TASK_POLICY

    def role_name(self) -> str:
        return self.names.task_role

    def policy(self) -> dict[str, Any]:
        return task_policy(self.t)


class SharedSecretsPolicy(AwsResource):
    """The seeds' inline policy ``{env}-ecs-secrets-access-{tenant}`` on the shared role."""

    id = "database/secrets-policy"
    phase = Phase.DATABASE
    depends_on = ("database/secret", "database/admin-secret")
    description = "inline policy on the shared execution role for the tenant's secrets"

    @property
    def role(self) -> str:
        return self.t.require("execution_role")

    def read(self) -> Fact | None:
        doc = iam.get_role_policy(self.aws, self.role, self.names.secrets_policy)
        if doc is None:
            return None
        return Fact({"role": self.role, "policy": doc}, tagged=None)

    def desired(self) -> State:
        return {"role": self.role, "policy": seeds_secrets_policy(self.t)}

    def create(self) -> None:
        self.update(self.desired())

    def update(self, target: State) -> None:
        check_inline_policy_cap(self.t, self.role, self.names.secrets_policy, target["policy"])
        iam.put_role_policy(self.aws, self.role, self.names.secrets_policy, target["policy"])

    def delete(self) -> None:
        iam.delete_role_policy(self.aws, self.role, self.names.secrets_policy)

    def ownership_data(self) -> State:
        return {"role": self.role, "policy": self.names.secrets_policy}


def check_inline_policy_cap(t: TenantAws, role: str, policy: str, doc: dict[str, Any]) -> None:
    """Refuse (before put_role_policy) a policy that takes the role past 10,240 chars."""
    others = 0
    for name in iam.list_role_policies(t.aws, role):
        if name != policy:
            others += len(iam.policy_json(iam.get_role_policy(t.aws, role, name) or {}))
    size = len(iam.policy_json(doc))
    if others + size > iam.INLINE_POLICY_TOTAL_MAX:
        raise ValidationError(
            f"adding inline policy {policy} ({size} characters) to role {role} would make "
            f"its inline policies {others + size} characters, over the IAM cap of "
            f"{iam.INLINE_POLICY_TOTAL_MAX} (the others already take {others})",
            hint="use iam_mode: per-tenant-roles (a role per tenant) for this environment",
        )
