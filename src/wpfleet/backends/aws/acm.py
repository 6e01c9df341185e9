"""ACM: the environment's wildcard certificate (only ever described)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession


def describe_certificate(aws: AwsSession, arn: str, region: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("acm", "describe_certificate", region=region, CertificateArn=arn)
    )
    return dict(found["Certificate"]) if found else None
