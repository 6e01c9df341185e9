"""``tf export``: Terraform from the fleet file, with ``import`` blocks for what wpfleet
already created (read from the config documents in each environment's state store).

Until the service layer's ``Workspace`` lands, this takes the loaded fleet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wpfleet.config.load import LoadedFleet


@dataclass
class ExportResult:
    out: Path
    files: list[str]
    written: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # "tenant/env" with import blocks
    warnings: list[str] = field(default_factory=list)


def read_documents(
    loaded: LoadedFleet, warnings: list[str] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every config document of the fleet's AWS environments, from their state stores.
    An environment whose state cannot be read gets no import blocks and a warning."""
    from botocore.exceptions import BotoCoreError, ClientError

    from wpfleet import naming
    from wpfleet.errors import WpfleetError
    from wpfleet.state import open_store

    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for env in loaded.fleet.environments:
        if env.backend != "aws":
            continue
        try:
            store = open_store(loaded, env)
            try:
                for tenant in loaded.fleet.tenants_in(env.name):
                    doc = store.get_document(naming.config_document_path(tenant.id, env.name))
                    if isinstance(doc, dict):
                        docs[(tenant.id, env.name)] = doc
            finally:
                store.close()
        except (WpfleetError, BotoCoreError, ClientError) as exc:
            if warnings is not None:
                warnings.append(f"{env.name}: state not readable, no import blocks ({exc})")
    return docs


def export_terraform(
    loaded: LoadedFleet,
    out: Path,
    *,
    documents: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> ExportResult:
    from wpfleet.iac.export import export, write

    warnings: list[str] = []
    docs = read_documents(loaded, warnings) if documents is None else documents
    files = export(loaded.fleet, docs)
    written = write(files, out)
    imported = sorted(f"{t}/{e}" for (t, e) in docs)
    return ExportResult(out, sorted(files), written, imported, warnings)
