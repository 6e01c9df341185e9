"""What the release and approval services need of a ``Workspace``, as a Protocol, and
the one place they build a ``Pipeline`` (with the injectable clock)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment
from wpfleet.pipeline.deploy import Pipeline
from wpfleet.state.base import StateStore


class WorkspaceLike(Protocol):
    actor: str

    @property
    def loaded(self) -> LoadedFleet: ...

    def env(self, name: str) -> Environment: ...

    def envs(self, name: str | None = None) -> list[Environment]: ...

    def store(self, env: Environment | None = None) -> StateStore: ...


def pipeline(
    ws: WorkspaceLike, env: Environment, *, clock: Callable[[], float] = time.time, **kw: Any
) -> Pipeline:
    return Pipeline(ws.loaded, env.name, store=ws.store(env), who=ws.actor, clock=clock, **kw)


class SimpleWorkspace:
    """A minimal workspace (fleet, one store per distinct ``state:``, actor) until the
    service layer's ``Workspace`` is merged; a context manager that closes the stores."""

    def __init__(self, loaded: LoadedFleet, actor: str = "") -> None:
        from wpfleet.pipeline.context import actor as default_actor

        self.loaded = loaded
        self.actor = actor or default_actor()
        self._stores: dict[str, StateStore] = {}

    def env(self, name: str) -> Environment:
        return self.loaded.fleet.env(name)

    def envs(self, name: str | None = None) -> list[Environment]:
        return [self.env(name)] if name else list(self.loaded.fleet.environments)

    def store(self, env: Environment | None = None) -> StateStore:
        from wpfleet.state import open_store

        cfg = (env.state if env is not None else None) or self.loaded.fleet.state
        aws = env.aws if env is not None and cfg.backend == "dynamodb" else None
        key = repr((cfg, aws))
        if key not in self._stores:
            self._stores[key] = open_store(self.loaded, env)
        return self._stores[key]

    def __enter__(self) -> SimpleWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        for store in self._stores.values():
            store.close()
