"""What wpfleet tells people about: the event, and how it reads in each channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    deployment_succeeded = "deployment.succeeded"
    deployment_failed = "deployment.failed"
    deployment_rolled_back = "deployment.rolled-back"
    approval_requested = "approval.requested"
    approval_decided = "approval.decided"
    drift_found = "drift.found"
    cost_anomaly = "cost.anomaly"


_ICON = {
    EventKind.deployment_succeeded: "OK",
    EventKind.deployment_failed: "FAILED",
    EventKind.deployment_rolled_back: "ROLLED BACK",
    EventKind.approval_requested: "APPROVAL NEEDED",
    EventKind.approval_decided: "APPROVAL",
    EventKind.drift_found: "DRIFT",
    EventKind.cost_anomaly: "COST",
}

#: keys that must never travel in a message, whatever a caller put in ``detail``
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|key|credential", re.IGNORECASE)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    fleet: str
    env: str
    summary: str
    tenant: str = ""
    url: str = ""
    actor: str = ""
    #: plain, non-secret facts (deployment id, release, reason); secret-looking keys dropped
    detail: dict[str, str] = field(default_factory=dict)

    def safe_detail(self) -> dict[str, str]:
        return {k: str(v) for k, v in sorted(self.detail.items()) if not _SECRET_KEY.search(k)}

    @property
    def subject(self) -> str:
        who = f"{self.tenant} " if self.tenant else ""
        return f"[wpfleet {self.fleet}] {_ICON[self.kind]}: {who}{self.env}: {self.summary}"

    def as_text(self) -> str:
        lines = [self.subject]
        if self.url:
            lines.append(f"URL: {self.url}")
        if self.actor:
            lines.append(f"By: {self.actor}")
        lines += [f"{k}: {v}" for k, v in self.safe_detail().items()]
        return "\n".join(lines)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "fleet": self.fleet,
            "env": self.env,
            "tenant": self.tenant,
            "summary": self.summary,
            "url": self.url,
            "actor": self.actor,
            "detail": self.safe_detail(),
        }
