"""``cost report``: each environment's bill, analysed; ``--schedule``: what runs it daily."""

from __future__ import annotations

import dataclasses
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from wpfleet.cli.app import OutputFormat, app, settings

if TYPE_CHECKING:
    from wpfleet.reports.cost import EnvCost

cost_app = typer.Typer(
    help="What the environments cost (Cost Explorer on aws).", no_args_is_help=True
)
app.add_typer(cost_app, name="cost")


class By(StrEnum):
    service = "service"
    tenant = "tenant"


def as_dict(env: EnvCost) -> dict[str, Any]:
    data = dataclasses.asdict(env)
    data["average_daily"] = env.average_daily
    data["projected_month"] = env.projected_month
    return data


@cost_app.command("report")
def report(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", help="Days back from today (Cost Explorer, daily)."),
    env: str = typer.Option(None, "--env", "-e", help="One environment (default: all on aws)."),
    by: By = typer.Option(By.service, "--by", help="Break the cost down by service or tenant."),
    chart: Path = typer.Option(None, "--chart", help="Also write a PNG chart to this file."),
    notify: bool = typer.Option(False, "--notify", help="Send anomalies to notify: channels."),
    schedule: bool = typer.Option(
        False, "--schedule", help="Print what runs this report daily (cron / EventBridge)."
    ),
) -> None:
    """Cost per environment: services, daily trend, projected month, per tenant,
    anomalies and recommendations. Table, json, csv or md (``--output``)."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services import costs

    cfg = settings(ctx)
    if chart is not None and chart.suffix.lower() != ".png":
        raise typer.BadParameter(f"{chart} is not a .png file name", param_hint="--chart")
    with cfg.workspace() as ws:
        if schedule:
            plans = costs.schedule(ws, env)
        else:
            result = costs.report(ws, days=days, env=env, notify=notify)
    if schedule:
        if cfg.json:
            emit_json([dataclasses.asdict(p) for p in plans])
        for p in plans if not cfg.json else []:
            print(f"# {p.env}: {p.kind}\n{p.text}")
        return
    for name, why in result.skipped.items():
        print(f"{name}: skipped: {why}", file=sys.stderr)
    _render(cfg.output, result.envs, by)
    if chart is not None:
        from wpfleet.reports.cost_render import write_chart

        write_chart(result.envs, chart)
        print(f"chart written to {chart}", file=sys.stderr)


def _render(output: OutputFormat, envs: list[EnvCost], by: By) -> None:
    from wpfleet.cli.output import emit_json, table
    from wpfleet.reports import cost_render

    if output is OutputFormat.json:
        emit_json([as_dict(e) for e in envs])
    elif output is OutputFormat.csv:
        sys.stdout.write(
            cost_render.tenants_csv(envs) if by is By.tenant else cost_render.as_csv(envs)
        )
    elif output is OutputFormat.md:
        sys.stdout.write(cost_render.as_markdown(envs))
    else:
        for e in envs:
            _tables(e, by, table)


def _tables(e: EnvCost, by: By, table: Any) -> None:
    head = (
        f"{e.env}{f' ({e.account})' if e.account else ''}: {e.total:.2f} {e.currency} over "
        f"{len(e.daily)} days, {e.average_daily:.2f}/day, projected month {e.projected_month:.2f}"
    )
    if by is By.tenant:
        tenants = [(t or "(untagged)", f"{c:.2f}") for t, c in sorted(e.by_tenant.items())]
        table(head, ["tenant", "cost"], tenants)
    else:
        table(
            head,
            ["service", "cost", "share"],
            [(s.service, f"{s.total:.2f}", f"{s.share:.0%}") for s in e.services],
        )
    table(f"{e.env}: daily trend", ["day", "cost"], [(d, f"{v:.2f}") for d, v in e.daily.items()])
    if e.anomalies:
        rows = [(a.day, f"{a.amount:.2f}", f"{a.typical:.2f}") for a in e.anomalies]
        table(f"{e.env}: anomalies", ["day", "cost", "typical"], rows)
    if e.recommendations:
        rows = [(r.kind, r.text, f"{r.monthly_saving:.2f}") for r in e.recommendations]
        table(f"{e.env}: recommendations", ["kind", "what", "saves/month"], rows)
