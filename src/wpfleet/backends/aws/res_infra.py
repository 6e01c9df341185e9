"""Infra phase, storage and compute: EFS access point, task definition, target group."""

from __future__ import annotations

from typing import Any

from wpfleet import limits
from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import ecs, efs, elbv2
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State

WWW_DATA = 33
CONTAINER = "wordpress"


class AccessPoint(AwsResource):
    id = "infra/access-point"
    phase = Phase.INFRA
    description = "EFS access point /{tenant} (uid/gid 33)"

    def read(self) -> Fact | None:
        ap = self.t.access_point()
        if ap is None:
            return None
        root = ap.get("RootDirectory", {})
        posix = ap.get("PosixUser", {})
        state = {
            "id": ap["AccessPointId"],
            "path": root.get("Path"),
            "uid": posix.get("Uid"),
            "gid": posix.get("Gid"),
            "permissions": root.get("CreationInfo", {}).get("Permissions"),
        }
        return self.fact(state, ap.get("Tags"))

    def desired(self) -> State:
        return {"path": self.names.efs_path, "uid": WWW_DATA, "gid": WWW_DATA, "permissions": "755"}

    def create(self) -> None:
        """ClientToken makes a repeated create (a killed run) return the same access point."""
        created = efs.create_access_point(
            self.aws,
            ClientToken=self.names.access_point[:64],
            FileSystemId=self.t.require("efs_id"),
            PosixUser={"Uid": WWW_DATA, "Gid": WWW_DATA},
            RootDirectory={
                "Path": self.names.efs_path,
                "CreationInfo": {
                    "OwnerUid": WWW_DATA,
                    "OwnerGid": WWW_DATA,
                    "Permissions": "755",
                },
            },
            Tags=T.as_key_value(self.t.tags(self.names.access_point)),
        )
        created.setdefault("Tags", T.as_key_value(self.t.tags(self.names.access_point)))
        self.t.remember(f"ap:{self.names.access_point}", created)

    def update(self, target: State) -> None:
        """Access points are immutable; only tags can change (adoption)."""
        fact = self.read()
        if fact is not None:
            if self.wants_tags(target):
                tags = self.t.tags(self.names.access_point)
                efs.tag_resource(self.aws, fact.state["id"], tags)
            else:
                efs.untag_resource(self.aws, fact.state["id"], T.OWNERSHIP_KEYS)
            self.t.changed(f"ap:{self.names.access_point}")

    def delete(self) -> None:
        fact = self.read()
        if fact is not None:
            efs.delete_access_point(self.aws, fact.state["id"])
            self.t.changed(f"ap:{self.names.access_point}")

    def ownership_data(self) -> State:
        fact = self.read()
        return {"id": fact.state["id"]} if fact else {}


# --- task definition ---------------------------------------------------------------------
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
                "awslogs-group": f"/ecs/{t.env}",
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
        )

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
            if not self.wants_tags(target):
                ecs.untag_resource(self.aws, fact.state["arn"], T.OWNERSHIP_KEYS)
                self.t.changed(f"td:{self.names.task_family}")
            elif not fact.tagged:
                ecs.tag_resource(self.aws, fact.state["arn"], self.t.tags(self.names.task_name_tag))
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


# --- target group ------------------------------------------------------------------------
HEALTH_CHECK = {
    "HealthCheckEnabled": True,
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPath": "/",
    "HealthCheckIntervalSeconds": 30,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 2,
    "UnhealthyThresholdCount": 3,
    "Matcher": {"HttpCode": "200,301,302"},
}


def find_target_group(t: TenantAws) -> dict[str, Any] | None:
    return t.target_group()


def count_rules(t: TenantAws) -> int:
    return sum(1 for r in t.rules() if not r.get("IsDefault"))


class TargetGroup(AwsResource):
    id = "infra/target-group"
    phase = Phase.INFRA
    description = "ALB target group (ip targets, the seeds' health check)"

    def read(self) -> Fact | None:
        tg = find_target_group(self.t)
        if tg is None:
            return None
        tags = elbv2.describe_tags(self.aws, [tg["TargetGroupArn"]]).get(tg["TargetGroupArn"])
        state = {
            "name": tg["TargetGroupName"],
            "arn": tg["TargetGroupArn"],
            "port": tg.get("Port"),
            "protocol": tg.get("Protocol"),
            "target_type": tg.get("TargetType"),
            "vpc_id": tg.get("VpcId"),
            "health_check": {k: tg.get(k) for k in HEALTH_CHECK},
        }
        return self.fact(state, tags)

    def desired(self) -> State:
        """Also checks, before any mutating call, the name and the room on the ALB."""
        limits.check_target_group_name(self.names.target_group)
        if find_target_group(self.t) is None:
            limits.check_room_on_alb(
                count_rules(self.t), len(self.t.lb_target_groups()), f"{self.t.env}"
            )
        return {
            "name": self.names.target_group,
            "port": 80,
            "protocol": "HTTP",
            "target_type": "ip",
            "vpc_id": self.t.require("vpc_id"),
            "health_check": dict(HEALTH_CHECK),
        }

    def create(self) -> None:
        try:
            created = elbv2.create_target_group(
                self.aws,
                Name=self.names.target_group,
                Protocol="HTTP",
                Port=80,
                VpcId=self.t.require("vpc_id"),
                TargetType="ip",
                Tags=T.as_key_value(self.t.tags(self.names.target_group)),
                **HEALTH_CHECK,
            )
        except AwsConflict:
            # a killed run's target group: AWS returns it, moto refuses the duplicate
            self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")
            if find_target_group(self.t) is None:
                raise
            self.update(self.desired())
            return
        self.t.remember(f"tg:{self.names.target_group}", created)

    def update(self, target: State) -> None:
        tg = find_target_group(self.t)
        if tg is None:
            return
        arn = tg["TargetGroupArn"]
        if self.wants_tags(target):
            elbv2.add_tags(self.aws, arn, self.t.tags(self.names.target_group))
        else:
            elbv2.remove_tags(self.aws, arn, T.OWNERSHIP_KEYS)
        health = {
            k: v for k, v in target.get("health_check", HEALTH_CHECK).items() if v is not None
        }
        health.pop("HealthCheckEnabled", None)
        elbv2.modify_target_group(self.aws, TargetGroupArn=arn, **health)
        self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")

    def delete(self) -> None:
        tg = find_target_group(self.t)
        if tg is not None:
            elbv2.delete_target_group(self.aws, tg["TargetGroupArn"])
        self.t.changed(f"tg:{self.names.target_group}", "all-target-groups")
        self.t.rules_changed()

    def ownership_data(self) -> State:
        return {"name": self.names.target_group}
