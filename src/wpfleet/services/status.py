"""``status``: the tenants x environments matrix — release, health, URL, last deployment
and its age, pending approvals, drift flag.

Cheap by construction, so cron and CI can run it every minute (the seeds'
health_check_sit.sh): per environment ONE batched ``Backend.health`` call (aws: 12 API
calls for 100 tenants), and per state store a handful of reads (releases, the last
drift results, the deployment history, approval requests: one listing each, never one
per tenant). Environments are asked concurrently. The drift flag is the stored result
of the last ``wpfleet drift`` run (``drift/{env}/{tenant}``), never a live drift.

``FleetStatus.unhealthy`` decides the exit status (10) of the CLI.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.errors import WpfleetError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.context import TenantContext, TenantHealth
    from wpfleet.services.workspace import Workspace
    from wpfleet.state.base import Deployment, StateStore

#: states a CI job or cron must hear about (exit 10): down, or not provably up
BAD_STATES = ("unhealthy", "unknown")
APPROVAL_REQUESTS = "approvals/requests/"


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
    deployment_status: str = ""
    deployed_at: float | None = None
    pending_approvals: int = 0
    drift: str = ""  # "" (never checked), clean, drifted, error
    drift_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def age(self, now: float | None = None) -> str:
        """How long ago the last deployment started (``3m``, ``2h``, ``5d``)."""
        if not self.deployed_at:
            return ""
        return human_age((now or time.time()) - self.deployed_at)


@dataclass
class FleetStatus:
    fleet: str
    rows: list[TenantStatus] = field(default_factory=list)

    @property
    def unhealthy(self) -> list[TenantStatus]:
        return [r for r in self.rows if r.state in BAD_STATES]


def human_age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def fleet_status(
    ws: Workspace, env: str | None = None, tenant: str | None = None, *, http: bool = True
) -> FleetStatus:
    """Status of ``env``'s tenants (default: every environment's), or of one tenant.
    Environments are asked concurrently; rows keep the fleet file's order. ``http=False``:
    no page is fetched (local: vhost and pool only), for a quick look."""
    envs = ws.envs(env)
    if tenant is not None:
        ws.fleet.tenant(tenant)  # NotFoundError naming the tenant
    out = FleetStatus(ws.fleet.fleet)
    if len(envs) == 1:
        out.rows = env_status(ws, envs[0], tenant, http=http)
        return out
    with ThreadPoolExecutor(max_workers=len(envs)) as pool:
        for rows in pool.map(lambda e: env_status(ws, e, tenant, http=http), envs):
            out.rows += rows
    return out


def env_status(
    ws: Workspace, env: Environment, tenant: str | None = None, *, http: bool = True
) -> list[TenantStatus]:
    """One batched health call; a backend that cannot answer marks its tenants
    ``unknown`` with the reason, instead of failing the whole table."""
    ids = [t for t in ws.tenant_ids(env) if tenant in (None, t)]
    if not ids:
        return []
    backend, store = ws.backend(env), ws.store(env)
    ctxs = [ws.tenant(env, tid) for tid in ids]
    try:
        health: dict[str, TenantHealth] = (
            backend.health(ctxs) if http else backend.health(ctxs, http=False)
        )
        problem = ""
    except WpfleetError as exc:
        health, problem = {}, exc.message
    books = _Books.read(store, env.name, len(ids))
    return [_row(ctx, env, health.get(ctx.tenant.id), problem, books, backend.urls) for ctx in ctxs]


@dataclass
class _Books:
    """What the state store says of an environment's tenants, read in four listings."""

    releases: dict[str, dict[str, Any]]
    drifts: dict[str, dict[str, Any]]
    last: dict[str, Deployment]
    pending: dict[str, int]

    @classmethod
    def read(cls, store: StateStore, env: str, n: int) -> _Books:
        releases = _by_tenant(store.list_documents(f"release/{env}/"))
        drifts = _by_tenant(store.list_documents(f"drift/{env}/"))
        last: dict[str, Deployment] = {}
        for d in store.list_deployments(env=env, limit=max(200, 10 * n)):  # newest first
            last.setdefault(d.tenant, d)
        pending: dict[str, int] = {}
        now = time.time()
        for req in store.list_documents(APPROVAL_REQUESTS).values():
            live = float(req.get("expires_at") or now + 1) > now
            if req.get("env") == env and req.get("status") == "pending" and live:
                key = str(req.get("tenant"))
                pending[key] = pending.get(key, 0) + 1
        return cls(releases, drifts, last, pending)


def _by_tenant(docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``prefix/{tenant}`` keys -> tenant."""
    return {key.rsplit("/", 1)[-1]: doc for key, doc in docs.items()}


def _row(
    ctx: TenantContext,
    env: Environment,
    h: TenantHealth | None,
    problem: str,
    books: _Books,
    urls: Any,
) -> TenantStatus:
    tid = ctx.tenant.id
    if h is None:
        state = "unknown" if problem else "not deployed"
    elif not h.deployed:
        state = "not deployed"
    else:
        state = {True: "healthy", False: "unhealthy", None: "deployed"}[h.healthy]
    release = books.releases.get(tid) or {}
    detail = h.detail if h else problem
    if state == "not deployed" and release:  # released here, yet not there: down
        state, detail = "unhealthy", f"release {release.get('id', '')} recorded, not found"
    last = books.last.get(tid)
    drift = books.drifts.get(tid)
    flag = ""
    if drift is not None:
        flag = "error" if drift.get("error") else ("drifted" if drift.get("drifted") else "clean")
    return TenantStatus(
        tenant=tid,
        env=env.name,
        state=state,
        url=(h.url if h else "") or urls(ctx).get("url", ""),
        release=release.get("id", ""),
        deployment=last.id if last else release.get("deployment_id", ""),
        detail=detail,
        deployment_status=last.status if last else "",
        deployed_at=(last.started_at if last else release.get("at")),
        pending_approvals=books.pending.get(tid, 0),
        drift=flag,
        drift_at=drift.get("at") if drift else None,
    )
