"""``doctor``: why a tenant does not serve, and what fixes it (the seeds' table as code).

The environment's backend looks where the troubleshooting table says (aws: target
health, stopped tasks, logs, the endpoint in the secret, the ECS → RDS group path,
listener rules; local: the platform, each resource, the pool, the PHP log). Nothing is
changed. Each finding names the fix and, where wpfleet applies it, the command.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.context import Diagnosis

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.services.workspace import Workspace


@dataclass
class DoctorReport:
    tenant: str
    env: str
    findings: list[Diagnosis] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "env": self.env,
            "findings": [asdict(f) for f in self.findings],
        }


def diagnose(ws: Workspace, env: Environment, tenant: str) -> DoctorReport:
    ctx = ws.tenant(env, tenant)  # a tenant not in this environment: NotFoundError
    return DoctorReport(tenant, env.name, ws.backend(env).diagnose(ctx))
