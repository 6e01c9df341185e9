"""Deployment metrics from history, DORA-style: how often, how well, how fast back.

Computed from the deployment records alone (``StateStore.list_deployments``), so they
need no extra bookkeeping and agree with ``wpfleet history``:

- **frequency**: successful deployments per day over the window;
- **success rate**: succeeded / finished (running and abandoned runs are not counted);
- **rollbacks**: deployments that ended rolled back, plus manual ``rollback`` runs;
- **mean time to restore**: from a failed run of a tenant in an environment to the next
  succeeded run of the same tenant there;
- **lead time**: for each release (its id), from its first success in the first
  environment of the chain to its first success in the last one (dev → prod).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wpfleet.state.base import Deployment

FAILED = frozenset({"failed", "rolled-back", "needs-attention"})
FINISHED = FAILED | {"succeeded"}
DAY = 86400.0


@dataclass
class Metrics:
    deployments: int = 0
    succeeded: int = 0
    failed: int = 0
    rollbacks: int = 0
    per_day: float = 0.0
    #: seconds; None when nothing failed and was restored in the window
    mean_time_to_restore: float | None = None

    @property
    def success_rate(self) -> float | None:
        finished = self.succeeded + self.failed
        return self.succeeded / finished if finished else None


@dataclass
class MetricsReport:
    days: int
    since: float
    overall: Metrics = field(default_factory=Metrics)
    by_env: dict[str, Metrics] = field(default_factory=dict)
    by_tenant: dict[str, Metrics] = field(default_factory=dict)
    #: seconds from first to last environment, per release that reached the last one
    lead_times: dict[str, float] = field(default_factory=dict)

    @property
    def median_lead_time(self) -> float | None:
        return statistics.median(self.lead_times.values()) if self.lead_times else None


def compute(
    deployments: Iterable[Deployment], chain: Sequence[str], days: int, now: float
) -> MetricsReport:
    """Metrics over the ``days`` before ``now``; ``chain`` is the promotion order."""
    since = now - days * DAY
    runs = sorted(
        (d for d in deployments if d.started_at >= since and d.kind != "destroy"),
        key=lambda d: d.started_at,
    )
    report = MetricsReport(days=days, since=since)
    report.overall = _metrics(runs, days)
    for key, group in _group(runs, lambda d: d.env).items():
        report.by_env[key] = _metrics(group, days)
    for key, group in _group(runs, lambda d: d.tenant).items():
        report.by_tenant[key] = _metrics(group, days)
    if len(chain) >= 2:
        report.lead_times = _lead_times(runs, chain[0], chain[-1])
    return report


def _group(runs: list[Deployment], key: object) -> dict[str, list[Deployment]]:
    out: dict[str, list[Deployment]] = defaultdict(list)
    for run in runs:
        out[key(run)].append(run)  # type: ignore[operator]
    return dict(out)


def _metrics(runs: list[Deployment], days: int) -> Metrics:
    m = Metrics(deployments=len(runs))
    m.succeeded = sum(1 for d in runs if d.status == "succeeded")
    m.failed = sum(1 for d in runs if d.status in FAILED)
    m.rollbacks = sum(1 for d in runs if d.status == "rolled-back" or d.kind == "rollback")
    m.per_day = m.succeeded / days if days else 0.0
    restores = _restore_times(runs)
    m.mean_time_to_restore = statistics.fmean(restores) if restores else None
    return m


def _restore_times(runs: list[Deployment]) -> list[float]:
    """Per (tenant, env): first failure after a good state → next success."""
    broken_since: dict[tuple[str, str], float] = {}
    out: list[float] = []
    for run in runs:
        key = (run.tenant, run.env)
        if run.status in FAILED:
            broken_since.setdefault(key, run.finished_at or run.started_at)
        elif run.status == "succeeded" and key in broken_since:
            out.append((run.finished_at or run.started_at) - broken_since.pop(key))
    return out


def _lead_times(runs: list[Deployment], first: str, last: str) -> dict[str, float]:
    started: dict[str, float] = {}
    out: dict[str, float] = {}
    for run in runs:
        release = str(run.release.get("id", "")) if run.release else ""
        if not release or run.status != "succeeded":
            continue
        done = run.finished_at or run.started_at
        if run.env == first:
            started.setdefault(release, done)
        elif run.env == last and release in started and release not in out:
            out[release] = done - started[release]
    return out
