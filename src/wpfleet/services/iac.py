"""``tf export``: Terraform from the fleet file, with ``import`` blocks for what wpfleet
already created (read from the config documents in each environment's state store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace


@dataclass
class ExportResult:
    out: Path
    files: list[str]
    written: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # "tenant/env" with import blocks
    warnings: list[str] = field(default_factory=list)


def read_documents(
    ws: Workspace, warnings: list[str] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every config document of the fleet's AWS environments, from their state stores.
    An environment whose state cannot be read gets no import blocks and a warning."""
    from botocore.exceptions import BotoCoreError, ClientError

    from wpfleet import naming
    from wpfleet.errors import WpfleetError

    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for env in ws.fleet.environments:
        if env.backend != "aws":
            continue
        try:
            store = ws.store(env)
            for tenant in ws.fleet.tenants_in(env.name):
                doc = store.get_document(naming.config_document_path(tenant.id, env.name))
                if isinstance(doc, dict):
                    docs[(tenant.id, env.name)] = doc
        except (WpfleetError, BotoCoreError, ClientError) as exc:
            if warnings is not None:
                warnings.append(f"{env.name}: state not readable, no import blocks ({exc})")
    return docs


def export_terraform(
    ws: Workspace,
    out: Path,
    *,
    documents: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> ExportResult:
    from wpfleet.iac.export import export, write

    warnings: list[str] = []
    docs = read_documents(ws, warnings) if documents is None else documents
    files = export(ws.fleet, docs)
    written = write(files, out)
    imported = sorted(f"{t}/{e}" for (t, e) in docs)
    return ExportResult(out, sorted(files), written, imported, warnings)
