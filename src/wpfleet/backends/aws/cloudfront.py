"""CloudFront: the environment's distribution (described, and its viewer-request
Lambda@Edge association set by the basic-auth bootstrap)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession


def get_distribution_config(aws: AwsSession, dist_id: str) -> tuple[dict[str, Any], str] | None:
    found = absent_on_not_found(
        lambda: aws.call("cloudfront", "get_distribution_config", Id=dist_id)
    )
    if not found:
        return None
    return dict(found["DistributionConfig"]), str(found["ETag"])


def update_distribution(aws: AwsSession, dist_id: str, config: dict[str, Any], etag: str) -> None:
    aws.call(
        "cloudfront", "update_distribution", Id=dist_id, DistributionConfig=config, IfMatch=etag
    )


def list_distributions(aws: AwsSession) -> list[dict[str, Any]]:
    resp = aws.call("cloudfront", "list_distributions")
    return list(resp.get("DistributionList", {}).get("Items", []) or [])
