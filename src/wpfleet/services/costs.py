"""``cost report``: what each environment costs, read from its own bill.

Each environment's backend reads its own account (aws: Cost Explorer with that
environment's profile and account, as the seeds ran one report per account); the
analysis (breakdown, trend, projected month, per tenant, anomalies, recommendations) is
``reports.cost``. An anomaly is news: with ``notify=True`` (the scheduled daily run) it
is sent to the environment's channels (``services.notifications``).

``schedule`` says what runs the report daily: a cron line on a local environment, an
EventBridge Scheduler schedule (an ECS RunTask of an image with wpfleet) on aws;
``services.cost_schedule`` installs and removes them.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wpfleet.errors import UsageError
from wpfleet.reports.cost import EnvCost, analyse

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.services.workspace import Workspace

MAX_DAYS = 365  # Cost Explorer keeps 13 months of daily data, 14 days at finer grain
CRON_AT = "0 7 * * *"  # 07:00 local time: yesterday's costs are in by then
SCHEDULE_AT = "cron(0 7 * * ? *)"


@dataclass
class CostReport:
    days: int
    envs: list[EnvCost] = field(default_factory=list)
    #: environment -> why it has no figures (a local backend has no bill)
    skipped: dict[str, str] = field(default_factory=dict)


def report(
    ws: Workspace,
    *,
    days: int = 7,
    env: str | None = None,
    today: dt.date | None = None,
    notify: bool = False,
) -> CostReport:
    """The cost of ``env`` (default: every environment with a bill) over ``days`` days."""
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(
            f"--days {days} is out of range", hint=f"give a number of days from 1 to {MAX_DAYS}"
        )
    day = today or dt.datetime.now(dt.UTC).date()
    out = CostReport(days=days)
    for environment in ws.envs(env):
        try:
            data = ws.backend(environment).costs(days, day)
        except NotImplementedError as exc:
            out.skipped[environment.name] = str(exc)
            continue
        cost = analyse(
            environment.name,
            data.by_service,
            is_prod=environment.is_prod,
            account=data.account,
            by_tenant=data.by_tenant,
            currency=data.currency,
        )
        out.envs.append(cost)
        if notify and cost.anomalies:
            _tell(ws, environment, cost)
    if not out.envs:
        which = env or "any environment"
        raise UsageError(
            f"no cost data for {which}: " + "; ".join(out.skipped.values()),
            hint="name an aws environment with --env (Cost Explorer is AWS's bill)",
        )
    return out


def _tell(ws: Workspace, env: Environment, cost: EnvCost) -> None:
    from wpfleet.notify import EventKind
    from wpfleet.services import notifications

    worst = max(cost.anomalies, key=lambda a: a.amount - a.typical)
    summary = (
        f"{len(cost.anomalies)} day(s) far above the trend; worst {worst.day}: "
        f"{worst.amount:.2f} {cost.currency} (typical {worst.typical:.2f})"
    )
    detail = {a.day: f"{a.amount:.2f} (typical {a.typical:.2f})" for a in cost.anomalies}
    news = notifications.event(ws, env, EventKind.cost_anomaly, summary, detail=detail)
    notifications.notify(ws, env, news)


@dataclass
class Schedule:
    env: str
    kind: str  # cron | eventbridge-scheduler
    text: str  # what to install: a crontab line, or the AWS CLI command with its JSON


def report_command(ws: Workspace, env: Environment) -> list[str]:
    """The daily run: ``cost report --notify`` of one environment."""
    command = ["wpfleet", "--fleet", str(ws.path), "cost", "report"]
    return [*command, "--env", env.name, "--days", "7", "--notify", "--output", "md"]


def cron_line(ws: Workspace, env: Environment) -> str:
    log = ws.loaded.state_dir / "cost-report.log"
    return f"{CRON_AT} {shlex.join(report_command(ws, env))} >> {shlex.quote(str(log))} 2>&1"


def schedule(ws: Workspace, env: str | None = None) -> list[Schedule]:
    """What runs ``cost report --notify`` daily, per environment (``cost_schedule``
    installs it)."""
    out = []
    for environment in ws.envs(env):
        if environment.backend == "aws":
            name, target = eventbridge_target(ws, environment)
            text = " ".join(
                [
                    "aws scheduler create-schedule",
                    f"--region {environment.aws.region if environment.aws else ''}",
                    f"--name {name}",
                    f"--schedule-expression {shlex.quote(SCHEDULE_AT)}",
                    "--flexible-time-window Mode=OFF",
                    f"--target {shlex.quote(json.dumps(target))}",
                ]
            )
            out.append(Schedule(environment.name, "eventbridge-scheduler", text))
        else:
            out.append(Schedule(environment.name, "cron", cron_line(ws, environment)))
    return out


#: the ECS task definition family and container a scheduled report runs (yours to build)
OPS_TASK = "wpfleet-ops"


def scheduler_role(ws: Workspace) -> str:
    return f"{ws.fleet.fleet}-wpfleet-scheduler"


def eventbridge_target(ws: Workspace, env: Environment) -> tuple[str, dict[str, Any]]:
    """The schedule's name and its target: ECS RunTask of the ``wpfleet-ops`` task
    definition (an image with wpfleet and the fleet file: yours to build) on the
    environment's cluster, with the report command as the container's command."""
    aws = env.aws
    assert aws is not None
    account = aws.account_id or "ACCOUNT_ID"
    cluster = aws.cluster or "CLUSTER"
    network = {
        "awsvpcConfiguration": {
            "Subnets": aws.subnets or ["SUBNET_ID"],
            "SecurityGroups": [aws.security_group or "SECURITY_GROUP_ID"],
            "AssignPublicIp": "DISABLED",
        }
    }
    command = report_command(ws, env)
    overrides = {"containerOverrides": [{"name": "wpfleet", "command": command[3:]}]}
    target = {
        "Arn": f"arn:aws:ecs:{aws.region}:{account}:cluster/{cluster}",
        "RoleArn": f"arn:aws:iam::{account}:role/{scheduler_role(ws)}",
        "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{aws.region}:{account}:task-definition/{OPS_TASK}",
            "LaunchType": "FARGATE",
            "NetworkConfiguration": network,
        },
        "Input": json.dumps(overrides),
    }
    return f"{ws.fleet.fleet}-{env.name}-cost-report", target
