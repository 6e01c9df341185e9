"""Plain-data records and rules shared by both state stores.

Both stores keep records as plain dicts; decoding ignores keys this version does not
know, so a store written by a newer wpfleet still opens with an older one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TypeVar

from wpfleet.errors import ValidationError
from wpfleet.state.base import Deployment, JournalEntry, LockInfo

T = TypeVar("T", Deployment, JournalEntry, LockInfo)


def decode(cls: type[T], data: dict[str, Any]) -> T:
    """Build ``cls`` from ``data``, keeping only the fields ``cls`` declares."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def deployment(data: dict[str, Any]) -> Deployment:
    dep = decode(Deployment, data)
    dep.started_at = float(dep.started_at)
    if dep.finished_at is not None:
        dep.finished_at = float(dep.finished_at)
    return dep


def journal_entry(data: dict[str, Any]) -> JournalEntry:
    entry = decode(JournalEntry, data)
    entry.seq = int(entry.seq)
    entry.at = float(entry.at)
    return entry


def lock_info(data: dict[str, Any]) -> LockInfo:
    info = decode(LockInfo, data)
    return LockInfo(
        key=info.key,
        owner=info.owner,
        host=info.host,
        pid=int(info.pid),
        acquired_at=float(info.acquired_at),
        expires_at=float(info.expires_at),
        deployment_id=info.deployment_id,
    )


def check_key(key: str, what: str = "document key") -> str:
    """Refuse empty keys: both stores would otherwise accept them in different ways."""
    if not key:
        raise ValueError(f"empty {what}")
    return key


def first_free(candidates: Iterable[int], unavailable: set[int]) -> int | None:
    """The first candidate not in ``unavailable``; None when there is none."""
    return next((int(c) for c in candidates if int(c) not in unavailable), None)


def exhausted(env: str, kind: str, tenant: str) -> ValidationError:
    """The error ``allocate`` raises when every candidate is held."""
    return ValidationError(
        f"no free {kind} left in environment {env!r} for tenant {tenant!r}",
        hint=f"widen the environment's {kind} range in the fleet file, or destroy "
        "tenants that no longer need one",
    )
