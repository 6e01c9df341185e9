"""Lambda (us-east-1, for Lambda@Edge): functions and published versions."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession

#: Lambda@Edge functions must live in us-east-1
EDGE_REGION = "us-east-1"


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
