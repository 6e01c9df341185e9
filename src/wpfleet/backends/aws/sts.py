"""STS: who the credentials belong to."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.session import AwsSession


def get_caller_identity(aws: AwsSession) -> dict[str, Any]:
    return dict(aws.call("sts", "get_caller_identity"))
