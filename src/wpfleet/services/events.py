"""How a service reports progress while it works: an event sink.

The CLI passes its Rich/JSON-lines ``Progress`` (``wpfleet.cli.output``); a portal would
pass a sink that queues server-sent events; tests pass ``Recorder``. A service never
prints. The sink may be called from several threads at once (``deploy --all``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wpfleet.checks.verify import CheckOutcome
    from wpfleet.engine.executor import StepEvent
    from wpfleet.pipeline.batch import BatchItem


class Events(Protocol):
    """What a service tells as it goes: steps, checks, finished tenants, notes."""

    def step(self, tenant: str, event: StepEvent) -> None: ...

    def check(self, tenant: str, outcome: CheckOutcome) -> None: ...

    def tenant_done(self, item: BatchItem) -> None: ...

    def note(self, tenant: str, text: str) -> None: ...


class NoEvents:
    """Nobody is listening."""

    def step(self, tenant: str, event: StepEvent) -> None:
        pass

    def check(self, tenant: str, outcome: CheckOutcome) -> None:
        pass

    def tenant_done(self, item: BatchItem) -> None:
        pass

    def note(self, tenant: str, text: str) -> None:
        pass


@dataclass
class Recorder:
    """Keeps every event, in order, as ``(kind, tenant, payload)``: for tests."""

    events: list[tuple[str, str, Any]] = field(default_factory=list)

    def step(self, tenant: str, event: StepEvent) -> None:
        self.events.append(("step", tenant, event))

    def check(self, tenant: str, outcome: CheckOutcome) -> None:
        self.events.append(("check", tenant, outcome))

    def tenant_done(self, item: BatchItem) -> None:
        self.events.append(("tenant", item.tenant, item))

    def note(self, tenant: str, text: str) -> None:
        self.events.append(("note", tenant, text))

    def kinds(self, kind: str) -> list[Any]:
        return [payload for k, _, payload in self.events if k == kind]
