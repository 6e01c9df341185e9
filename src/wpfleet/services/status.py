"""``status``: every tenant in every (or one) environment — health, URL, release."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.errors import WpfleetError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.context import TenantHealth
    from wpfleet.services.workspace import Workspace


@dataclass
class TenantStatus:
    """One row: ``state`` is healthy, unhealthy, deployed, not deployed or unknown."""

    tenant: str
    env: str
    state: str
    url: str = ""
    release: str = ""
    deployment: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FleetStatus:
    fleet: str
    rows: list[TenantStatus] = field(default_factory=list)


def fleet_status(ws: Workspace, env: str | None = None) -> FleetStatus:
    """Status of ``env``'s tenants, or of every environment's when ``env`` is None."""
    out = FleetStatus(ws.fleet.fleet)
    for environment in ws.envs(env):
        out.rows += env_status(ws, environment)
    return out


def env_status(ws: Workspace, env: Environment) -> list[TenantStatus]:
    """One batched health call per environment; a backend that cannot answer marks its
    tenants ``unknown`` with the reason, instead of failing the whole table."""
    backend, store = ws.backend(env), ws.store(env)
    ctxs = [ws.tenant(env, tid) for tid in ws.tenant_ids(env)]
    try:
        health: dict[str, TenantHealth] = backend.health(ctxs)
        problem = ""
    except WpfleetError as exc:
        health, problem = {}, exc.message
    rows = []
    for ctx in ctxs:
        h = health.get(ctx.tenant.id)
        release = store.get_document(f"release/{env.name}/{ctx.tenant.id}") or {}
        if h is None:
            state = "unknown" if problem else "not deployed"
        elif not h.deployed:
            state = "not deployed"
        else:
            state = {True: "healthy", False: "unhealthy", None: "deployed"}[h.healthy]
        rows.append(
            TenantStatus(
                tenant=ctx.tenant.id,
                env=env.name,
                state=state,
                url=(h.url if h else "") or backend.urls(ctx).get("url", ""),
                release=release.get("id", ""),
                deployment=release.get("deployment_id", ""),
                detail=(h.detail if h else problem),
            )
        )
    return rows
