"""A tiny in-memory StateStore for the local backend's tests; it passes the same
contract suite as SQLite and DynamoDB (tests/state/test_contract.py)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable

from wpfleet.errors import ValidationError
from wpfleet.state.base import Deployment, JournalEntry, Json, LockInfo, StateStore


class MemoryStore(StateStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.deployments: dict[str, Deployment] = {}
        self.entries: dict[str, list[JournalEntry]] = {}
        self.locks: dict[str, LockInfo] = {}
        self.owned_records: dict[tuple[str, str], dict[str, Json]] = {}
        self.allocs: dict[tuple[str, str], dict[str, int]] = {}
        self.docs: dict[str, Json] = {}

    def put_deployment(self, deployment: Deployment) -> None:
        self.deployments[deployment.id] = deployment

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        return self.deployments.get(deployment_id)

    def list_deployments(
        self, tenant: str | None = None, env: str | None = None, limit: int = 50
    ) -> list[Deployment]:
        found = [
            d
            for d in self.deployments.values()
            if (tenant is None or d.tenant == tenant) and (env is None or d.env == env)
        ]
        return sorted(found, key=lambda d: d.started_at, reverse=True)[:limit]

    def append_journal(self, entry: JournalEntry) -> None:
        self.entries.setdefault(entry.deployment_id, []).append(entry)

    def journal(self, deployment_id: str) -> list[JournalEntry]:
        return sorted(self.entries.get(deployment_id, []), key=lambda e: e.seq)

    def try_lock(self, lock: LockInfo, replace_owner: str | None = None) -> LockInfo | None:
        with self._lock:
            held = self.locks.get(lock.key)
            if held is None or held.owner == replace_owner:
                self.locks[lock.key] = lock
                return None
            return held

    def release_lock(self, key: str, owner: str) -> None:
        with self._lock:
            if key in self.locks and self.locks[key].owner == owner:
                del self.locks[key]

    def refresh_lock(self, key: str, owner: str, expires_at: float) -> bool:
        with self._lock:
            held = self.locks.get(key)
            if held is None or held.owner != owner:
                return False
            self.locks[key] = dataclasses.replace(held, expires_at=expires_at)
            return True

    def get_lock(self, key: str) -> LockInfo | None:
        return self.locks.get(key)

    def record_owned(self, env: str, tenant: str, resource_id: str, data: Json) -> None:
        self.owned_records.setdefault((env, tenant), {})[resource_id] = data

    def forget_owned(self, env: str, tenant: str, resource_id: str) -> None:
        self.owned_records.get((env, tenant), {}).pop(resource_id, None)

    def owned(self, env: str, tenant: str) -> dict[str, Json]:
        return dict(self.owned_records.get((env, tenant), {}))

    def allocate(
        self, env: str, kind: str, tenant: str, candidates: Iterable[int], taken: set[int]
    ) -> int:
        with self._lock:
            table = self.allocs.setdefault((env, kind), {})
            if tenant in table:
                return table[tenant]
            held = set(table.values()) | taken
            for value in candidates:
                if value not in held:
                    table[tenant] = value
                    return value
        raise ValidationError(f"no free {kind} in {env}")

    def allocations(self, env: str, kind: str) -> dict[str, int]:
        return dict(self.allocs.get((env, kind), {}))

    def release_allocation(self, env: str, kind: str, tenant: str) -> None:
        with self._lock:
            self.allocs.get((env, kind), {}).pop(tenant, None)

    def put_document(self, key: str, doc: Json) -> None:
        self.docs[key] = doc

    def put_document_if_absent(self, key: str, doc: Json) -> bool:
        with self._lock:
            if key in self.docs:
                return False
            self.docs[key] = doc
            return True

    def get_document(self, key: str) -> Json | None:
        return self.docs.get(key)

    def delete_document(self, key: str) -> None:
        self.docs.pop(key, None)

    def list_documents(self, prefix: str) -> dict[str, Json]:
        return {k: v for k, v in self.docs.items() if k.startswith(prefix)}
