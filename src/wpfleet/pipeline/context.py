"""Building the context of one (tenant, environment) and who is acting."""

from __future__ import annotations

import secrets
import time

from wpfleet import naming
from wpfleet.config.load import LoadedFleet, resolve_tenant
from wpfleet.config.models import Environment
from wpfleet.context import TenantContext, default_actor
from wpfleet.errors import ValidationError
from wpfleet.state.base import StateStore


def actor() -> str:
    """Who is deploying: ``WPFLEET_ACTOR``, then the CI actor, then the login name."""
    return default_actor()


def new_deployment_id() -> str:
    return time.strftime("d-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)


def tenant_context(
    loaded: LoadedFleet,
    env: Environment | str,
    tenant_id: str,
    store: StateStore,
    *,
    deployment_id: str = "",
    who: str = "",
) -> TenantContext:
    """Resolve and check everything about (tenant, env) before anything changes."""
    naming.check_tenant_id(tenant_id)
    fleet = loaded.fleet
    env = fleet.env(env) if isinstance(env, str) else env
    env_name = env.name
    names = naming.tenant_names(tenant_id, env_name, env.domain)
    tenant = fleet.tenant(tenant_id)
    if tenant.environments is not None and env_name not in tenant.environments:
        raise ValidationError(
            f"tenant {tenant_id!r} is not deployed to {env_name}",
            hint=f"add {env_name} to the tenant's `environments:` list",
        )
    return TenantContext(
        loaded=loaded,
        env=env,
        tenant=resolve_tenant(fleet, tenant, env),
        names=names,
        store=store,
        deployment_id=deployment_id,
        started_at=time.time(),
        actor=who or actor(),
    )
