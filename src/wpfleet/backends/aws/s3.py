"""S3: configuration documents, content transfers and restore points."""

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


#: from this size on, a transfer is multipart (boto3's default, 8 MiB): an upload is
#: CreateMultipartUpload, UploadPart..., CompleteMultipartUpload (all ``s3:PutObject``
#: in IAM), or AbortMultipartUpload when it fails; a download is ranged GetObjects
MULTIPART_THRESHOLD = 8 * 1024 * 1024


def _transfer() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD)


def upload_file(aws: AwsSession, path: str, bucket: str, key: str) -> None:
    """A local file to S3 (multipart when large), encrypted at rest."""
    aws.call("s3", "upload_file", Filename=path, Bucket=bucket, Key=key,
             ExtraArgs={"ServerSideEncryption": "AES256"}, Config=_transfer())  # fmt: skip


def download_file(aws: AwsSession, bucket: str, key: str, path: str) -> None:
    aws.call("s3", "download_file", Bucket=bucket, Key=key, Filename=path, Config=_transfer())


def list_keys(aws: AwsSession, bucket: str, prefix: str) -> list[str]:
    """Every key under ``prefix`` (all pages)."""
    pages = aws.paginate("s3", "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
    return [str(o["Key"]) for o in pages]


def delete_keys(aws: AwsSession, bucket: str, keys: list[str]) -> None:
    """DeleteObjects, 1,000 keys a call (its limit)."""
    for i in range(0, len(keys), 1000):
        objects = [{"Key": k} for k in keys[i : i + 1000]]
        aws.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
