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
import secrets
import time
from typing import Any

from wpfleet.errors import NotFoundError, WpfleetError
from wpfleet.state import records
from wpfleet.state.base import Deployment, JournalEntry, Json, StateStore
from wpfleet.state.dynamo_bootstrap import INDEXES, DynamoBootstrap
from wpfleet.state.dynamo_items import from_dynamo, item_key, plain, to_dynamo
from wpfleet.state.dynamo_locks import DynamoLocks

__all__ = ["DynamoStore", "from_dynamo", "to_dynamo"]


class DynamoStore(DynamoBootstrap, DynamoLocks, StateStore):
    """Deployments, journals, ownership (the table) and documents (the bucket); the
    rest comes from its bases: plumbing, bootstrap, locks and allocations."""

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
            found = [records.deployment(plain(i)["data"]) for i in page.get("Items", [])]
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

    # --- ownership -----------------------------------------------------------------------
    def record_owned(self, env: str, tenant: str, resource_id: str, data: Json) -> None:
        self._put({"pk": f"OWN#{env}#{tenant}", "sk": f"R#{resource_id}", "data": data})

    def forget_owned(self, env: str, tenant: str, resource_id: str) -> None:
        self._db("delete_item", Key=item_key(f"OWN#{env}#{tenant}", f"R#{resource_id}"))

    def owned(self, env: str, tenant: str) -> dict[str, Json]:
        items = self._partition(f"OWN#{env}#{tenant}", "R#")
        return {i["sk"][2:]: i["data"] for i in items}

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
                time.sleep(0.05 * (attempt + 1))
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
