"""``audit isolation``: prove, by trying, that no tenant reaches another's data.

Each environment's backend runs its checks (local: database grants, pool uids, file
modes, a PHP probe in each pool; aws: database grants, access points, the EFS policy,
IAM policies, security groups) over the tenants deployed there. Any breach makes the
command fail with ``IsolationBreach`` (exit 10: the checks ran, one failed, nothing was
changed); the findings are returned either way, for machines as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.context import AuditFinding
from wpfleet.errors import ExitStatus, WpfleetError

if TYPE_CHECKING:
    from wpfleet.services.workspace import Workspace


@dataclass
class AuditReport:
    #: environment -> its findings (every check of every deployed tenant)
    findings: dict[str, list[AuditFinding]] = field(default_factory=dict)
    #: environment -> why it was not audited
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def breaches(self) -> list[tuple[str, AuditFinding]]:
        return [(env, f) for env, found in self.findings.items() for f in found if not f.ok]

    @property
    def ok(self) -> bool:
        return not self.breaches

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "environments": {e: [asdict(f) for f in fs] for e, fs in self.findings.items()},
            "skipped": self.skipped,
        }


class IsolationBreach(WpfleetError):
    """At least one isolation check failed; ``report`` has every finding."""

    status = ExitStatus.VERIFY_FAILED

    def __init__(self, report: AuditReport) -> None:
        names = ", ".join(f"{env}/{f.tenant} {f.check}" for env, f in report.breaches)
        super().__init__(
            f"isolation breached: {names}",
            hint="each finding says what was reached; redeploy the tenant to restore its "
            "grants and files (`wpfleet deploy TENANT --env ENV`)",
        )
        self.report = report


def isolation(ws: Workspace, env: str | None = None) -> AuditReport:
    """Audit every deployed tenant of ``env`` (default: every environment)."""
    report = AuditReport()
    for environment in ws.envs(env):
        backend = ws.backend(environment)
        ctxs = [ws.tenant(environment, t) for t in ws.tenant_ids(environment)]
        health = backend.health(ctxs) if ctxs else {}
        deployed = [c for c in ctxs if health.get(c.tenant.id) and health[c.tenant.id].deployed]
        if not deployed:
            report.skipped[environment.name] = "no tenant deployed"
            continue
        try:
            report.findings[environment.name] = backend.audit_isolation(deployed)
        except NotImplementedError as exc:
            report.skipped[environment.name] = str(exc)
    return report
