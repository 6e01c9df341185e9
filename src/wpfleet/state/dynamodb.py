"""The shared state store: one DynamoDB table for records, one S3 bucket for documents.

For teams and CI runners that share state (the seeds keep state in S3 with DynamoDB
locks). ``bootstrap()`` creates both, encrypted, when they are missing.

Table design (``pk``/``sk`` strings, three global secondary indexes for history):

===================  =========================  ======================================
item                 pk                         sk
===================  =========================  ======================================
deployment           ``DEP#{id}``               ``DEP``
journal line         ``DEP#{id}``               ``J#{seq:012d}#{time_ns}{random}``
lock                 ``LOCK#{key}``             ``LOCK``
owned resource       ``OWN#{env}#{tenant}``     ``R#{resource_id}``
allocation           ``ALLOC#{env}#{kind}``     ``T#{tenant}`` (value) and ``V#{value}``
===================  =========================  ======================================

Guarantees:
- locks use conditional writes: a lock is written only when absent or still held by the
  named ``replace_owner``; release and refresh only when the caller is the owner;
- an allocation writes the tenant's item and the value's item in one transaction, both
  conditional on absence: two runners can never hold one value, and a tenant never
  holds two;
- reads of locks, journals, ownership and allocations are strongly consistent; the
  deployment history (``list_deployments``) reads an index and may lag a second;
- numbers: floats are stored as ``Decimal``; a float with an integral value may come back
  as an int (DynamoDB normalises numbers), except the typed timestamp fields;
- documents are JSON objects in S3 under their key, as they are (server-side encrypted).
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from wpfleet.backends.aws.errors import call_with_retry
from wpfleet.backends.aws.session import CLIENT_CONFIG, new_boto_session
from wpfleet.errors import BackendError, NotFoundError, UsageError, WpfleetError
from wpfleet.state import records
from wpfleet.state.base import Deployment, JournalEntry, Json, LockInfo, StateStore

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
#: allocation attempts under contention before giving up (each re-reads the partition)
MAX_ALLOCATE_ATTEMPTS = 50
INDEXES = {"all": "gsi_all", "tenant": "gsi_tenant", "env": "gsi_env"}


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


class DynamoStore(StateStore):
    def __init__(
        self,
        table: str,
        bucket: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table = table
        self.bucket = bucket
        self.region = region or boto3.Session(profile_name=profile).region_name
        if not self.region:
            raise UsageError(
                f"no AWS region for the state table {table}",
                hint="set state.region in the fleet file (or AWS_DEFAULT_REGION)",
            )
        self.endpoint_url = endpoint_url
        self.profile = profile
        self._sleep = sleep

    # --- plumbing ------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        return _shared_client(service, self.profile, str(self.region), self.endpoint_url)

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        method = getattr(self._client(service), operation)
        return call_with_retry(
            lambda: method(**kwargs), f"{service}.{operation}", sleep=self._sleep
        )

    def _db(self, operation: str, **kwargs: Any) -> Any:
        return self._call("dynamodb", operation, TableName=self.table, **kwargs)

    def _conditional(self, operation: str, **kwargs: Any) -> bool:
        """A conditional write; False when its condition did not hold."""
        try:
            self._db(operation, **kwargs)
        except BackendError as err:
            if err.code == CONDITION_FAILED:
                return False
            raise
        return True

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._db("get_item", Key=_key(pk, sk), ConsistentRead=True).get("Item")
        return _plain(item) if item else None

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a query, across pages."""
        out: list[dict[str, Any]] = []
        while True:
            page = self._db("query", **kwargs)
            out += [_plain(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _partition(self, pk: str, sk_prefix: str = "") -> list[dict[str, Any]]:
        """Every item of partition ``pk`` (whose sort key starts with ``sk_prefix``)."""
        condition, values = "pk = :pk", {":pk": {"S": pk}}
        if sk_prefix:
            condition += " AND begins_with(sk, :p)"
            values[":p"] = {"S": sk_prefix}
        return self._query(
            KeyConditionExpression=condition, ExpressionAttributeValues=values, ConsistentRead=True
        )

    def _put(self, item: dict[str, Any], **kwargs: Any) -> None:
        self._db("put_item", Item=_typed(item), **kwargs)

    # --- bootstrap -----------------------------------------------------------------------
    def bootstrap(self) -> list[str]:
        """Create the table and the bucket when missing, both encrypted; returns what
        was created (empty when both existed)."""
        created = []
        if not self._table_exists() and self._create_table():
            created.append(f"dynamodb table {self.table}")
        if not self._bucket_exists() and self._create_bucket():
            created.append(f"s3 bucket {self.bucket}")
        return created

    def _table_exists(self) -> bool:
        try:
            self._db("describe_table")
        except NotFoundError:
            return False
        return True

    def _create_table(self) -> bool:
        """Create and wait for the table; False when another runner created it first."""
        try:
            self._db("create_table", **self._table_spec())
            created = True
        except BackendError as err:
            if err.code != "ResourceInUseException":
                raise
            created = False
        waiter = self._client("dynamodb").get_waiter("table_exists")
        waiter.wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return created

    def _table_spec(self) -> dict[str, Any]:
        attrs = ["pk", "sk", "started", *INDEXES.values()]
        return dict(
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": attr, "KeyType": "HASH"},
                        {"AttributeName": "started", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index, attr in INDEXES.items()
            ],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
            Tags=[{"Key": "wpfleet:role", "Value": "state"}],
        )

    def _bucket_exists(self) -> bool:
        try:
            self._call("s3", "head_bucket", Bucket=self.bucket)
        except NotFoundError:
            return False
        except BackendError as err:
            if err.code in ("404", "NotFound"):
                return False
            raise
        return True

    def _create_bucket(self) -> bool:
        """Create the bucket and (again, harmlessly) its settings; False when another
        runner of ours created it first."""
        where = {}
        if self.region != "us-east-1":
            where = {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        created = True
        try:
            self._call("s3", "create_bucket", Bucket=self.bucket, **where)
        except BackendError as err:
            if err.code != "BucketAlreadyOwnedByYou":
                raise
            created = False
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        self._call(
            "s3",
            "put_bucket_encryption",
            Bucket=self.bucket,
            ServerSideEncryptionConfiguration={"Rules": [rule]},
        )
        block = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        self._call(
            "s3",
            "put_public_access_block",
            Bucket=self.bucket,
            PublicAccessBlockConfiguration=block,
        )
        self._call(
            "s3",
            "put_bucket_versioning",
            Bucket=self.bucket,
            VersioningConfiguration={"Status": "Enabled"},
        )
        return created

    # --- deployments -------------------------------------------------------------------
    def put_deployment(self, deployment: Deployment) -> None:
        d = deployment
        self._put(
            {
                "pk": f"DEP#{d.id}",
                "sk": "DEP",
                "gsi_all": "DEP",
                "gsi_tenant": f"T#{d.tenant}",
                "gsi_env": f"E#{d.env}",
                "started": f"{d.started_at:020.6f}#{d.id}",
                "data": d.as_dict(),
            }
        )

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        item = self._get(f"DEP#{deployment_id}", "DEP")
        return records.deployment(item["data"]) if item else None

    def list_deployments(
        self, tenant: str | None = None, env: str | None = None, limit: int = 50
    ) -> list[Deployment]:
        if tenant is not None:
            index, value = "tenant", f"T#{tenant}"
        elif env is not None:
            index, value = "env", f"E#{env}"
        else:
            index, value = "all", "DEP"
        out: list[Deployment] = []
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#h": INDEXES[index]},
            "ExpressionAttributeValues": {":h": {"S": value}},
            "ScanIndexForward": False,
        }
        while len(out) < limit:
            page = self._db("query", Limit=limit, **kwargs)
            found = [records.deployment(_plain(i)["data"]) for i in page.get("Items", [])]
            out += [d for d in found if env is None or d.env == env]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out[:limit]

    # --- journal -----------------------------------------------------------------------
    def append_journal(self, entry: JournalEntry) -> None:
        # time + random after seq: two lines of one step both stay, in append order
        sk = f"J#{entry.seq:012d}#{time.time_ns():020d}{secrets.token_hex(3)}"
        self._put({"pk": f"DEP#{entry.deployment_id}", "sk": sk, "data": entry.as_dict()})

    def journal(self, deployment_id: str) -> list[JournalEntry]:
        items = self._partition(f"DEP#{deployment_id}", "J#")
        return [records.journal_entry(i["data"]) for i in items]

    # --- locks -------------------------------------------------------------------------
    def try_lock(self, lock: LockInfo, replace_owner: str | None = None) -> LockInfo | None:
        condition, extra = "attribute_not_exists(pk)", {}
        if replace_owner is not None:
            condition += " OR #owner = :replace"
            extra = {
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {":replace": {"S": replace_owner}},
            }
        item = _typed({"pk": f"LOCK#{lock.key}", "sk": "LOCK", **asdict(lock)})
        for _ in range(5):
            if self._conditional("put_item", Item=item, ConditionExpression=condition, **extra):
                return None
            holder = self.get_lock(lock.key)
            if holder is not None:
                # our own owner id: a retried write whose first attempt had succeeded
                return None if holder.owner == lock.owner else holder
            # released between our write and our read: try again
        raise BackendError(f"lock {lock.key} keeps changing; try again", retryable=True)

    def release_lock(self, key: str, owner: str) -> None:
        self._conditional(
            "delete_item",
            Key=_key(f"LOCK#{key}", "LOCK"),
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )

    def refresh_lock(self, key: str, owner: str, expires_at: float) -> bool:
        return self._conditional(
            "update_item",
            Key=_key(f"LOCK#{key}", "LOCK"),
            UpdateExpression="SET expires_at = :e",
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={
                ":owner": {"S": owner},
                ":e": {"N": str(to_dynamo(float(expires_at)))},
            },
        )

    def get_lock(self, key: str) -> LockInfo | None:
        item = self._get(f"LOCK#{key}", "LOCK")
        return records.lock_info(item) if item else None

    # --- ownership -----------------------------------------------------------------------
    def record_owned(self, env: str, tenant: str, resource_id: str, data: Json) -> None:
        self._put({"pk": f"OWN#{env}#{tenant}", "sk": f"R#{resource_id}", "data": data})

    def forget_owned(self, env: str, tenant: str, resource_id: str) -> None:
        self._db("delete_item", Key=_key(f"OWN#{env}#{tenant}", f"R#{resource_id}"))

    def owned(self, env: str, tenant: str) -> dict[str, Json]:
        items = self._partition(f"OWN#{env}#{tenant}", "R#")
        return {i["sk"][2:]: i["data"] for i in items}

    # --- allocations ---------------------------------------------------------------------
    def allocate(
        self, env: str, kind: str, tenant: str, candidates: Iterable[int], taken: set[int]
    ) -> int:
        pk, options = f"ALLOC#{env}#{kind}", [int(c) for c in candidates]
        for _ in range(MAX_ALLOCATE_ATTEMPTS):
            items = self._partition(pk)
            mine = [i["value"] for i in items if i["sk"] == f"T#{tenant}"]
            if mine:
                return int(mine[0])
            held = {int(i["sk"][2:]) for i in items if i["sk"].startswith("V#")}
            value = records.first_free(options, held | taken)
            if value is None:
                raise records.exhausted(env, kind, tenant)
            if self._claim(pk, tenant, value):
                return value
            self._sleep(random.uniform(0.005, 0.05))  # lost a race: re-read and retry
        raise BackendError(
            f"could not allocate a {kind} for {tenant} in {env}: too much contention",
            retryable=True,
        )

    def _claim(self, pk: str, tenant: str, value: int) -> bool:
        """Write the tenant's and the value's items together, both only if absent."""
        cond = "attribute_not_exists(pk)"
        puts: list[dict[str, Any]] = [
            {"pk": pk, "sk": f"T#{tenant}", "value": value},
            {"pk": pk, "sk": f"V#{value}", "tenant": tenant},
        ]
        try:
            self._call(
                "dynamodb",
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _typed(p),
                            "ConditionExpression": cond,
                        }
                    }
                    for p in puts
                ],
            )
        except BackendError as err:
            if err.code == TRANSACTION_CANCELED:
                return False
            raise
        return True

    def allocations(self, env: str, kind: str) -> dict[str, int]:
        items = self._partition(f"ALLOC#{env}#{kind}", "T#")
        return {i["sk"][2:]: int(i["value"]) for i in items}

    def release_allocation(self, env: str, kind: str, tenant: str) -> None:
        pk = f"ALLOC#{env}#{kind}"
        item = self._get(pk, f"T#{tenant}")
        if item is None:
            return
        self._call(
            "dynamodb",
            "transact_write_items",
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": _key(pk, f"T#{tenant}")}},
                {"Delete": {"TableName": self.table, "Key": _key(pk, f"V#{item['value']}")}},
            ],
        )

    # --- documents (S3) ------------------------------------------------------------------
    def put_document(self, key: str, doc: Json) -> None:
        self._call(
            "s3",
            "put_object",
            Bucket=self.bucket,
            Key=records.check_key(key),
            Body=json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )

    def put_document_if_absent(self, key: str, doc: Json) -> bool:
        """S3 conditional write (``If-None-Match: *``): S3 refuses it with 412
        PreconditionFailed when the key exists, and with 409 ConditionalRequestConflict
        while a concurrent write of the key is in flight (retry, then it is decided).
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html"""
        body = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False).encode()
        for attempt in range(5):
            try:
                self._call(
                    "s3",
                    "put_object",
                    Bucket=self.bucket,
                    Key=records.check_key(key),
                    Body=body,
                    ContentType="application/json",
                    ServerSideEncryption="AES256",
                    IfNoneMatch="*",
                )
                return True
            except WpfleetError as err:
                code = getattr(err, "code", "")
                if code == "PreconditionFailed":
                    return False
                if code != "ConditionalRequestConflict" or attempt == 4:
                    raise
                self._sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def get_document(self, key: str) -> Json | None:
        try:
            found = self._call("s3", "get_object", Bucket=self.bucket, Key=key)
        except NotFoundError:
            return None
        return dict(json.loads(found["Body"].read()))

    def delete_document(self, key: str) -> None:
        self._call("s3", "delete_object", Bucket=self.bucket, Key=key)

    def list_documents(self, prefix: str) -> dict[str, Json]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page = self._call("s3", "list_objects_v2", **kwargs)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
        docs = {k: self.get_document(k) for k in sorted(keys)}
        return {k: d for k, d in docs.items() if d is not None}


# --- clients ------------------------------------------------------------------------------
_CLIENTS: dict[tuple[str, str | None, str, str | None, int], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _shared_client(service: str, profile: str | None, region: str, endpoint: str | None) -> Any:
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


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    """Plain dict → DynamoDB's typed attribute values."""
    return {k: _SERIALIZER.serialize(to_dynamo(v)) for k, v in item.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's typed attribute values → plain dict."""
    return {k: from_dynamo(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
