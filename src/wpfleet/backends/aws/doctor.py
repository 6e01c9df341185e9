"""``wpfleet doctor`` on AWS: the seeds' troubleshooting table as code.

Each probe reads (never changes) what the table says to look at and returns findings
with the cause, the fix and, where wpfleet applies it, the command:

- **503** (no healthy targets): the target group's health per target with AWS's reason
  code, and the service's stopped tasks with their ``stoppedReason``;
- **ResourceInitializationError** in a stopped reason: the execution role cannot read
  the tenant's secret (or reach Secrets Manager);
- **tasks that will not start**: desired > 0 and none running, the cause named from the
  stopped reason (AWS's table of stopped-task errors: image pull, container start,
  memory, an exiting container, health checks), else the service's last events;
- **500** from the logs: unknown database (1049), access denied (1045), connection
  refused or timed out (2002 / "Error establishing a database connection");
- the **database endpoint** in the tenant's secret against RDS's real endpoint;
- the **ECS → RDS security-group path**: the database's groups must admit the tasks'
  group on the database port;
- **priority conflicts**: another listener rule answering the tenant's host;
- **401**: the environment's basic auth (expected without the login).
"""

from __future__ import annotations

import time
from typing import Any

from wpfleet.backends.aws import ecs, elbv2, logs, rds
from wpfleet.backends.aws.tenant import TenantAws
from wpfleet.context import Diagnosis
from wpfleet.naming import log_group

LOG_CAUSES = (
    ("[1049]", "the database does not exist (Unknown database)",
     "create it again: a deploy re-creates the database and user"),
    ("[1045]", "the database refuses the user's password (Access denied)",
     "a deploy resets the user's password from the tenant's secret"),
    ("[2002]", "the database server cannot be reached (connection refused / timed out)",
     "check the endpoint in the secret and the ECS → RDS security-group path below"),
    ("Error establishing a database connection",
     "WordPress cannot connect to its database",
     "see the database findings: endpoint, security groups, user and password"),
)  # fmt: skip
LOG_WINDOW = 3600.0
#: a stopped task's reason -> (what it means, the fix); the texts of AWS's table of
#: stopped-task errors, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
STOPPED_REASONS = (
    ("CannotPullContainerError", "the task's image cannot be pulled",
     "check the image and tag in the fleet file exist in the registry, that the execution "
     "role may pull from it (ECR: ecr:GetAuthorizationToken, ecr:BatchGetImage), and that "
     "the tasks' subnets reach it (a NAT gateway or VPC endpoints for ECR and S3); then "
     "deploy again"),
    ("CannotStartContainerError", "the container runtime could not start the container",
     "check the image's entry point and the task's cpu and memory in the fleet file; then "
     "deploy again"),
    ("OutOfMemoryError", "the container was killed for using more memory than the task has",
     "raise the tenant's memory in the fleet file, then deploy again"),
    ("Essential container in task exited", "the WordPress container exited on its own",
     "read why in its logs (wpfleet logs), fix that, then deploy again"),
    ("Task failed ELB health checks", "the load balancer's health checks failed",
     "see the target findings (503) and wpfleet logs"),
)  # fmt: skip


def diagnose(t: TenantAws, basic_auth: bool) -> list[Diagnosis]:
    """Live reads only: what this run cached (a deploy's reads) is forgotten first."""
    t.cache.forget(*list(t.cache.values))
    deploy = f"wpfleet deploy {t.tenant} --env {t.env}"
    out: list[Diagnosis] = []
    out += _targets(t, deploy)
    out += _tasks(t, deploy)
    out += _log_causes(t, deploy)
    out += _endpoint(t)
    out += _sg_path(t)
    out += _priorities(t)
    if basic_auth:
        out.append(
            Diagnosis(
                "401",
                f"{t.env} is behind basic auth: a request without the login answers 401",
                "send the environment's login",
                f"wpfleet credentials --env {t.env}",
            )
        )
    return out


def _targets(t: TenantAws, deploy: str) -> list[Diagnosis]:
    tg = t.target_group()
    if tg is None:
        return [Diagnosis("503", "the tenant has no target group", "deploy the tenant", deploy)]
    health = elbv2.describe_target_health(t.aws, tg["TargetGroupArn"])
    if not health:
        return [
            Diagnosis(
                "503",
                "no targets are registered: no task of the service is running",
                "see why the tasks stopped (below)",
            )
        ]
    out = []
    for h in health:
        state = h.get("TargetHealth", {})
        if state.get("State") != "healthy":
            target = h.get("Target", {}).get("Id", "?")
            reason = state.get("Reason", "")
            out.append(
                Diagnosis(
                    "503",
                    f"target {target} is {state.get('State')}: {reason} "
                    f"{state.get('Description', '')}".strip(),
                    _target_fix(reason),
                )
            )
    return out


def _target_fix(reason: str) -> str:
    return {
        "Target.ResponseCodeMismatch": "the health check path answers an unexpected status: "
        "open it (wpfleet logs) and check the health check's matcher",
        "Target.Timeout": "the task does not answer in time: check it started (logs) and "
        "that the tasks' group admits the load balancer",
        "Target.FailedHealthChecks": "the task answers the health check wrongly: see wpfleet logs",
        "Elb.InitialHealthChecking": "wait: the target is still being checked",
    }.get(reason, "see the task's logs (wpfleet logs)")


def _tasks(t: TenantAws, deploy: str) -> list[Diagnosis]:
    svc = t.service()
    if svc is None:
        return [Diagnosis("503", "the tenant's ECS service does not exist", "deploy", deploy)]
    cluster = t.require("cluster")
    out: list[Diagnosis] = []
    resp = t.aws.call(
        "ecs",
        "list_tasks",
        cluster=cluster,
        serviceName=svc["serviceName"],
        desiredStatus="STOPPED",
    )
    stopped = resp.get("taskArns", [])[:10]
    tasks = ecs.describe_tasks(t.aws, cluster, stopped) if stopped else []
    tasks.sort(key=lambda x: str(x.get("stoppedAt", "")), reverse=True)  # newest first
    for task in tasks:
        reason = str(task.get("stoppedReason", ""))
        if "ResourceInitializationError" in reason:
            out.append(
                Diagnosis(
                    "ResourceInitializationError",
                    f"a task could not start: {reason[:600]}",
                    "the execution role must read the tenant's secrets (and reach Secrets "
                    "Manager); a deploy rewrites the role's policy",
                    deploy,
                )
            )
        elif reason:
            out.append(Diagnosis("503", f"a task stopped: {reason[:300]}", "see wpfleet logs"))
    if svc.get("desiredCount", 0) > 0 and svc.get("runningCount", 0) == 0:
        out.append(_not_starting(svc, [str(x.get("stoppedReason", "")) for x in tasks], deploy))
    return out


def _not_starting(svc: dict[str, Any], reasons: list[str], deploy: str) -> Diagnosis:
    """Desired > 0, none running: the cause named from the newest stopped reason that
    AWS's table knows, else the service's last events."""
    for reason in reasons:
        for code, meaning, fix in STOPPED_REASONS:
            if code in reason:
                return Diagnosis(
                    "tasks not starting",
                    f"0 of {svc['desiredCount']} tasks running: {meaning} ({reason[:400]})",
                    fix,
                    deploy,
                )
    events = "; ".join(str(e.get("message", "")) for e in svc.get("events", [])[:3])
    return Diagnosis(
        "tasks not starting",
        f"0 of {svc['desiredCount']} tasks running" + (f": {events}" if events else ""),
        "fix the cause above, then deploy again",
        deploy,
    )


def _log_causes(t: TenantAws, deploy: str) -> list[Diagnosis]:
    group = t.names.log_group
    if not logs.log_group_exists(t.aws, group):
        return [
            Diagnosis(
                "tasks not starting",
                f"the tenant's log group {group} is missing: ECS cannot start a task whose "
                "awslogs group does not exist, and there are no logs to read (a tenant "
                f"deployed before per-tenant groups logs to {log_group(t.env)} until its "
                "next deploy)",
                "deploy the tenant: it creates the group (and moves the task definition to it)",
                deploy,
            )
        ]
    start = int((time.time() - LOG_WINDOW) * 1000)
    prefix = f"{t.names.log_stream_prefix}/"
    out = []
    for term, cause, fix in LOG_CAUSES:
        found = logs.filter_log_events(t.aws, group, prefix, term, start, limit=1)
        if found.events:
            line = str(found.events[0].get("message", ""))[:200]
            command = deploy if term in ("[1049]", "[1045]") else ""
            out.append(Diagnosis("500", f"{cause}; the logs say: {line}", fix, command))
    return out


def _endpoint(t: TenantAws) -> list[Diagnosis]:
    """The host in the tenant's secret against the real one: RDS's endpoint address
    (or ``aws.rds_endpoint`` where the fleet file names the server itself)."""
    where = t.settings.rds_instance or "the database server"
    if t.settings.rds_endpoint:
        real = t.settings.rds_endpoint.partition(":")[0]
    elif t.settings.rds_instance:
        instance = rds.describe_db_instance(t.aws, t.settings.rds_instance) or {}
        real = instance.get("Endpoint", {}).get("Address", "")
    else:
        return []
    configured = str(t.secret_value(t.names.db_secret).get("host", "")).partition(":")[0]
    if not real or configured == real:
        return []
    return [
        Diagnosis(
            "500",
            f"the tenant's secret points WordPress at {configured or '(no host)'}, but "
            f"{where} is at {real}",
            "write the real endpoint into the secret: a deploy does",
            f"wpfleet deploy {t.tenant} --env {t.env}",
        )
    ]


def _sg_path(t: TenantAws) -> list[Diagnosis]:
    task_sg, instance_id = t.settings.security_group, t.settings.rds_instance
    if not task_sg or not instance_id:
        return []
    instance = rds.describe_db_instance(t.aws, instance_id) or {}
    port = int(instance.get("Endpoint", {}).get("Port") or 3306)
    groups = [g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])]
    if not groups:
        return []
    resp = t.aws.call("ec2", "describe_security_groups", GroupIds=groups)
    for group in resp.get("SecurityGroups", []):
        for perm in group.get("IpPermissions", []):
            if _covers(perm, port) and any(
                p.get("GroupId") == task_sg for p in perm.get("UserIdGroupPairs", [])
            ):
                return []
    return [
        Diagnosis(
            "500",
            f"the database's groups ({', '.join(groups)}) do not admit the tasks' group "
            f"{task_sg} on port {port}",
            f"aws ec2 authorize-security-group-ingress --group-id {groups[0]} --protocol tcp "
            f"--port {port} --source-group {task_sg}",
        )
    ]


def _covers(perm: dict[str, Any], port: int) -> bool:
    if perm.get("IpProtocol") == "-1":
        return True
    return int(perm.get("FromPort", -1)) <= port <= int(perm.get("ToPort", -1))


def _priorities(t: TenantAws) -> list[Diagnosis]:
    host = t.names.host
    answering = []
    for rule in elbv2.describe_rules(t.aws, t.require("listener_arn")):
        for cond in rule.get("Conditions", []):
            values = cond.get("HostHeaderConfig", {}).get("Values", []) or cond.get("Values", [])
            if cond.get("Field") == "host-header" and host in values:
                answering.append(rule)
    if len(answering) < 2:
        return []
    ordered = sorted(answering, key=lambda r: int(r["Priority"]))
    first = ordered[0]
    return [
        Diagnosis(
            "priority conflict",
            f"{len(answering)} listener rules answer {host}: priorities "
            + ", ".join(str(r["Priority"]) for r in ordered)
            + f"; the lowest ({first['Priority']}) wins",
            "delete the rule that is not the tenant's (wpfleet's is tagged wpfleet:tenant)",
        )
    ]
