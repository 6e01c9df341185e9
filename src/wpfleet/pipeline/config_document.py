"""The tenant configuration document (the seeds' ``config/{env}/{tenant}.json``).

Written by the ``post`` phase and removed by ``destroy``. It is a ``Resource`` like any
other, so a second deploy of an unchanged tenant leaves it alone: who deployed and when
are only rewritten when something else in the document changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from wpfleet.backends.base import Backend, TenantContext
from wpfleet.engine.resource import Fact, Phase, Resource, State

VOLATILE = ("deployment_date", "deployed_by", "deployment_id", "workflow_run")


def release_id(ctx: TenantContext) -> str:
    """A short content hash of what is deployed: the same config gives the same id."""
    payload = json.dumps(ctx.tenant.as_release_config(), sort_keys=True).encode()
    return "r-" + hashlib.sha256(payload).hexdigest()[:12]


def build_document(ctx: TenantContext, backend: Backend) -> dict[str, Any]:
    urls = backend.urls(ctx)
    doc: dict[str, Any] = {
        "tenant_name": ctx.tenant.id,
        "display_name": ctx.tenant.name,
        "environment": ctx.env.name,
        "backend": ctx.env.backend,
        "deployment_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "deployed_by": ctx.actor,
        "deployment_id": ctx.deployment_id,
        "workflow_run": os.environ.get("GITHUB_RUN_ID", ""),
        "version": release_id(ctx),
        "release": ctx.tenant.as_release_config(),
    }
    doc.update(backend.document_sections(ctx))
    doc.update(
        {
            "status": "active",
            "url": urls.get("url", ""),
            "health_check_url": urls.get("health_check_url", urls.get("url", "")),
            "admin_url": urls.get("admin_url", ""),
        }
    )
    return doc


def stable(doc: dict[str, Any]) -> State:
    return {k: v for k, v in doc.items() if k not in VOLATILE}


def document_path(ctx: TenantContext) -> Path:
    return ctx.loaded.root / ctx.names.config_document


class ConfigDocument(Resource):
    id = "post/config-document"
    phase = Phase.POST
    description = "tenant configuration document"

    def __init__(self, ctx: TenantContext, backend: Backend) -> None:
        self.ctx = ctx
        self.backend = backend
        self.path = document_path(ctx)
        self.key = ctx.names.config_document

    def read(self) -> Fact | None:
        if not self.path.exists():
            return None
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Fact({"unreadable": True}, tagged=None)
        # The whole document: ``desired`` leaves out who/when, so those never count as a
        # difference, but an undo gets back exactly the document that was there.
        return Fact(doc, tagged=None)

    def desired(self) -> State:
        return stable(build_document(self.ctx, self.backend))

    def _write(self, doc: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(self.path)
        self.ctx.store.put_document(self.key, doc)
        self.backend.publish_document(self.ctx, doc)

    def create(self) -> None:
        self._write(build_document(self.ctx, self.backend))

    def update(self, target: State) -> None:
        """Deploy: a fresh document. Undo (``target`` is the document read before): that
        document, byte for byte, who and when included."""
        doc = build_document(self.ctx, self.backend)
        self._write(doc if stable(target) == stable(doc) else dict(target))

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
        self.ctx.store.delete_document(self.key)
        self.backend.publish_document(self.ctx, None)
