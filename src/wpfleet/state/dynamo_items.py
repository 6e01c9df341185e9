"""DynamoDB items for the shared state store: numbers (floats as ``Decimal``), typed
attribute values, keys, and one boto3 client per (service, credentials, region,
endpoint) and process."""

from __future__ import annotations

import math
import os
import threading
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from wpfleet.aws.session import CLIENT_CONFIG, new_boto_session


# --- numbers ------------------------------------------------------------------------------
def to_dynamo(value: Any) -> Any:
    """Plain data → what boto3's DynamoDB serializer accepts (floats become Decimal)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot store {value!r} in DynamoDB")
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """The reverse of ``to_dynamo``: Decimal becomes int when integral, else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


# --- clients ------------------------------------------------------------------------------
_CLIENTS: dict[tuple[str, str | None, str, str | None, int], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def shared_client(service: str, profile: str | None, region: str, endpoint: str | None) -> Any:
    """One client per (service, credentials, region, endpoint) and process: creating one
    costs ~0.1 s and botocore clients are thread-safe, but they do not survive a fork."""
    key = (service, profile, region, endpoint, os.getpid())
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            session = new_boto_session(profile, region)
            _CLIENTS[key] = session.client(
                service,
                region_name=region,
                endpoint_url=endpoint,
                config=CLIENT_CONFIG,
            )
        return _CLIENTS[key]


# --- item encoding -------------------------------------------------------------------------
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def typed(item: dict[str, Any]) -> dict[str, Any]:
    """Plain dict → DynamoDB's typed attribute values."""
    return {k: _SERIALIZER.serialize(to_dynamo(v)) for k, v in item.items()}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed attribute values → plain dict."""
    return {k: from_dynamo(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
