"""The one-off content task: a Fargate task that mounts ONLY the tenant's EFS access
point (transit encryption and IAM authorization on) and moves its wp-content to or from
the environment's content bucket, under ``wpfleet-content/{env}/{tenant}/transfer/``.

Its role (``{env}-{tenant}-content-role``) may mount that access point and read/write
that prefix, nothing else; it is created on first use and removed with the access point
(destroy). The container runs ``content_task.py`` (with ``wpfleet.treearchive`` inlined)
on AWS's Lambda Python image, which ships boto3; no secret is in the task definition or
the ``run_task`` overrides (only the action and the object key).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any

from botocore.exceptions import WaiterError

from wpfleet import treearchive
from wpfleet.backends.aws import content_task, ecs, iam, oneoff
from wpfleet.backends.aws.resources.roles import own_access_point_statement
from wpfleet.backends.aws.resources.task_definition import task_roles
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.errors import BackendError, NotFoundError
from wpfleet.naming import CONTENT_POLICY

#: AWS's Lambda base image for Python: Python 3.12 (tarfile's ``tar`` filter) and boto3
CONTENT_IMAGE = "public.ecr.aws/lambda/python:3.12"
CONTAINER = "content"
MOUNT = "/wp-content"
ACTIONS = ("export", "import")
SPEC_TAG = "wpfleet:spec"
#: the ECS ``tasks_stopped`` waiter's poll interval (seconds) and patience
WAIT_DELAY = 6
WAIT_TIMEOUT = 3600


def script() -> str:
    """``content_task.py`` with ``wpfleet.treearchive``'s source in place of its import:
    what the container runs with ``python3 -c`` (and the tests run on this machine)."""
    task = [
        line
        for line in inspect.getsource(content_task).splitlines()
        if not line.startswith(("from __future__ ", "from wpfleet."))
    ]
    return inspect.getsource(treearchive) + "\n\n# --- content_task ---\n" + "\n".join(task) + "\n"


def transfer_prefix(t: TenantAws) -> str:
    return f"{t.names.content_prefix}/transfer/"


def role_policy(t: TenantAws, bucket: str, access_point_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            own_access_point_statement(t, access_point_arn),
            {
                "Sid": "OwnTransfersOnly",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": f"arn:aws:s3:::{bucket}/{transfer_prefix(t)}*",
            },
        ],
    }


def task_definition(t: TenantAws, bucket: str, access_point_id: str) -> dict[str, Any]:
    names = t.names
    execution_role, _ = task_roles(t)
    spec = {
        "family": names.content_family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "1024",
        "executionRoleArn": execution_role,
        "taskRoleArn": t.role_arn(names.content_role),
        "containerDefinitions": [
            {
                "name": CONTAINER,
                "image": CONTENT_IMAGE,
                "essential": True,
                "memory": 1024,  # moto's run_task needs memory on every container
                "entryPoint": ["python3", "-c"],
                "command": [script()],
                "environment": [
                    {"name": "WPFLEET_ROOT", "value": MOUNT},
                    {"name": "WPFLEET_BUCKET", "value": bucket},
                    {"name": "AWS_DEFAULT_REGION", "value": t.aws.region},
                ],
                "mountPoints": [
                    {"sourceVolume": "wp-content", "containerPath": MOUNT, "readOnly": False}
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        # the tenant's own group: its execution role may write only there
                        "awslogs-group": names.log_group,
                        "awslogs-region": t.aws.region,
                        "awslogs-stream-prefix": "content",
                    },
                },
            }
        ],
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
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    tags = {**t.tags(names.content_family), SPEC_TAG: digest}
    return {**spec, "tags": [{"key": k, "value": v} for k, v in tags.items()]}


def ensure_prerequisites(t: TenantAws, bucket: str) -> str:
    """The content role (its policy brought up to date) and task definition; returns the
    task definition ARN. The latest ACTIVE revision is reused when its spec tag says it
    is what this run would register."""
    ap = t.access_point()
    if ap is None:
        raise NotFoundError(
            f"{t.tenant} has no EFS access point in {t.env}: nothing to copy",
            hint=f"deploy it first: wpfleet deploy {t.tenant} --env {t.env}",
        )
    role = t.names.content_role
    if t.role(role) is None:
        iam.create_role(t.aws, role, iam.trust_policy("ecs-tasks.amazonaws.com"),
                        t.tags(role), f"wpfleet content task of {t.tenant} in {t.env}")  # fmt: skip
        t.changed(f"role:{role}")
    policy = role_policy(t, bucket, str(ap["AccessPointArn"]))
    if iam.get_role_policy(t.aws, role, CONTENT_POLICY) != policy:
        iam.put_role_policy(t.aws, role, CONTENT_POLICY, policy)
    spec = task_definition(t, bucket, str(ap["AccessPointId"]))
    found = ecs.find_task_definition(t.aws, spec["family"])
    wanted = next(x["value"] for x in spec["tags"] if x["key"] == SPEC_TAG)
    if found is not None and found[1].get(SPEC_TAG) == wanted:
        return str(found[0]["taskDefinitionArn"])
    return str(ecs.register_task_definition(t.aws, **spec)["taskDefinitionArn"])


def remove_prerequisites(t: TenantAws) -> None:
    """Destroy: the content task's revisions and its role go with the access point."""
    oneoff.remove(t, t.names.content_family, t.names.content_role)


def run(t: TenantAws, bucket: str, action: str, key: str) -> dict[str, Any]:
    """Run one ``action`` on ``s3://bucket/key`` and wait for the task to stop; a launch
    refused because the new role is not assumable yet, or for want of Fargate capacity,
    is retried with growing pauses. The stopped task, when its container exited 0."""
    if action not in ACTIONS or not key.startswith(transfer_prefix(t)):
        raise ValueError((action, key))
    arn = ensure_prerequisites(t, bucket)
    environment = {"WPFLEET_ACTION": action, "WPFLEET_KEY": key}

    def attempt() -> dict[str, Any]:
        started = oneoff.launch(t, arn, started_by="wpfleet-content", container=CONTAINER,
                                environment=environment)  # fmt: skip
        return wait_for(t, started, action)

    return oneoff.with_retries(t, attempt)


def wait_for(t: TenantAws, task_arn: str, action: str) -> dict[str, Any]:
    """ECS's ``tasks_stopped`` waiter, then the verdict: the container must have exited
    0. Anything else (a non-zero exit, a container that never started: image pull, EFS
    mount, role) is an error naming the exit code and ECS's reasons."""
    cluster = t.require("cluster")
    waiter = t.aws.client("ecs").get_waiter("tasks_stopped")
    try:
        waiter.wait(cluster=cluster, tasks=[task_arn],
                    WaiterConfig={"Delay": WAIT_DELAY, "MaxAttempts": _attempts()})  # fmt: skip
    except WaiterError as exc:
        raise BackendError(
            f"content {action} task of {t.tenant} in {t.env} did not stop within "
            f"{WAIT_TIMEOUT} s ({task_arn}): {exc}",
            hint=f"see it with `aws ecs describe-tasks --cluster {cluster} --tasks {task_arn}`",
            code="ContentTaskTimeout",
            retryable=True,
        ) from None
    found = ecs.describe_tasks(t.aws, cluster, [task_arn])
    task = found[0] if found else {}
    containers = [c for c in task.get("containers", []) if c.get("name") == CONTAINER]
    code = containers[0].get("exitCode") if containers else None
    if code == 0:
        return task
    reasons = (task.get("stoppedReason"), task.get("stopCode"),
               containers[0].get("reason") if containers else None)  # fmt: skip
    why = "; ".join(str(x) for x in reasons if x)
    raise BackendError(
        f"content {action} task of {t.tenant} in {t.env} failed: exit code {code}"
        + (f", {why}" if why else ""),
        hint=f"read the log group {t.names.log_group}, stream prefix content "
        f"(`wpfleet logs {t.tenant} --env {t.env}`)",
        code="ContentTaskFailed",
    )


def _attempts() -> int:
    return max(1, WAIT_TIMEOUT // max(WAIT_DELAY, 1))
