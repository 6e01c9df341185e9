"""One-off Fargate tasks (database init, content transfer): launched in the environment's
subnets and security group with no public IP, and retried while the launch cannot work
yet for reasons AWS documents as passing.

- ECS cannot assume a role for a few seconds after IAM created it (IAM is eventually
  consistent): RunTask answers "unable to assume the role", or the task stops with a
  ResourceInitializationError before its container starts.
- Fargate answers "Capacity is unavailable at this time" when it has none for the task
  at the moment; AWS's advice is to retry later
  (https://repost.aws/knowledge-center/ecs-fargate-runtask-capacity).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from wpfleet.backends.aws import ecs, iam
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.errors import BackendError

ROLE_NOT_ASSUMABLE = ("unable to assume the role", "ResourceInitializationError")
NO_CAPACITY = "Capacity is unavailable at this time"
PASSING = (*ROLE_NOT_ASSUMABLE, NO_CAPACITY)
LAUNCH_TRIES = 6

T = TypeVar("T")


def launch(
    t: TenantAws, task_definition_arn: str, *, started_by: str, container: str,
    environment: dict[str, str],
) -> str:  # fmt: skip
    """RunTask once; the task's ARN. ``environment`` overrides the container's."""
    tasks = ecs.run_task(
        t.aws,
        cluster=t.require("cluster"),
        taskDefinition=task_definition_arn,
        launchType="FARGATE",
        count=1,
        startedBy=started_by,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(t.settings.subnets),
                "securityGroups": [t.require("security_group")],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={
            "containerOverrides": [
                {
                    "name": container,
                    "environment": [{"name": k, "value": v} for k, v in environment.items()],
                }
            ]
        },
    )
    return str(tasks[0]["taskArn"])


def with_retries(t: TenantAws, attempt: Callable[[], T]) -> T:
    """``attempt()`` until it does not fail for a passing reason (growing pauses), at
    most LAUNCH_TRIES times; any other failure, or the last, is raised."""
    for n in range(LAUNCH_TRIES):
        try:
            return attempt()
        except BackendError as exc:
            if not any(m in exc.message for m in PASSING) or n == LAUNCH_TRIES - 1:
                raise
        t.aws.sleep(min(2.0 * 2**n, 30.0))
    raise AssertionError("unreachable")  # pragma: no cover


def remove(t: TenantAws, family: str, role: str) -> None:
    """Destroy: every revision of the task family and its role."""
    for arn in ecs.list_task_definitions(t.aws, family):
        if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
            ecs.deregister_task_definition(t.aws, arn)
    iam.delete_role(t.aws, role)
    t.changed(f"role:{role}")
