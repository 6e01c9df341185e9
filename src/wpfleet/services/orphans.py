"""Orphans: what wpfleet made in an environment that no tenant of the fleet file owns.

Found by wpfleet's own marks only, never by names alone: the backend's traces
(``Backend.tenant_traces``: aws resources tagged ``wpfleet:env`` = this environment,
local vhosts) and the state store's ownership records of tenants that deployed there.
A tenant removed from the fleet file (or from the environment's list) without
``wpfleet destroy`` leaves them.

``prune`` removes an orphan tenant through the destroy path: its resources' ``delete()``
planned by ``plan_destroy``, which refuses anything not tagged or recorded as wpfleet's
(a conflict), under the tenant's lock and with a journal, like any destroy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet import naming
from wpfleet.errors import ValidationError, WpfleetError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.pipeline.deploy import Outcome
    from wpfleet.services.workspace import Workspace

#: how far back the deployment history is read for tenants that were recorded
HISTORY_LIMIT = 10_000


@dataclass
class Orphan:
    """A tenant id with traces in ``env`` that the fleet file does not deploy there."""

    env: str
    tenant: str
    found: list[str] = field(default_factory=list)  # ARNs, files
    recorded: list[str] = field(default_factory=list)  # ownership records (step ids)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def find(ws: Workspace, env: Environment) -> list[Orphan]:
    """Every orphan tenant of ``env``: traced by the backend or recorded in the store."""
    wanted = set(ws.tenant_ids(env))
    store = ws.store(env)
    traces = ws.backend(env).tenant_traces()
    history = {d.tenant for d in store.list_deployments(env=env.name, limit=HISTORY_LIMIT)}
    out = []
    for tid in sorted((set(traces) | history) - wanted):
        recorded = sorted(store.owned(env.name, tid))
        if traces.get(tid) or recorded:
            out.append(Orphan(env.name, tid, list(traces.get(tid, [])), recorded))
    return out


@dataclass
class PruneResult:
    removed: list[Outcome] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # "env/tenant" -> why


def prune(
    ws: Workspace,
    orphans: list[Orphan],
    *,
    confirm: Callable[[list[Orphan]], bool] = lambda _o: True,
) -> PruneResult | None:
    """Destroy each orphan tenant (``confirm`` first: False changes nothing, None)."""
    if not orphans or not confirm(orphans):
        return None
    out = PruneResult()
    for orphan in orphans:
        try:
            out.removed.append(_destroy(ws, ws.env(orphan.env), orphan.tenant))
        except WpfleetError as exc:
            out.failed[f"{orphan.env}/{orphan.tenant}"] = exc.message
    return out


def _destroy(ws: Workspace, env: Environment, tenant: str) -> Outcome:
    """The destroy pipeline for a tenant the fleet file no longer has: its names derive
    from its id alone, so a minimal tenant entry (not written anywhere) stands in."""
    from wpfleet.config.models import Tenant
    from wpfleet.pipeline.deploy import Pipeline

    naming.check_tenant_id(tenant)
    if tenant in ws.tenant_ids(env):
        raise ValidationError(f"{tenant} is in the fleet file for {env.name}: not an orphan")
    fleet = ws.fleet
    others = [t for t in fleet.tenants if t.id != tenant]
    ghost = Tenant(id=tenant, name=tenant, environments=[env.name])
    loaded = dataclasses.replace(
        ws.loaded, fleet=fleet.model_copy(update={"tenants": [*others, ghost]})
    )
    pipe = Pipeline(
        loaded,
        env,
        store=ws.store(env),
        backend=ws.backend(env),
        faults=ws.faults,
        on_step=ws.events.step,
        who=ws.actor,
    )
    return pipe.destroy(tenant)
