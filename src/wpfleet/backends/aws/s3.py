"""S3: configuration documents."""

from __future__ import annotations

import json
from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession


def put_object_json(aws: AwsSession, bucket: str, key: str, doc: dict[str, Any]) -> None:
    aws.call(
        "s3",
        "put_object",
        Bucket=bucket,
        Key=key,
        Body=json.dumps(doc, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
        ServerSideEncryption="AES256",
    )


def get_object_json(aws: AwsSession, bucket: str, key: str) -> dict[str, Any] | None:
    found = absent_on_not_found(lambda: aws.call("s3", "get_object", Bucket=bucket, Key=key))
    return dict(json.loads(found["Body"].read())) if found else None


def delete_object(aws: AwsSession, bucket: str, key: str) -> None:
    absent_on_not_found(lambda: aws.call("s3", "delete_object", Bucket=bucket, Key=key))
