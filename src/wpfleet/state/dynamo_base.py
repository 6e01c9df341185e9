"""The plumbing of ``DynamoStore``: region, retried calls, conditional writes, reads of
whole partitions. The concepts (bootstrap, locks, allocations, records) build on it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3

from wpfleet.aws.errors import call_with_retry
from wpfleet.errors import BackendError, UsageError
from wpfleet.state.dynamo_items import item_key, plain, shared_client, typed

CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoBase:
    """Calls to the table (``_db``) and the bucket (``_call("s3", …)``) of one store."""

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
        return shared_client(service, self.profile, str(self.region), self.endpoint_url)

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
        item = self._db("get_item", Key=item_key(pk, sk), ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a query, across pages."""
        out: list[dict[str, Any]] = []
        while True:
            page = self._db("query", **kwargs)
            out += [plain(i) for i in page.get("Items", [])]
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
        self._db("put_item", Item=typed(item), **kwargs)
