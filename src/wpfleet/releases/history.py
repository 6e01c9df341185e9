"""Events beside the deployments: approvals, votes, holds, promotions, rollbacks.

``history`` merges them with the deployments, so one list answers who did what, when
and why. Keys ``events/{tenant}/{time}-{random}`` sort by time within a tenant.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from wpfleet.state.base import Json, StateStore


def log_event(
    store: StateStore,
    kind: str,
    tenant: str,
    env: str,
    actor: str,
    why: str = "",
    *,
    at: float | None = None,
    **extra: Any,
) -> Json:
    when = time.time() if at is None else float(at)
    doc = {"kind": kind, "tenant": tenant, "env": env, "actor": actor, "why": why,
           "at": when, **extra}  # fmt: skip
    store.put_document(f"events/{tenant}/{when:017.6f}-{secrets.token_hex(3)}", doc)
    return doc


def events(store: StateStore, tenant: str | None = None, env: str | None = None) -> list[Json]:
    """Newest first."""
    found = store.list_documents(f"events/{tenant}/" if tenant else "events/").values()
    return sorted(
        (e for e in found if env in (None, e.get("env"))),
        key=lambda e: e.get("at", 0.0),
        reverse=True,
    )
