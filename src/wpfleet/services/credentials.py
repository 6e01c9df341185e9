"""``credentials``: reveal a secret on explicit request — the only service that does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wpfleet.errors import NotFoundError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.context import Credentials
    from wpfleet.services.workspace import Workspace


@dataclass(frozen=True)
class Revealed:
    what: str  # "goldencrust admin" or "dev basic auth"
    credentials: Credentials


def reveal(ws: Workspace, env: Environment, tenant: str | None = None) -> Revealed:
    """The tenant's WordPress admin login, or (no tenant) the environment's basic auth."""
    backend = ws.backend(env)
    if tenant:
        return Revealed(f"{tenant} admin", backend.admin_credentials(ws.tenant(env, tenant)))
    found = backend.basic_auth_credentials()
    if found is None:
        raise NotFoundError(
            f"{env.name} has no basic auth",
            hint=f"for a tenant's admin login: wpfleet credentials TENANT --env {env.name}",
        )
    return Revealed(f"{env.name} basic auth", found)
