"""ECS: clusters, task definitions, services, one-off tasks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T
from wpfleet.checks import poll
from wpfleet.errors import BackendError

#: describe_services takes at most 10 services per call
DESCRIBE_SERVICES_MAX = 10


def describe_clusters(aws: AwsSession, names: list[str]) -> list[dict[str, Any]]:
    return list(aws.call("ecs", "describe_clusters", clusters=names).get("clusters", []))


def describe_task_definition(aws: AwsSession, family: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The latest ACTIVE revision of ``family`` and its tags; NotFoundError when none."""
    resp = aws.call("ecs", "describe_task_definition", taskDefinition=family, include=["TAGS"])
    return dict(resp["taskDefinition"]), T.to_map(resp.get("tags"))


def find_task_definition(
    aws: AwsSession, family: str
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The latest ACTIVE revision, or None. AWS describes a bare family as its latest
    ACTIVE revision; moto returns the latest even when INACTIVE, so then the ACTIVE
    ones are listed and the newest is described."""
    found = absent_on_not_found(lambda: describe_task_definition(aws, family))
    if found is None or found[0].get("status", "ACTIVE") == "ACTIVE":
        return found
    active = [
        arn
        for arn in list_task_definitions(aws, family)
        if arn.rsplit("/", 1)[-1].rpartition(":")[0] == family
    ]
    if not active:
        return None
    newest = max(active, key=lambda arn: int(arn.rpartition(":")[2]))
    return describe_task_definition(aws, newest)


def register_task_definition(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("ecs", "register_task_definition", **spec)["taskDefinition"])


def deregister_task_definition(aws: AwsSession, arn: str) -> None:
    absent_on_not_found(lambda: aws.call("ecs", "deregister_task_definition", taskDefinition=arn))


def list_task_definitions(aws: AwsSession, family: str) -> list[str]:
    """ACTIVE revisions of every family starting with ``family`` (filter exact matches)."""
    return list(
        aws.paginate(
            "ecs",
            "list_task_definitions",
            "taskDefinitionArns",
            familyPrefix=family,
            status="ACTIVE",
        )
    )


def describe_services(aws: AwsSession, cluster: str, names: list[str]) -> list[dict[str, Any]]:
    """ACTIVE or DRAINING services among ``names`` (batched by 10, the batches asked
    concurrently: 100 tenants take one round trip, not ten), with their tags."""
    from concurrent.futures import ThreadPoolExecutor

    def one(chunk: list[str]) -> list[dict[str, Any]]:
        resp = aws.call(
            "ecs", "describe_services", cluster=cluster, services=chunk, include=["TAGS"]
        )
        return [s for s in resp.get("services", []) if s.get("status") != "INACTIVE"]

    chunks = [
        names[i : i + DESCRIBE_SERVICES_MAX] for i in range(0, len(names), DESCRIBE_SERVICES_MAX)
    ]
    if len(chunks) <= 1:
        return [s for c in chunks for s in one(c)]
    with ThreadPoolExecutor(max_workers=min(10, len(chunks))) as pool:
        return [s for found in pool.map(one, chunks) for s in found]


def create_service(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("ecs", "create_service", **spec)["service"])


def update_service(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("ecs", "update_service", **spec)["service"])


def delete_service(aws: AwsSession, cluster: str, name: str) -> None:
    absent_on_not_found(
        lambda: aws.call("ecs", "delete_service", cluster=cluster, service=name, force=True)
    )


def wait_until_drained(
    aws: AwsSession,
    cluster: str,
    name: str,
    *,
    timeout: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Wait while a deleted service is DRAINING: AWS refuses to create a service of the
    same name until it is INACTIVE (moto skips the draining, so this returns at once)."""

    def drained() -> bool:
        return not any(
            s.get("status") == "DRAINING" for s in describe_services(aws, cluster, [name])
        )

    backoff = poll.Backoff(2.0, 30.0, factor=1.5, jitter=0.0)
    if not poll.wait_for(drained, timeout, backoff, clock=clock, sleep=sleep):
        raise BackendError(
            f"ECS service {name} is still draining after {timeout:.0f}s",
            hint="wait for its tasks to stop, then re-run the command",
            retryable=True,
        )


def tag_resource(aws: AwsSession, arn: str, tags: dict[str, str]) -> None:
    aws.call("ecs", "tag_resource", resourceArn=arn, tags=T.as_ecs(tags))


def untag_resource(aws: AwsSession, arn: str, keys: list[str]) -> None:
    aws.call("ecs", "untag_resource", resourceArn=arn, tagKeys=keys)


def run_task(aws: AwsSession, **spec: Any) -> list[dict[str, Any]]:
    resp = aws.call("ecs", "run_task", **spec)
    if resp.get("failures"):
        from wpfleet.errors import BackendError

        raise BackendError(f"ecs.run_task: {resp['failures']}", code="RunTaskFailure")
    return list(resp.get("tasks", []))


def describe_tasks(aws: AwsSession, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
    return list(aws.call("ecs", "describe_tasks", cluster=cluster, tasks=arns).get("tasks", []))


def running_task_arns(aws: AwsSession, cluster: str, service: str) -> list[str]:
    resp = aws.call(
        "ecs", "list_tasks", cluster=cluster, serviceName=service, desiredStatus="RUNNING"
    )
    return list(resp.get("taskArns", []))
