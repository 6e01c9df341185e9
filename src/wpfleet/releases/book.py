"""Releases in the state store: immutable records, per-deployment outcomes, holds.

Keys (documents of the state store, so both stores and every runner share them):

- ``releases/{tenant}/{env}/{release_id}``: the release itself, written once with
  ``put_document_if_absent`` and never changed. Its id is a hash of the resolved config
  (image included), so the same config gives the same release, and a different one can
  never overwrite it.
- ``release-runs/{tenant}/{env}/{deployment_id}``: one per deployment: which release,
  whether it PASSED verification, who, when, why (deploy, promote, rollback).
- ``release/{env}/{tenant}``: the pointer to what runs now, and the last good release.
- ``holds/{env}/{tenant}``: a manual rollback's hold; auto-promotion leaves it alone.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from wpfleet.errors import NotFoundError
from wpfleet.state.base import Json, StateStore


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def release_key(tenant: str, env: str, release_id: str) -> str:
    return f"releases/{tenant}/{env}/{release_id}"


def pointer_key(tenant: str, env: str) -> str:
    return f"release/{env}/{tenant}"


def hold_key(tenant: str, env: str) -> str:
    return f"holds/{env}/{tenant}"


class ReleaseBook:
    """Reads and writes release records; thin, so that the rules stay visible."""

    def __init__(self, store: StateStore, clock: Any = time.time) -> None:
        self.store = store
        self.clock = clock

    # --- recording -----------------------------------------------------------------------
    def record(
        self,
        *,
        tenant: str,
        env: str,
        release_id: str,
        config: dict[str, Any],
        deployment_id: str,
        actor: str,
        passed: bool,
        kind: str = "deploy",
        reason: str = "",
        origin: dict[str, Any] | None = None,
        image_digest: str | None = None,
        content_snapshot: str | None = None,
    ) -> Json:
        """Record what a finished deployment put in ``env``. The release document is
        written only if absent (immutable); the run and the pointer always."""
        now = float(self.clock())
        release = {
            "id": release_id,
            "tenant": tenant,
            "env": env,
            "image": config.get("image", ""),
            "image_digest": image_digest,
            "config": config,
            "config_hash": config_hash(config),
            "content_snapshot": content_snapshot,
            "origin": origin or {},
            "created_at": now,
            "created_by": actor,
            "first_deployment": deployment_id,
        }
        self.store.put_document_if_absent(release_key(tenant, env, release_id), release)
        run = {
            "deployment_id": deployment_id,
            "release_id": release_id,
            "tenant": tenant,
            "env": env,
            "kind": kind,
            "passed": passed,
            "at": now,
            "actor": actor,
            "reason": reason,
            "origin": origin or {},
            "image_digest": image_digest,
        }
        self.store.put_document(f"release-runs/{tenant}/{env}/{deployment_id}", run)
        if passed:
            self._point(tenant, env, release_id, config, deployment_id, now)
        return run

    def _point(
        self, tenant: str, env: str, release_id: str, config: Json, deployment_id: str, at: float
    ) -> None:
        good = {"release_id": release_id, "deployment_id": deployment_id, "at": at}
        self.store.put_document(
            pointer_key(tenant, env),
            {"id": release_id, "config": config, "deployment_id": deployment_id, "at": at,
             "last_good": good},
        )  # fmt: skip

    def forget_current(self, tenant: str, env: str) -> None:
        """After a destroy: nothing runs there (the releases and runs stay as history)."""
        self.store.delete_document(pointer_key(tenant, env))

    # --- reading -------------------------------------------------------------------------
    def get(self, tenant: str, env: str, release_id: str) -> Json | None:
        return self.store.get_document(release_key(tenant, env, release_id))

    def require(self, tenant: str, env: str, release_id: str) -> Json:
        found = self.get(tenant, env, release_id)
        if found is None:
            known = ", ".join(r["id"] for r in self.releases(tenant, env)) or "none"
            raise NotFoundError(
                f"no release {release_id!r} of {tenant} in {env}",
                hint=f"releases there: {known} (`wpfleet releases {tenant}`)",
            )
        return found

    def releases(self, tenant: str, env: str) -> list[Json]:
        """Oldest first."""
        docs = self.store.list_documents(f"releases/{tenant}/{env}/").values()
        return sorted(docs, key=lambda d: d.get("created_at", 0.0))

    def runs(self, tenant: str, env: str | None = None) -> list[Json]:
        """Newest first."""
        prefix = f"release-runs/{tenant}/" + (f"{env}/" if env else "")
        docs = self.store.list_documents(prefix).values()
        return sorted(docs, key=lambda d: d.get("at", 0.0), reverse=True)

    def current(self, tenant: str, env: str) -> Json | None:
        return self.store.get_document(pointer_key(tenant, env))

    def last_passed(self, tenant: str, env: str, *, before: str = "") -> Json | None:
        """The newest run that passed (optionally: other than release ``before``), with
        its release under ``release``."""
        for run in self.runs(tenant, env):
            if run.get("passed") and run["release_id"] != before:
                release = self.get(tenant, env, run["release_id"])
                if release is not None:
                    return {**run, "release": release}
        return None

    def first_passed_at(self, tenant: str, env: str, release_id: str) -> float | None:
        """When ``release_id`` first passed in ``env`` (the start of its soak)."""
        times = [
            r["at"]
            for r in self.runs(tenant, env)
            if r.get("passed") and r["release_id"] == release_id
        ]
        return min(times) if times else None

    # --- holds ---------------------------------------------------------------------------
    def hold(self, tenant: str, env: str, *, actor: str, reason: str, release_id: str) -> Json:
        doc = {
            "tenant": tenant,
            "env": env,
            "by": actor,
            "at": float(self.clock()),
            "reason": reason,
            "release_id": release_id,
        }
        self.store.put_document(hold_key(tenant, env), doc)
        return doc

    def held(self, tenant: str, env: str) -> Json | None:
        return self.store.get_document(hold_key(tenant, env))

    def unhold(self, tenant: str, env: str) -> Json | None:
        doc = self.held(tenant, env)
        self.store.delete_document(hold_key(tenant, env))
        return doc
