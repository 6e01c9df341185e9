"""The state store: deployments, journals, locks, ownership, allocations, releases,
documents. Plain data only (JSON-able dicts), never pickles.

Two implementations share one contract and one test suite (``tests/state``):
``SqliteStore`` (default, a file under ``.wpfleet/``) and ``DynamoStore`` (DynamoDB + S3,
for teams and CI runners that share state).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class Deployment:
    id: str
    tenant: str
    env: str
    kind: str  # deploy | destroy | adopt | rollback | promote
    status: str  # running | succeeded | failed | rolled-back | needs-attention | abandoned
    actor: str
    started_at: float
    finished_at: float | None = None
    release: Json = field(default_factory=dict)
    error: str = ""
    resumed_from: str | None = None
    summary: Json = field(default_factory=dict)

    def as_dict(self) -> Json:
        return asdict(self)


@dataclass
class JournalEntry:
    """One line of a deployment's journal. Written BEFORE a change (status ``started``)
    and again after it (``done`` / ``failed``), and during rollback (``undone`` /
    ``undo-failed``). ``before`` is what an undo needs; it never holds a secret."""

    deployment_id: str
    seq: int
    step_id: str
    op: str
    status: str
    at: float
    before: Json | None = None
    after: Json | None = None
    error: str = ""

    def as_dict(self) -> Json:
        return asdict(self)


@dataclass(frozen=True)
class LockInfo:
    key: str
    owner: str  # unique id of the holder: host:pid:random
    host: str
    pid: int
    acquired_at: float
    expires_at: float
    deployment_id: str = ""


class StateStore(ABC):
    # --- deployments -------------------------------------------------------------------
    @abstractmethod
    def put_deployment(self, deployment: Deployment) -> None:
        """Insert or replace."""

    @abstractmethod
    def get_deployment(self, deployment_id: str) -> Deployment | None: ...

    @abstractmethod
    def list_deployments(
        self, tenant: str | None = None, env: str | None = None, limit: int = 50
    ) -> list[Deployment]:
        """Newest first."""

    # --- journal -----------------------------------------------------------------------
    @abstractmethod
    def append_journal(self, entry: JournalEntry) -> None: ...

    @abstractmethod
    def journal(self, deployment_id: str) -> list[JournalEntry]:
        """In ``seq`` order."""

    # --- locks -------------------------------------------------------------------------
    @abstractmethod
    def try_lock(self, lock: LockInfo, replace_owner: str | None = None) -> LockInfo | None:
        """Take ``lock.key`` atomically.

        Succeeds (returns None) when the key is free, or when it is held by
        ``replace_owner`` (a takeover of a dead or expired holder decided by the caller).
        Otherwise returns the current holder and changes nothing.
        """

    @abstractmethod
    def release_lock(self, key: str, owner: str) -> None:
        """Release if ``owner`` still holds it; otherwise do nothing."""

    @abstractmethod
    def refresh_lock(self, key: str, owner: str, expires_at: float) -> bool:
        """Extend the expiry; False when ``owner`` no longer holds the lock."""

    @abstractmethod
    def get_lock(self, key: str) -> LockInfo | None: ...

    # --- ownership of resources that cannot carry tags ----------------------------------
    @abstractmethod
    def record_owned(self, env: str, tenant: str, resource_id: str, data: Json) -> None: ...

    @abstractmethod
    def forget_owned(self, env: str, tenant: str, resource_id: str) -> None: ...

    @abstractmethod
    def owned(self, env: str, tenant: str) -> dict[str, Json]:
        """resource id -> recorded data, for one tenant in one environment."""

    # --- allocations: listener priorities, local uids -------------------------------------
    @abstractmethod
    def allocate(
        self, env: str, kind: str, tenant: str, candidates: Iterable[int], taken: set[int]
    ) -> int:
        """The tenant's existing allocation, else the first candidate that no other tenant
        holds and that is not in ``taken`` (held outside the store). Atomic across
        processes. Raises ``ValidationError`` when no candidate is free."""

    @abstractmethod
    def allocations(self, env: str, kind: str) -> dict[str, int]:
        """tenant -> value."""

    @abstractmethod
    def release_allocation(self, env: str, kind: str, tenant: str) -> None: ...

    # --- documents (config documents, releases, reports, approvals) ---------------------
    @abstractmethod
    def put_document(self, key: str, doc: Json) -> None: ...

    @abstractmethod
    def put_document_if_absent(self, key: str, doc: Json) -> bool:
        """Write ``doc`` only when ``key`` holds nothing; True when this call wrote it.
        Atomic across processes and runners: of two concurrent calls exactly one wins
        (immutable release records, one vote per approver, one runner per request)."""

    @abstractmethod
    def get_document(self, key: str) -> Json | None: ...

    @abstractmethod
    def delete_document(self, key: str) -> None: ...

    @abstractmethod
    def list_documents(self, prefix: str) -> dict[str, Json]: ...

    def bootstrap(self) -> list[str]:
        """Create what the store needs (tables, buckets) when missing; say what was made.
        Stores that need nothing made (SQLite creates its file on first use) return []."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; optional."""
