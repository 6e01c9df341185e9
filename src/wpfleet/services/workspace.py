"""The ``Workspace``: what every service stands on, assembled once per command.

A command (CLI today, a portal request later) opens one ``Workspace`` and hands it to
ONE service function. The workspace owns, for the length of that call:

- the loaded fleet, parsed once (``ws.loaded``, ``ws.fleet``);
- environments resolved once to objects: ``ws.env("dev")`` (a clear error naming the
  valid ones), ``ws.envs(name_or_None)``;
- the state stores, opened once per distinct ``state:`` configuration and closed at the
  end (``ws.store(env)``);
- the backends, one per environment, created lazily and thread-safely, closed at the end
  (``ws.backend(env)``);
- the actor (who is acting: ``--as``, ``$WPFLEET_ACTOR``, the CI actor, the OS user);
- the progress sink (``ws.events``) and the fault seams (``ws.faults``, read from the
  environment once, here and nowhere below).

Usage::

    with Workspace(fleet_path, actor=who, events=progress) as ws:
        result = services.deployments.deploy(ws, ws.env("dev"), "goldencrust")

Services never open stores or backends themselves, so tests can hand them a workspace
built around a temporary fleet, and the portal can hold one per request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from wpfleet.context import default_actor
from wpfleet.services.events import Events, NoEvents

if TYPE_CHECKING:
    from wpfleet.backends.base import Backend
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Environment, Fleet
    from wpfleet.context import TenantContext
    from wpfleet.engine.faults import Faults
    from wpfleet.state.base import StateStore

    BackendFactory = Callable[[LoadedFleet, Environment, StateStore], Backend]


class Workspace:
    """Fleet, stores, backends and actor for one command; a context manager."""

    def __init__(
        self,
        fleet: str | os.PathLike[str] | LoadedFleet | None = None,
        *,
        actor: str | None = None,
        events: Events | None = None,
        faults: Faults | None = None,
        backend_factory: BackendFactory | None = None,
    ) -> None:
        """``fleet``: a path (default ``./fleet.yaml`` or ``$WPFLEET_FLEET``) or an already
        loaded fleet. ``backend_factory`` replaces ``get_backend`` (tests: a fake world)."""
        self._fleet_arg = fleet
        self._backend_factory = backend_factory
        self._loaded: LoadedFleet | None = None
        self.actor = actor or default_actor()
        self.events: Events = events or NoEvents()
        self._faults = faults
        self._stores: dict[str, StateStore] = {}
        self._backends: dict[str, Backend] = {}
        self._lock = threading.RLock()

    # --- the fleet -----------------------------------------------------------------------
    @property
    def loaded(self) -> LoadedFleet:
        """The fleet file, parsed and checked once (a ``ConfigError`` lists every problem)."""
        if self._loaded is None:
            from wpfleet.config.load import LoadedFleet, load_fleet

            arg = self._fleet_arg
            self._loaded = arg if isinstance(arg, LoadedFleet) else load_fleet(arg)
        return self._loaded

    @property
    def fleet(self) -> Fleet:
        return self.loaded.fleet

    @property
    def path(self) -> Path:
        return self.loaded.path

    def env(self, name: str) -> Environment:
        """The environment called ``name``; ``NotFoundError`` naming the valid ones."""
        return self.fleet.env(name)

    def envs(self, name: str | None = None) -> list[Environment]:
        """``[env(name)]``, or every environment when ``name`` is None."""
        return [self.env(name)] if name else list(self.fleet.environments)

    # --- fault seams ---------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """Test seams: given, or read from ``$WPFLEET_INJECT_*`` once (here only)."""
        if self._faults is None:
            from wpfleet.engine.faults import Faults

            self._faults = Faults.from_env()
        if self._faults.active:
            from wpfleet import seams

            seams.install(self._faults.at)  # the backends' named points (``seams.point``)
            self._seams_installed = True
        return self._faults

    # --- state ---------------------------------------------------------------------------
    def store(self, env: Environment | None = None) -> StateStore:
        """The store ``env`` is configured with (else the fleet's), opened once."""
        key = self._store_key(env)
        with self._lock:
            if key not in self._stores:
                from wpfleet.state import open_store

                self._stores[key] = open_store(self.loaded, env)
            return self._stores[key]

    def stores(self, envs: list[Environment]) -> list[StateStore]:
        """The distinct stores of ``envs`` (environments may share one), in order."""
        seen: dict[int, StateStore] = {}
        for env in envs:
            store = self.store(env)
            seen.setdefault(id(store), store)
        return list(seen.values())

    def _store_key(self, env: Environment | None) -> str:
        cfg = (env.state if env is not None and env.state else None) or self.fleet.state
        if cfg.backend == "sqlite":
            return repr(cfg)
        aws = env.aws if env is not None else None  # dynamodb falls back to the env's aws:
        where = (aws.region, aws.endpoint_url, aws.profile) if aws is not None else None
        return repr((cfg, where))

    # --- backends ------------------------------------------------------------------------
    def backend(self, env: Environment) -> Backend:
        """The environment's backend, created on first use and shared (thread-safe)."""
        with self._lock:
            if env.name not in self._backends:
                self._backends[env.name] = self._new_backend(env)
            return self._backends[env.name]

    def _new_backend(self, env: Environment) -> Backend:
        if self._backend_factory is not None:
            return self._backend_factory(self.loaded, env, self.store(env))
        from wpfleet.backends import get_backend

        return get_backend(self.loaded, env, self.store(env))

    # --- tenants -------------------------------------------------------------------------
    def tenant(self, env: Environment, tenant_id: str, *, deployment_id: str = "") -> TenantContext:
        """Everything about (tenant, env), checked before anything changes."""
        from wpfleet.pipeline.context import tenant_context

        return tenant_context(
            self.loaded,
            env,
            tenant_id,
            self.store(env),
            deployment_id=deployment_id,
            who=self.actor,
        )

    def tenant_ids(self, env: Environment) -> list[str]:
        """Every tenant deployed to ``env``, in fleet-file order."""
        return [t.id for t in self.fleet.tenants_in(env.name)]

    # --- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Close backends, then stores, and take out the fault seams this workspace put in
        (the next workspace of the process reads its own); safe to call twice."""
        if getattr(self, "_seams_installed", False):
            from wpfleet import seams

            seams.install(None)
            self._seams_installed = False
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
            stores, self._stores = list(self._stores.values()), {}
        for backend in backends:
            backend.close()
        for store in stores:
            store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
