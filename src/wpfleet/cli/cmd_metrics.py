"""``metrics``: deployment frequency, success rate, rollbacks, time to restore, lead time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import app, settings

if TYPE_CHECKING:
    from wpfleet.reports.metrics import Metrics, MetricsReport


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _row(scope: str, m: Metrics) -> tuple[str, ...]:
    return (
        scope,
        str(m.deployments),
        f"{m.per_day:.2f}",
        _rate(m.success_rate),
        str(m.rollbacks),
        _duration(m.mean_time_to_restore),
    )


def as_dict(report: MetricsReport) -> dict[str, Any]:
    """The report for machines: every figure, seconds as numbers, rates 0..1."""

    def one(m: Metrics) -> dict[str, Any]:
        return {
            "deployments": m.deployments,
            "succeeded": m.succeeded,
            "failed": m.failed,
            "rollbacks": m.rollbacks,
            "per_day": m.per_day,
            "success_rate": m.success_rate,
            "mean_time_to_restore_seconds": m.mean_time_to_restore,
        }

    return {
        "days": report.days,
        "since": report.since,
        "overall": one(report.overall),
        "by_env": {k: one(v) for k, v in report.by_env.items()},
        "by_tenant": {k: one(v) for k, v in report.by_tenant.items()},
        "lead_time_seconds": report.lead_times,
        "median_lead_time_seconds": report.median_lead_time,
    }


@app.command()
def metrics(
    ctx: typer.Context,
    days: int = typer.Option(30, "--days", help="The window: this many days back from now."),
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all)."),
) -> None:
    """Deployment metrics (DORA-style) from history: per environment and per tenant."""
    from wpfleet.cli.output import emit_json, table
    from wpfleet.services import metrics as service

    cfg = settings(ctx)
    with cfg.workspace() as ws:
        report = service.report(ws, days=days, env=env)
    if cfg.json:
        emit_json(as_dict(report))
        return
    columns = ["scope", "deployments", "per day", "success", "rollbacks", "mean restore"]
    rows = [_row("all", report.overall)]
    rows += [_row(f"env {k}", v) for k, v in report.by_env.items()]
    rows += [_row(f"tenant {k}", v) for k, v in sorted(report.by_tenant.items())]
    table(f"deployments over the last {report.days} days", columns, rows)
    median = _duration(report.median_lead_time)
    table(
        f"lead time, first to last environment (median {median})",
        ["release", "lead time"],
        [(k, _duration(v)) for k, v in sorted(report.lead_times.items())],
    )
