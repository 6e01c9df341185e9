"""Lambda (us-east-1, for Lambda@Edge): functions and published versions."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found, call_with_retry
from wpfleet.aws.session import AwsSession

#: Lambda@Edge functions must live in us-east-1
EDGE_REGION = "us-east-1"

#: the waiters poll every WAIT_DELAY seconds, WAIT_ATTEMPTS times (5 min): a small
#: function leaves Pending / InProgress within seconds
WAIT_DELAY = 5
WAIT_ATTEMPTS = 60


def get_function(aws: AwsSession, name: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("lambda", "get_function", region=EDGE_REGION, FunctionName=name)
    )
    return dict(found) if found else None


def create_function(aws: AwsSession, **spec: Any) -> dict[str, Any]:
    return dict(aws.call("lambda", "create_function", region=EDGE_REGION, **spec))


def update_function_code(aws: AwsSession, name: str, zip_bytes: bytes) -> dict[str, Any]:
    return dict(
        aws.call(
            "lambda",
            "update_function_code",
            region=EDGE_REGION,
            FunctionName=name,
            ZipFile=zip_bytes,
        )
    )


def publish_version(aws: AwsSession, name: str) -> dict[str, Any]:
    return dict(aws.call("lambda", "publish_version", region=EDGE_REGION, FunctionName=name))


def delete_function(aws: AwsSession, name: str) -> None:
    absent_on_not_found(
        lambda: aws.call("lambda", "delete_function", region=EDGE_REGION, FunctionName=name)
    )


def wait(aws: AwsSession, waiter: str, name: str, qualifier: str | None = None) -> None:
    """Block on one of Lambda's waiters.

    AWS: after CreateFunction the function (and the version it published) is ``Pending``
    and CloudFront refuses to associate it; after UpdateFunctionCode ``LastUpdateStatus``
    is ``InProgress`` and PublishVersion answers ResourceConflictException. So:
    ``function_active_v2`` and ``function_updated_v2`` before publishing,
    ``published_version_active`` before associating a version.
    """
    args: dict[str, Any] = {"FunctionName": name}
    if qualifier is not None:
        args["Qualifier"] = qualifier
    config = {"Delay": WAIT_DELAY, "MaxAttempts": WAIT_ATTEMPTS}
    client = aws.client("lambda", region=EDGE_REGION)
    call_with_retry(
        lambda: client.get_waiter(waiter).wait(**args, WaiterConfig=config),
        f"lambda.{waiter}",
        sleep=aws.sleep,
    )
