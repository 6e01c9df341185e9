"""A tenant's settings in one environment: defaults, then the tenant, then its
per-environment override."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wpfleet.config.models import Environment, Fleet, Tenant, TenantOverride


@dataclass(frozen=True)
class ResolvedTenant:
    """A tenant's settings in one environment after defaults and overrides."""

    id: str
    name: str
    env: str
    image: str
    cpu: int
    memory: int
    desired_count: int
    admin_email: str
    admin_user: str
    industry: str | None
    pinned_priority: int | None

    def as_release_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "image": self.image,
            "cpu": self.cpu,
            "memory": self.memory,
            "desired_count": self.desired_count,
            "admin_email": self.admin_email,
            "admin_user": self.admin_user,
        }


def resolve_tenant(fleet: Fleet, tenant: Tenant, env: Environment) -> ResolvedTenant:
    o = tenant.overrides.get(env.name) or TenantOverride()
    d = fleet.defaults
    return ResolvedTenant(
        id=tenant.id,
        name=o.name or tenant.name,
        env=env.name,
        image=o.image or d.image,
        cpu=o.cpu or d.cpu,
        memory=o.memory or d.memory,
        desired_count=o.desired_count if o.desired_count is not None else d.desired_count,
        admin_email=tenant.admin_email,
        admin_user=tenant.admin_user,
        industry=tenant.industry,
        pinned_priority=tenant.priority.get(env.name),
    )
