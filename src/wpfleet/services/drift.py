"""``drift``: what differs between the running tenants and the fleet file + last release.

Nothing here compares resources itself: a tenant's drift is its plan (every resource
read and compared with its desired state, ``engine/plan.py``) minus the noops
(``engine/drift.py``). Only tenants already deployed to the environment (a release is
recorded) are examined: a tenant never deployed is not drift, it is work to do.

Besides the tenants, the environment itself: what the backend reports as
``environment_drift`` (aws: a CloudFront cache behavior that lost the basic-auth
association). Each (env, tenant) result is stored as the state document
``drift/{env}/{tenant}`` so that ``status`` can show a flag without a live drift.

``fix`` re-applies through the normal pipeline (``deployments.deploy``): the same lock,
journal, verify and rollback as any deploy. Orphans (``services/orphans.py``) are found
here and pruned there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.engine.drift import Drift, drifts
from wpfleet.errors import WpfleetError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.pipeline.deploy import Outcome
    from wpfleet.services.orphans import Orphan
    from wpfleet.services.workspace import Workspace


def drift_key(env: str, tenant: str) -> str:
    return f"drift/{env}/{tenant}"


@dataclass
class TenantDrift:
    """One (tenant, env): its drifts, or the error that kept it from being compared."""

    tenant: str
    env: str
    deployed: bool
    drifts: list[Drift] = field(default_factory=list)
    error: str = ""

    @property
    def drifted(self) -> bool:
        return bool(self.drifts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "env": self.env,
            "deployed": self.deployed,
            "drifted": self.drifted,
            "drifts": [d.as_dict() for d in self.drifts],
            "error": self.error,
        }


@dataclass
class EnvDrift:
    """Something the environment shares that differs (``component``: what, ``detail``)."""

    env: str
    component: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"env": self.env, "component": self.component, "detail": self.detail}


@dataclass
class DriftResult:
    tenants: list[TenantDrift] = field(default_factory=list)
    environment: list[EnvDrift] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Any drift at all (exit 8): a tenant, the environment, or an orphan."""
        return bool(
            self.environment or self.orphans or any(t.drifted or t.error for t in self.tenants)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "drift": self.found,
            "environment": [e.as_dict() for e in self.environment],
            "tenants": [t.as_dict() for t in self.tenants],
            "orphans": [o.as_dict() for o in self.orphans],
        }


def check(
    ws: Workspace, env: str | None = None, tenant: str | None = None, *, orphans: bool = True
) -> DriftResult:
    """Compare every deployed tenant of ``env`` (default: all) with what it should be,
    store each result, and (``orphans``) list what wpfleet made that no tenant owns."""
    from wpfleet.services import orphans as orphan_service

    result = DriftResult()
    for e in ws.envs(env):
        result.environment += env_drift(ws, e)
        ids = ws.tenant_ids(e)
        if tenant is not None:
            ws.fleet.tenant(tenant)  # NotFoundError naming the tenant
            ids = [t for t in ids if t == tenant]
        for tid in ids:
            result.tenants.append(tenant_drift(ws, e, tid))
        if orphans and tenant is None:
            result.orphans += orphan_service.find(ws, e)
        _tell(ws, e, result)
    return result


def _tell(ws: Workspace, env: Environment, result: DriftResult) -> None:
    """Drift found in ``env`` is news for its channels (never raises)."""
    from wpfleet.services import notifications

    drifted = [t.tenant for t in result.tenants if t.env == env.name and (t.drifted or t.error)]
    orphans = [o.tenant for o in result.orphans if o.env == env.name]
    if any(d.env == env.name for d in result.environment):
        drifted.append("(environment)")
    if drifted or orphans:
        notifications.drift_found(ws, env, drifted, orphans)


def env_drift(ws: Workspace, env: Environment) -> list[EnvDrift]:
    """What the backend reports of the environment's shared settings."""
    try:
        found = ws.backend(env).environment_drift()
    except WpfleetError as exc:
        return [EnvDrift(env.name, "environment", exc.message)]
    return [EnvDrift(env.name, c.name, c.detail) for c in found if not c.running]


def tenant_drift(ws: Workspace, env: Environment, tenant: str) -> TenantDrift:
    """The plan of one deployed tenant, its non-noop steps as drifts; stored."""
    from wpfleet.engine.plan import plan_apply
    from wpfleet.services.deployments import pipeline

    store = ws.store(env)
    if store.get_document(f"release/{env.name}/{tenant}") is None:
        return TenantDrift(tenant, env.name, deployed=False)
    out = TenantDrift(tenant, env.name, deployed=True)
    pipe = pipeline(ws, env)
    try:
        ctx = pipe.context(tenant)
        owned = set(store.owned(env.name, tenant))
        out.drifts = drifts(plan_apply(pipe.resources(ctx), owned))
    except WpfleetError as exc:
        out.error = exc.message
    store.put_document(
        drift_key(env.name, tenant),
        {
            "at": time.time(),
            "drifted": out.drifted,
            "error": out.error,
            "drifts": [d.as_dict() for d in out.drifts],
        },
    )
    return out


def last(ws: Workspace, env: Environment, tenant: str) -> dict[str, Any] | None:
    """The stored result of the last drift run for (env, tenant), or None."""
    return ws.store(env).get_document(drift_key(env.name, tenant))


@dataclass
class FixResult:
    environment: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    after: DriftResult | None = None


def fix(
    ws: Workspace,
    found: DriftResult,
    *,
    confirm: Callable[[DriftResult], bool] = lambda _r: True,
    verify_deadline: float | None = None,
) -> FixResult | None:
    """Re-apply what ``found`` lists: the environment's shared settings first (the
    backend's ``platform_up``), then each drifted tenant through the normal deploy
    pipeline (lock, journal, verify, rollback). ``confirm`` sees the drift first (False:
    nothing is changed, None returned). The drift is checked again after."""
    from wpfleet.services import deployments

    if not confirm(found):
        return None
    out = FixResult()
    for name in sorted({e.env for e in found.environment}):
        env = ws.env(name)
        ws.backend(env).platform_up()
        out.environment.append(name)
    for t in found.tenants:
        if t.drifted:
            env = ws.env(t.env)
            out.outcomes.append(
                deployments.deploy(ws, env, t.tenant, verify_deadline=verify_deadline)
            )
    envs = {e.env for e in found.environment} | {t.env for t in found.tenants if t.drifted}
    after = DriftResult()
    for name in sorted(envs):
        env = ws.env(name)
        after.environment += env_drift(ws, env)
        after.tenants += [tenant_drift(ws, env, t.tenant) for t in found.tenants if t.env == name]
    out.after = after
    return out
