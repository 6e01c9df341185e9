"""Infra phase, compute: the tenant's ECS task definition (the seeds' ecs-tenant spec)."""

from __future__ import annotations

from typing import Any

from wpfleet import limits
from wpfleet.backends.aws import ecs
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State

CONTAINER = "wordpress"


def config_extra(url: str) -> str:
    return (
        "if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && "
        "$_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {\n"
        "    $_SERVER['HTTPS'] = 'on';\n}\n"
        "if (isset($_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO']) && "
        "$_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] === 'https') {\n"
        "    $_SERVER['HTTPS'] = 'on';\n}\n"
        "define('FORCE_SSL_ADMIN', true);\n"
        f"define('WP_HOME', '{url}');\n"
        f"define('WP_SITEURL', '{url}');\n"
    )


def task_roles(t: TenantAws) -> tuple[str, str]:
    """(execution role ARN, task role ARN) for the environment's iam_mode."""
    if t.settings.iam_mode == "per-tenant-roles":
        return t.role_arn(t.names.execution_role), t.role_arn(t.names.task_role)
    return t.role_arn(t.require("execution_role")), t.role_arn(t.require("task_role"))


def task_spec(t: TenantAws, access_point_id: str) -> dict[str, Any]:
    """The seeds' ecs-tenant task definition, register-ready and in canonical form."""
    names, tenant = t.names, t.ctx.tenant
    secret = t.secret_arn(names.db_secret)
    execution_role, task_role = task_roles(t)
    url = f"https://{names.host}"
    container = {
        "name": CONTAINER,
        "image": tenant.image,
        "essential": True,
        "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
        "environment": sorted(
            [
                {"name": "WORDPRESS_DB_HOST", "value": t.db_host_value()},
                {"name": "WORDPRESS_DB_NAME", "value": names.database},
                {"name": "WORDPRESS_TABLE_PREFIX", "value": "wp_"},
                {"name": "WORDPRESS_CONFIG_EXTRA", "value": config_extra(url)},
            ],
            key=lambda e: e["name"],
        ),
        "secrets": [
            {"name": "WORDPRESS_DB_PASSWORD", "valueFrom": f"{secret}:password::"},
            {"name": "WORDPRESS_DB_USER", "valueFrom": f"{secret}:username::"},
        ],
        "mountPoints": [
            {
                "sourceVolume": "wp-content",
                "containerPath": "/var/www/html/wp-content",
                "readOnly": False,
            }
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": names.log_group,
                "awslogs-region": t.aws.region,
                "awslogs-stream-prefix": names.log_stream_prefix,
            },
        },
    }
    return {
        "family": names.task_family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(tenant.cpu),
        "memory": str(tenant.memory),
        "executionRoleArn": execution_role,
        "taskRoleArn": task_role,
        "containerDefinitions": [container],
        "volumes": [
            {
                "name": "wp-content",
                "efsVolumeConfiguration": {
                    "fileSystemId": t.require("efs_id"),
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": access_point_id, "iam": "ENABLED"},
                },
            }
        ],
    }


def canonical(described: dict[str, Any]) -> dict[str, Any]:
    """The subset of a described task definition that ``task_spec`` sets, same shape."""
    keys = (
        "name",
        "image",
        "essential",
        "portMappings",
        "environment",
        "secrets",
        "mountPoints",
        "logConfiguration",
    )
    containers = []
    for c in described.get("containerDefinitions", []):
        item = {k: c[k] for k in keys if k in c}
        item["environment"] = sorted(item.get("environment", []), key=lambda e: e["name"])
        item["secrets"] = sorted(item.get("secrets", []), key=lambda e: e["name"])
        item["portMappings"] = [
            {"containerPort": p.get("containerPort"), "protocol": p.get("protocol", "tcp")}
            for p in item.get("portMappings", [])
        ]
        if "logConfiguration" in item:  # AWS adds "secretOptions": [] on describe
            log = item["logConfiguration"]
            item["logConfiguration"] = {"logDriver": log.get("logDriver"),
                                        "options": log.get("options", {})}  # fmt: skip
        containers.append(item)
    volumes = [
        {"name": v["name"], "efsVolumeConfiguration": _efs_config(v)}
        for v in described.get("volumes", [])
    ]
    top = (
        "family",
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "memory",
        "executionRoleArn",
        "taskRoleArn",
    )
    out = {k: described.get(k) for k in top}
    out["cpu"], out["memory"] = str(out["cpu"]), str(out["memory"])
    return {**out, "containerDefinitions": containers, "volumes": volumes}


def _efs_config(volume: dict[str, Any]) -> dict[str, Any]:
    """AWS fills in rootDirectory "/" (the access point decides the root): drop it."""
    config = dict(volume.get("efsVolumeConfiguration", {}))
    if config.get("rootDirectory") in ("/", None):
        config.pop("rootDirectory", None)
    return config


class TaskDefinition(AwsResource):
    id = "infra/task-definition"
    phase = Phase.INFRA
    description = "ECS task definition (a new revision only when the content differs)"

    def __init__(self, t: TenantAws) -> None:
        super().__init__(t)
        self.depends_on = (
            ("infra/access-point", "database/secret", "database/exec-role", "infra/task-role")
            if t.settings.iam_mode == "per-tenant-roles"
            else ("infra/access-point", "database/secret", "database/secrets-policy")
        ) + ("infra/log-group",)

    def read(self) -> Fact | None:
        found = self.t.task_definition()
        if found is None:
            return None
        described, tags = found
        state = {
            "family": described["family"],
            "revision": described["revision"],
            "arn": described["taskDefinitionArn"],
            "spec": canonical(described),
        }
        return self.fact(state, tags)

    def desired(self) -> State:
        tenant = self.t.ctx.tenant
        limits.check_fargate(tenant.cpu, tenant.memory, f"{tenant.id} in {self.t.env}")
        ap = self.t.access_point()
        ap_id = str(ap["AccessPointId"]) if ap else "fsap-pending"
        return {"family": self.names.task_family, "spec": canonical(task_spec(self.t, ap_id))}

    def create(self) -> None:
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Register ``target``'s spec as a new revision unless the latest already is it."""
        fact = self.read()
        tags = T.as_ecs(self.t.tags(self.names.task_name_tag))
        if fact is not None and fact.state["spec"] == target["spec"]:
            if not (self.wants_tags(target) and fact.tagged):
                arn, name = fact.state["arn"], self.names.task_name_tag
                self.reconcile_tags(target, name, arn, ecs.tag_resource, ecs.untag_resource)
                self.t.changed(f"td:{self.names.task_family}")
            return
        registered = ecs.register_task_definition(self.aws, **target["spec"], tags=tags)
        self.t.remember(f"td:{self.names.task_family}", (registered, T.to_map(tags)))

    def undo_update(self, before: State) -> None:
        """Deregister the revisions registered after ``before``'s: the old one is latest."""
        for arn in ecs.list_task_definitions(self.aws, self.names.task_family):
            family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
            if family == self.names.task_family and int(revision) > int(before["revision"]):
                ecs.deregister_task_definition(self.aws, arn)
        self.t.changed(f"td:{self.names.task_family}")

    def delete(self) -> None:
        for arn in ecs.list_task_definitions(self.aws, self.names.task_family):
            family = arn.rsplit("/", 1)[-1].rpartition(":")[0]
            if family == self.names.task_family:
                ecs.deregister_task_definition(self.aws, arn)
        self.t.changed(f"td:{self.names.task_family}")

    def ownership_data(self) -> State:
        return {"family": self.names.task_family}
