"""DynamoStore beyond the shared contract: bootstrap and number conversion."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal

import boto3
import pytest

from wpfleet.state.dynamodb import DynamoStore, from_dynamo, to_dynamo

from .stores import REGION


def test_floats_become_decimals_and_back() -> None:
    data = {"a": 0.1, "b": [1.5, 2, True, None, "x"], "c": {"d": 3.0}, "t": (1.25,)}
    stored = to_dynamo(data)
    assert stored == {
        "a": Decimal("0.1"), "b": [Decimal("1.5"), 2, True, None, "x"],
        "c": {"d": Decimal("3.0")}, "t": [Decimal("1.25")],
    }  # fmt: skip
    assert stored["b"][2] is True  # bool stays bool, not a number
    back = from_dynamo(stored)
    assert back == {"a": 0.1, "b": [1.5, 2, True, None, "x"], "c": {"d": 3}, "t": [1.25]}
    assert isinstance(back["c"]["d"], int) and isinstance(back["a"], float)
    with pytest.raises(ValueError, match="nan"):
        to_dynamo({"x": math.nan})


def test_bootstrap_creates_encrypted_table_and_bucket_once(moto_url: str) -> None:
    name = f"wpfleet-boot-{uuid.uuid4().hex[:10]}"
    store = DynamoStore(name, name, REGION, moto_url)
    assert store.bootstrap() == [f"dynamodb table {name}", f"s3 bucket {name}"]
    assert store.bootstrap() == []
    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_url)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"all", "tenant", "env"}
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_url)
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    store.put_document("config/dev/acme.json", {"ok": True})
    head = s3.head_object(Bucket=name, Key="config/dev/acme.json")
    assert head["ServerSideEncryption"] == "AES256"


def test_bootstrap_racing_another_runner(moto_url: str) -> None:
    """Both runners saw nothing and both create: the second must not fail."""
    name = f"wpfleet-race-{uuid.uuid4().hex[:10]}"
    first, second = (DynamoStore(name, name, REGION, moto_url) for _ in range(2))
    assert first._create_table() and first._create_bucket()
    assert not second._create_table() and not second._create_bucket()
    second.put_document("a", {"b": 1})
    assert first.get_document("a") == {"b": 1}
