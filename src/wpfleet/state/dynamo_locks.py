"""What two runners may race for, decided by conditional writes: locks (written only
when absent or still held by the named owner) and allocations (the tenant's item and the
value's item in one transaction, both conditional on absence)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from wpfleet.errors import BackendError
from wpfleet.state import records
from wpfleet.state.base import LockInfo
from wpfleet.state.dynamo_base import DynamoBase
from wpfleet.state.dynamo_items import item_key, to_dynamo, typed

TRANSACTION_CANCELED = "TransactionCanceledException"
#: allocation attempts under contention before giving up (each re-reads the partition)
MAX_ALLOCATE_ATTEMPTS = 50


class DynamoLocks(DynamoBase):
    # --- locks -------------------------------------------------------------------------
    def try_lock(self, lock: LockInfo, replace_owner: str | None = None) -> LockInfo | None:
        condition, extra = "attribute_not_exists(pk)", {}
        if replace_owner is not None:
            condition += " OR #owner = :replace"
            extra = {
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {":replace": {"S": replace_owner}},
            }
        item = typed({"pk": f"LOCK#{lock.key}", "sk": "LOCK", **asdict(lock)})
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
            Key=item_key(f"LOCK#{key}", "LOCK"),
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )

    def refresh_lock(self, key: str, owner: str, expires_at: float) -> bool:
        return self._conditional(
            "update_item",
            Key=item_key(f"LOCK#{key}", "LOCK"),
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
                            "Item": typed(p),
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
                {"Delete": {"TableName": self.table, "Key": item_key(pk, f"T#{tenant}")}},
                {"Delete": {"TableName": self.table, "Key": item_key(pk, f"V#{item['value']}")}},
            ],
        )
