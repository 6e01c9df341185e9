"""Small factories that keep service tests short: a fleet, an environment, a workspace
over a fake world, and a deployed tenant.

The backend is a fake (``FakeBackend``: resources in an in-memory ``World``, from the
engine's tests) because a service test is about the service: which store, backend and
actor it uses, what it returns and reports. The real backends are tested end to end in
tests/e2e (local) and tests/backends/aws (moto + MariaDB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.engine.fakes import FakeResource, World
from wpfleet.backends.base import Backend
from wpfleet.checks.base import Check, CheckResult
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment
from wpfleet.context import (
    ComponentStatus,
    Credentials,
    PlatformStatus,
    TenantContext,
    TenantHealth,
)
from wpfleet.engine.resource import Phase, Resource
from wpfleet.pipeline.deploy import Outcome
from wpfleet.services import Recorder, Workspace, deployments
from wpfleet.state.base import StateStore


def write_fleet(
    root: Path,
    tenants: tuple[str, ...] = ("alpha", "bravo"),
    envs: tuple[str, ...] = ("dev", "sit"),
    **env_extra: Any,
) -> Path:
    """A valid local fleet file with ``tenants`` in every one of ``envs``."""
    environments = [
        {
            "name": name,
            "backend": "local",
            "domain": f"{{tenant}}.wp{name}.localhost",
            "local": {"http_port": 18080 + i, "db_port": 13407 + i},
            **env_extra,
        }
        for i, name in enumerate(envs)
    ]
    fleet = {
        "fleet": "testfleet",
        "environments": environments,
        "tenants": [{"id": t, "name": t.title()} for t in tenants],
    }
    path = root / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
    return path


class Passing(Check):
    def __init__(self, name: str, world: World, rid: str) -> None:
        self.name, self.world, self.rid = name, world, rid

    def run(self) -> CheckResult:
        there = self.rid in self.world.things
        return self.result(there, "" if there else f"{self.rid} is missing")


class FakeBackend(Backend):
    """A backend over a ``World``: two resources per tenant, one check, no services."""

    def __init__(self, loaded: LoadedFleet, env: Environment, store: StateStore, world: World):
        super().__init__(loaded, env, store)
        self.world = world
        self.closed = False
        self.running = False

    def _ids(self, ctx: TenantContext) -> tuple[str, str]:
        prefix = f"{self.env.name}/{ctx.tenant.id}"
        return f"{prefix}/database", f"{prefix}/site"

    def platform_up(self) -> PlatformStatus:
        self.running = True
        return self.platform_status()

    def platform_down(self) -> PlatformStatus:
        self.running = False
        return self.platform_status()

    def platform_status(self) -> PlatformStatus:
        return PlatformStatus(self.env.name, [ComponentStatus("fake", self.running)])

    def preflight(self) -> None:
        pass

    def resources(self, ctx: TenantContext) -> list[Resource]:
        db, site = self._ids(ctx)
        return [
            FakeResource(self.world, db, Phase.DATABASE),
            FakeResource(self.world, site, Phase.INFRA, depends_on=(db,)),
        ]

    def checks(self, ctx: TenantContext) -> list[Check]:
        return [Passing("site", self.world, self._ids(ctx)[1])]

    def urls(self, ctx: TenantContext) -> dict[str, str]:
        url = f"http://{ctx.names.host}/"
        return {"url": url, "admin_url": url + "wp-admin/", "health_check_url": url}

    def document_sections(self, ctx: TenantContext) -> dict[str, Any]:
        return {}

    def health(self, ctxs: list[TenantContext], *, http: bool = True) -> dict[str, TenantHealth]:
        out = {}
        for ctx in ctxs:
            deployed = self._ids(ctx)[1] in self.world.things
            out[ctx.tenant.id] = TenantHealth(ctx.tenant.id, deployed, deployed or None)
        return out

    def basic_auth_credentials(self) -> Credentials | None:
        return Credentials("fleet", "basic-secret") if self.env.basic_auth else None

    def admin_credentials(self, ctx: TenantContext) -> Credentials:
        return Credentials("admin", f"secret-of-{ctx.tenant.id}")

    def close(self) -> None:
        self.closed = True


def workspace(fleet: Path, world: World | None = None, *, actor: str = "tester") -> Workspace:
    """A workspace over ``fleet`` whose backends are ``FakeBackend``s of one world."""
    shared = world or World()
    return Workspace(
        fleet,
        actor=actor,
        events=Recorder(),
        backend_factory=lambda loaded, env, store: FakeBackend(loaded, env, store, shared),
    )


def deployed(ws: Workspace, env: str = "dev", tenant: str = "alpha") -> Outcome:
    """Deploy ``tenant`` to ``env`` through the service, as the CLI would."""
    return deployments.deploy(ws, ws.env(env), tenant)
