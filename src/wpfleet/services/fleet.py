"""``init`` and ``validate``: the fleet file itself."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from wpfleet.errors import UsageError

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace

EXAMPLES = ("local", "bbws")


def example_text(name: str) -> str:
    if name not in EXAMPLES:
        raise UsageError(f"no example {name!r}", hint=f"choose one of: {', '.join(EXAMPLES)}")
    return resources.files("wpfleet").joinpath(f"examples/{name}.yaml").read_text("utf-8")


def init(fleet: str | os.PathLike[str] | None, example: str, *, force: bool = False) -> Path:
    """Write an example fleet file; an existing one is kept unless ``force``."""
    from wpfleet.config.load import fleet_path

    path = fleet_path(fleet)
    text = example_text(example)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Validation:
    """A valid fleet file (an invalid one raised ``ConfigError`` listing every problem)."""

    path: Path
    environments: list[str]
    tenants: list[str]
    #: (env, tenant, host, database, target group) for every tenant in every environment
    names: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def validate(ws: Workspace) -> Validation:
    """Load and check the fleet file, and derive every tenant's names in every env."""
    from wpfleet import naming

    fleet = ws.fleet
    out = Validation(ws.path, [e.name for e in fleet.environments], [t.id for t in fleet.tenants])
    for env in fleet.environments:
        for tenant in fleet.tenants_in(env.name):
            n = naming.tenant_names(tenant.id, env.name, env.domain)
            out.names.append((env.name, tenant.id, n.host, n.database, n.target_group))
    return out
