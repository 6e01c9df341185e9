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
    install: bool = typer.Option(
        False, "--install", help="With --schedule: install it (crontab / EventBridge Scheduler)."
    ),
    uninstall: bool = typer.Option(
        False, "--uninstall", help="With --schedule: remove what --install installed."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --install: show, change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Cost per environment: services, daily trend, projected month, per tenant,
    anomalies and recommendations. Table, json, csv or md (``--output``)."""
    from wpfleet.services import costs

    cfg = settings(ctx)
    if chart is not None and chart.suffix.lower() != ".png":
        raise typer.BadParameter(f"{chart} is not a .png file name", param_hint="--chart")
    if (install or uninstall or dry_run) and not schedule:
        raise typer.BadParameter("goes with --schedule", param_hint="--install/--uninstall")
    if install and uninstall:
        raise typer.BadParameter("give one of them", param_hint="--install/--uninstall")
    if schedule:
        _schedule(
            cfg, env, install=install or dry_run, uninstall=uninstall, dry_run=dry_run, yes=yes
        )
        return
    with cfg.workspace() as ws:
        result = costs.report(ws, days=days, env=env, notify=notify)
    for name, why in result.skipped.items():
        print(f"{name}: skipped: {why}", file=sys.stderr)
    _render(cfg.output, result.envs, by)
    if chart is not None:
        from wpfleet.reports.cost_render import write_chart

        write_chart(result.envs, chart)
        print(f"chart written to {chart}", file=sys.stderr)


def _schedule(cfg: Any, env: str | None, *, install: bool, uninstall: bool, dry_run: bool,
              yes: bool) -> None:  # fmt: skip
    """Print the schedule, or install / uninstall it after showing what changes."""
    from wpfleet.cli.output import emit_json
    from wpfleet.services import cost_schedule, costs

    with cfg.workspace() as ws:
        if not (install or uninstall):
            plans = costs.schedule(ws, env)
            if cfg.json:
                emit_json([dataclasses.asdict(p) for p in plans])
            for p in plans if not cfg.json else []:
                print(f"# {p.env}: {p.kind}\n{p.text}")
            return
        changes = cost_schedule.plan(ws, env, uninstall=uninstall)
        for c in changes:
            print(f"{c.env}: {c.kind} {c.name}: {c.action}" + (f"\n  {c.text}" if c.text else ""))
        todo = [c for c in changes if c.action != "noop"]
        if dry_run or not todo:
            print("dry run: nothing changed" if dry_run else "nothing to change")
            return
        if not yes:
            typer.confirm(f"apply these {len(todo)} change(s)?", abort=True)
        cost_schedule.apply(ws, todo)
        print(f"{len(todo)} change(s) applied")


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
