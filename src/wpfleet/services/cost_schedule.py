"""``cost report --schedule --install`` / ``--uninstall``: what runs the daily cost report,
put in place (or taken away) idempotently; a second install changes nothing.

- local: a line in the user's crontab (``crontab -l`` / ``crontab -``), below a marker
  comment naming the fleet and environment; an install replaces the marked line, never
  adds a second; an uninstall removes it and its marker; other lines are kept as they
  were.
- aws: an EventBridge Scheduler schedule ``FLEET-ENV-cost-report`` (07:00 UTC) whose
  target is ECS RunTask of the ``wpfleet-ops`` task definition, run with the role
  ``FLEET-wpfleet-scheduler``: both yours (an image with wpfleet and the fleet file, a
  role that may ``ecs:RunTask`` it and pass its roles). wpfleet checks they exist before
  anything is written, and never creates or deletes them.

``plan`` says what would change (the dry run and the confirmation); ``apply`` does it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wpfleet.errors import UsageError, WpfleetError
from wpfleet.services import costs

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.services.workspace import Workspace

CRONTAB = "crontab"


@dataclass
class ScheduleChange:
    env: str
    kind: str  # cron | eventbridge-scheduler
    action: str  # create | update | delete | noop
    name: str  # the crontab marker, or the schedule's name
    text: str  # the crontab line, or the schedule's target (JSON)


def plan(ws: Workspace, env: str | None = None, *, uninstall: bool = False) -> list[ScheduleChange]:
    """What an install (or uninstall) would change, per environment; reads only. Bad
    input (an aws block without account, cluster, subnets or security group, a missing
    ``wpfleet-ops`` task definition or role) is an error here, before anything changes."""
    out = []
    for environment in ws.envs(env):
        if environment.backend == "aws":
            out.append(_plan_aws(ws, environment, uninstall))
        else:
            out.append(_plan_cron(ws, environment, uninstall))
    return out


def apply(ws: Workspace, changes: list[ScheduleChange]) -> None:
    for change in changes:
        if change.action == "noop":
            continue
        if change.kind == "cron":
            _write_crontab(_edited(_read_crontab(), change))
        else:
            _apply_aws(ws, ws.env(change.env), change)


# --- local: the user's crontab ---------------------------------------------------------------
def marker(ws: Workspace, env: Environment) -> str:
    return f"# wpfleet cost report: fleet {ws.fleet.fleet}, env {env.name} (cost report --schedule)"


def _plan_cron(ws: Workspace, env: Environment, uninstall: bool) -> ScheduleChange:
    mark, line = marker(ws, env), costs.cron_line(ws, env)
    current = _marked(_read_crontab(), mark)
    if uninstall:
        action = "delete" if current is not None else "noop"
    else:
        action = "noop" if current == line else ("create" if current is None else "update")
    return ScheduleChange(env.name, "cron", action, mark, "" if uninstall else line)


def _marked(lines: list[str], mark: str) -> str | None:
    """The line below ``mark`` ("" when the marker ends the table), or None: no marker."""
    for i, line in enumerate(lines):
        if line == mark:
            return lines[i + 1] if i + 1 < len(lines) else ""
    return None


def _edited(lines: list[str], change: ScheduleChange) -> list[str]:
    out, skip = [], False
    for line in lines:
        if skip:
            skip = False
            continue
        if line == change.name:
            skip = True  # the marker and the line below it go
            continue
        out.append(line)
    if change.action != "delete":
        out += [change.name, change.text]
    return out


def _read_crontab() -> list[str]:
    try:
        done = subprocess.run([CRONTAB, "-l"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError as exc:
        raise UsageError(
            "there is no crontab command on this machine",
            hint="install cron (Debian: apt-get install cron), or add the line "
            "`wpfleet cost report --schedule` prints to your scheduler",
        ) from exc
    if done.returncode != 0:
        if "no crontab for" in done.stderr:
            return []
        raise WpfleetError(f"crontab -l failed: {done.stderr.strip()}")
    return done.stdout.splitlines()


def _write_crontab(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    done = subprocess.run([CRONTAB, "-"], input=text, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise WpfleetError(f"crontab - refused the table: {done.stderr.strip()}")


# --- aws: EventBridge Scheduler ---------------------------------------------------------------
def _spec(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "ScheduleExpression": costs.SCHEDULE_AT,
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
        "State": "ENABLED",
        "Description": "wpfleet: the daily cost report (cost report --notify)",
    }


def _plan_aws(ws: Workspace, env: Environment, uninstall: bool) -> ScheduleChange:
    from wpfleet.backends.aws import scheduler

    aws = _session(ws, env)
    name, target = costs.eventbridge_target(ws, env)
    found = scheduler.get_schedule(aws, name)
    if uninstall:
        action = "delete" if found is not None else "noop"
        return ScheduleChange(env.name, "eventbridge-scheduler", action, name, "")
    _require_parts(ws, env, aws)
    if found is None:
        action = "create"
    else:
        same = {k: found.get(k) for k in ("ScheduleExpression", "Target", "State")}
        want = {k: _spec(target)[k] for k in ("ScheduleExpression", "Target", "State")}
        action = "noop" if _same(same, want) else "update"
    return ScheduleChange(env.name, "eventbridge-scheduler", action, name, json.dumps(target))


def _same(found: dict[str, Any], want: dict[str, Any]) -> bool:
    """Equal as JSON, ignoring the defaults AWS adds to a target (RetryPolicy, ...)."""
    target = {k: v for k, v in (found.get("Target") or {}).items() if k in want["Target"]}
    return json.dumps({**found, "Target": target}, sort_keys=True, default=str) == json.dumps(
        want, sort_keys=True, default=str
    )


def _apply_aws(ws: Workspace, env: Environment, change: ScheduleChange) -> None:
    from wpfleet.backends.aws import scheduler

    aws = _session(ws, env)
    if change.action == "delete":
        scheduler.delete_schedule(aws, change.name)
        return
    spec = _spec(json.loads(change.text))
    scheduler.put_schedule(aws, change.name, exists=change.action == "update", **spec)


def _require_parts(ws: Workspace, env: Environment, aws: Any) -> None:
    """The schedule runs a task of yours with a role of yours: both must exist, and the
    fleet file must name where (no placeholder goes into a real schedule)."""
    from wpfleet.backends.aws import ecs, iam

    settings = env.aws
    assert settings is not None
    missing = [
        key
        for key, value in (
            ("account_id", settings.account_id),
            ("cluster", settings.cluster),
            ("subnets", settings.subnets),
            ("security_group", settings.security_group),
        )
        if not value
    ]
    if missing:
        raise UsageError(
            f"{env.name}: the fleet file's aws: block has no {', '.join(missing)}",
            hint="set them: the scheduled report runs a task in that cluster and network",
        )
    if ecs.find_task_definition(aws, costs.OPS_TASK) is None:
        raise UsageError(
            f"{env.name}: there is no ECS task definition {costs.OPS_TASK!r} to schedule",
            hint="register one: an image with wpfleet and the fleet file, a container named "
            "'wpfleet' (see README, cost report --schedule)",
        )
    if iam.get_role(aws, costs.scheduler_role(ws)) is None:
        raise UsageError(
            f"{env.name}: there is no IAM role {costs.scheduler_role(ws)!r} for the schedule",
            hint="create it, trusted by scheduler.amazonaws.com, allowed ecs:RunTask of "
            f"{costs.OPS_TASK} and iam:PassRole of its roles",
        )


def _session(ws: Workspace, env: Environment) -> Any:
    from wpfleet.backends.aws.backend import AwsBackend

    backend = ws.backend(env)
    assert isinstance(backend, AwsBackend)
    return backend.aws
