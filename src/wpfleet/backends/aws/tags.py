"""Ownership tags: ``wpfleet:tenant`` / ``wpfleet:env`` plus the seeds' ``Tenant``,
``Environment`` and ``Name``. Never a deployment id, so an unchanged re-deploy is a noop.

AWS spells tag lists three ways (``Key``/``Value``, ECS's ``key``/``value``, and plain
maps); these helpers convert, and ``is_ours`` decides ownership from any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TENANT_KEY = "wpfleet:tenant"
ENV_KEY = "wpfleet:env"


def ownership(tenant: str, env: str, name: str) -> dict[str, str]:
    return {
        TENANT_KEY: tenant,
        ENV_KEY: env,
        "Tenant": tenant,
        "Environment": env,
        "Name": name,
    }


#: what an undone adoption takes off again (the seeds' own tags stay)
OWNERSHIP_KEYS = [TENANT_KEY, ENV_KEY]


def env_tags(env: str, name: str) -> dict[str, str]:
    """Tags for environment-level things wpfleet creates (basic auth, db-init)."""
    return {ENV_KEY: env, "Environment": env, "Name": name}


def as_key_value(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def as_ecs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def to_map(tags: Any) -> dict[str, str]:
    """Any AWS tag spelling (list of Key/Value or key/value, or a map) as a plain map."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for item in tags:
        key = item.get("Key", item.get("key"))
        value = item.get("Value", item.get("value", ""))
        if key is not None:
            out[str(key)] = str(value)
    return out


def is_ours(tags: Any, tenant: str, env: str) -> bool:
    found = to_map(tags)
    return found.get(TENANT_KEY) == tenant and found.get(ENV_KEY) == env


def reconcile(
    ours: dict[str, str] | None,
    put: Callable[[dict[str, str]], None],
    take_off: Callable[[list[str]], None],
) -> None:
    """Put wpfleet's tags ``ours`` on a resource, or take them off (``ours`` None: an
    adoption undone). Every AWS tag call used here (TagResource, AddTags, TagRole) adds
    the keys it is given and overwrites their values, and leaves every other key alone:
    missing tags are added, wrong values fixed, foreign tags never touched. Taking off
    removes the ownership keys only; the seeds' ``Tenant``/``Environment``/``Name`` stay."""
    if ours is not None:
        put(ours)
    else:
        take_off(list(OWNERSHIP_KEYS))
