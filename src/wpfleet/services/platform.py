"""``platform``: start, stop, inspect, bootstrap and discover what an environment's
tenants share. Every ability is asked of the backend; none branches on its name."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.context import PlatformStatus
    from wpfleet.services.workspace import Workspace


def default_envs(ws: Workspace, env: str | None) -> list[Environment]:
    """``env``, or (none given) the environments whose platform runs on this machine:
    starting every cloud environment by accident would be costly."""
    if env:
        return [ws.env(env)]
    return [e for e in ws.fleet.environments if e.backend == "local"]


def up(ws: Workspace, env: str | None = None) -> list[PlatformStatus]:
    """Start (local) or bootstrap (aws) the platform; a running one is left alone."""
    return [ws.backend(e).platform_up() for e in default_envs(ws, env)]


def down(ws: Workspace, env: str | None = None) -> list[PlatformStatus]:
    """Stop the platform's processes (data is kept)."""
    return [ws.backend(e).platform_down() for e in default_envs(ws, env)]


def status(ws: Workspace, env: str | None = None) -> list[PlatformStatus]:
    """Which components run, and which isolation this machine cannot give."""
    return [ws.backend(e).platform_status() for e in default_envs(ws, env)]


@dataclass
class Bootstrapped:
    created: list[str]
    status: PlatformStatus


def bootstrap(ws: Workspace, env: Environment) -> Bootstrapped:
    """Create what wpfleet owns before an environment's first tenant: the state store's
    table and bucket (dynamodb), then the platform."""
    created = ws.store(env).bootstrap()
    return Bootstrapped(created, ws.backend(env).platform_up())


@dataclass
class Discovery:
    env: str
    #: the environment's aws: block as it would be: what is set wins over what was found
    merged: dict[str, Any]
    found: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    #: the fleet file rewritten (``--write``), or None
    written: Path | None = None


def discover(ws: Workspace, env: Environment, *, write: bool = False) -> Discovery:
    """Find the environment's base resources by the seeds' names and tags (a backend
    ability: ``UsageError`` where the backend has none); ``write`` fills them into the
    fleet file, keeping what is set and leaving the old file as ``FLEET.bak``."""
    found = ws.backend(env).discover()
    current = env.aws.model_dump(exclude_unset=True) if env.aws is not None else {}
    out = Discovery(env.name, {**found.settings, **current}, found.settings, found.missing)
    if write:
        out.written = _write_settings(ws.path, env.name, "aws", found.settings)
    return out


def _write_settings(path: Path, env: str, block: str, found: dict[str, Any]) -> Path:
    """Merge ``found`` under ``environments[env].<block>`` (set values win). Comments are
    not kept, so the previous file is copied to ``FLEET.bak`` first."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in raw["environments"]:
        if item.get("name") == env:
            item[block] = {**found, **(item.get(block) or {})}
    shutil.copy2(path, path.with_name(path.name + ".bak"))
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path
