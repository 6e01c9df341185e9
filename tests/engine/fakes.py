"""An in-memory world of resources for engine tests: real logic, no services."""

from __future__ import annotations

import threading
from typing import Any

from wpfleet.engine.resource import Fact, Phase, Resource, State


class World:
    """What 'exists': resource id -> state. ``log`` records every mutation in order."""

    def __init__(self) -> None:
        self.things: dict[str, State] = {}
        self.foreign: set[str] = set()  # exists but is not ours (carries no tags of ours)
        self.log: list[tuple[str, str]] = []
        self.fail_on: set[tuple[str, str]] = set()  # (op, id) that raise
        self.lock = threading.Lock()

    def mutate(self, op: str, rid: str, state: State | None) -> None:
        if (op, rid) in self.fail_on:
            raise RuntimeError(f"{op} of {rid} failed")
        with self.lock:
            self.log.append((op, rid))
            if state is None:
                self.things.pop(rid, None)
            else:
                self.things[rid] = dict(state)


class FakeResource(Resource):
    def __init__(
        self,
        world: World,
        rid: str,
        phase: Phase = Phase.INFRA,
        depends_on: tuple[str, ...] = (),
        want: dict[str, Any] | None = None,
        taggable: bool = False,
    ) -> None:
        self.world = world
        self.id = rid
        self.phase = phase
        self.depends_on = depends_on
        self.want = want or {"v": 1}
        self.taggable = taggable
        self.description = f"fake {rid}"

    def read(self) -> Fact | None:
        state = self.world.things.get(self.id)
        if state is None:
            return None
        tagged = (self.id not in self.world.foreign) if self.taggable else None
        return Fact(dict(state), tagged=tagged)

    def desired(self) -> State:
        return dict(self.want)

    def create(self) -> None:
        self.world.mutate("create", self.id, self.want)

    def update(self, target: State) -> None:
        self.world.mutate("update", self.id, target)

    def delete(self) -> None:
        self.world.mutate("delete", self.id, None)
