"""Resources and steps: the vocabulary of plans.

A ``Resource`` is one thing a tenant owns in one environment (a database user, a vhost,
a target group). It reads its actual state as plain data, states what it should be, and
knows how to create, update and delete itself. The planner compares the two and yields
a ``Step`` with an ``Op``; the dry run and the real run share that code path.

Guarantees a backend must give when it implements a Resource:
- ``read`` never changes anything and returns ``None`` when the resource is absent
  (including when something it depends on is absent);
- state dictionaries are plain JSON-able data and never contain a secret value;
- ``create``, ``update`` and ``delete`` are idempotent: ``delete`` of an absent resource
  succeeds, ``create`` of a resource that already exists (e.g. half-made by a killed run)
  converges on the desired state instead of failing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

State = dict[str, Any]


class Op(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"
    NOOP = "noop"


class Phase(StrEnum):
    DATABASE = "database"
    INFRA = "infra"
    DNS = "dns"
    POST = "post"


PHASE_ORDER = [Phase.DATABASE, Phase.INFRA, Phase.DNS, Phase.POST]


@dataclass(frozen=True)
class Fact:
    """What ``Resource.read`` found.

    ``tagged`` is True when the resource itself carries our ownership tags, False when it
    can be tagged but is not ours, and None when it cannot carry tags (databases, files,
    inline policies): then the state store's ownership record decides.
    """

    state: State
    tagged: bool | None = None


class Resource(ABC):
    """One idempotent, undoable thing. ``id`` is the stable step id (``database/user``)."""

    id: str
    phase: Phase
    depends_on: tuple[str, ...] = ()
    description: str = ""
    #: False for resources that live inside another one we own (a WordPress install
    #: inside our database); they never need an ownership record of their own.
    standalone: bool = True

    @abstractmethod
    def read(self) -> Fact | None:
        """The actual state, or None when absent."""

    @abstractmethod
    def desired(self) -> State:
        """What the state should be."""

    def differences(self, actual: State, desired: State) -> list[str]:
        """Keys whose values differ; by default every key of ``desired`` is compared."""
        return sorted(k for k, v in desired.items() if actual.get(k) != v)

    @abstractmethod
    def create(self) -> None:
        """Make the resource exist in its desired state."""

    def update(self, target: State) -> None:
        """Bring an existing resource to ``target``: desired on deploy, ``before`` on undo."""
        raise NotImplementedError(f"{self.id} cannot be updated in place")

    @abstractmethod
    def delete(self) -> None:
        """Remove the resource; succeeds when it is already absent."""

    def undo_update(self, before: State) -> None:
        """Restore what ``update`` changed. Never tears the resource down."""
        self.update(before)

    def explain(self, actual: State) -> dict[str, tuple[Any, Any]]:
        """More (actual, desired) pairs for a drift report where the compared fields are
        digests (a file's hash): e.g. the lines that differ. Default: none."""
        return {}

    def ownership_data(self) -> State:
        """What the state store records to remember this resource as ours (ids, arns)."""
        return {}


@dataclass
class Step:
    """One decision of a plan: what to do to one resource, and why."""

    id: str
    op: Op
    phase: Phase
    description: str
    depends_on: tuple[str, ...] = ()
    before: State | None = None
    after: State | None = None
    changes: list[str] = field(default_factory=list)
    resource: Resource | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "op": self.op.value,
            "phase": self.phase.value,
            "description": self.description,
            "depends_on": list(self.depends_on),
            "changes": self.changes,
            "before": self.before,
            "after": self.after,
        }
