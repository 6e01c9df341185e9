"""One Terraform root module per tenant and environment: its own directory, its own
state key, an S3 backend locked by S3 itself (``use_lockfile``, Terraform >= 1.11), and
``import`` blocks for what wpfleet already created, so a live tenant moves to Terraform
without being recreated. The seeds' shared directory (dev and sit names colliding,
``-target`` everywhere) does not exist here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wpfleet import naming
from wpfleet.config.models import Environment, Fleet, Tenant
from wpfleet.config.resolve import resolve_tenant
from wpfleet.iac.hcl import assignments, string

MODULES = "../../../modules"


@dataclass(frozen=True)
class RootInput:
    fleet: Fleet
    env: Environment
    tenant: Tenant
    priority: int
    state_bucket: str
    document: dict[str, Any] | None  # the config document, when wpfleet deployed it


def _db_endpoint(raw: str | None) -> tuple[str, int]:
    host, _, port = (raw or "").rpartition(":")
    if host and port.isdigit():
        return host, int(port)
    return raw or "", 3306


def tfvars(r: RootInput) -> dict[str, Any]:
    aws = r.env.aws
    assert aws is not None
    t = resolve_tenant(r.fleet, r.tenant, r.env)
    n = naming.tenant_names(r.tenant.id, r.env.name, r.env.domain)
    host, port = _db_endpoint(aws.rds_endpoint)
    values: dict[str, Any] = {
        "region": aws.region,
        "account_id": aws.account_id or "",
        "dns_region": aws.dns.region or aws.region,
        "tags": {
            "wpfleet:tenant": n.tenant,
            "wpfleet:env": n.env,
            "Tenant": n.tenant,
            "Environment": n.env,
        },
        "names": {
            "service": n.service,
            "task_family": n.task_family,
            "target_group": n.target_group,
            "listener_rule": n.listener_rule,
            "access_point": n.access_point,
            "task_name_tag": n.task_name_tag,
            "execution_role": n.execution_role,
            "task_role": n.task_role,
            "exec_policy": naming.EXEC_POLICY,
            "task_policy": naming.TASK_POLICY,
            "log_group": n.log_group,
            "log_stream_prefix": n.log_stream_prefix,
            "efs_path": n.efs_path,
            "database": n.database,
        },
        "host": n.host,
        "scheme": aws.scheme,
        "cluster": aws.cluster or "",
        "vpc_id": aws.vpc_id or "",
        "subnets": list(aws.subnets),
        "security_group": aws.security_group or "",
        "listener_arn": aws.listener_arn or "",
        "priority": r.priority,
        "efs_id": aws.efs_id or "",
        "image": t.image,
        "cpu": t.cpu,
        "memory": t.memory,
        "desired_count": t.desired_count,
        "db_host": host,
        "db_port": port,
        "rds_master_secret": aws.rds_master_secret or "",
        "secret_name": n.db_secret,
        "db_user": n.db_user,
        "existing_secret": r.document is not None,
        "log_retention_days": aws.logs.retention_days,
    }
    if _has_dns(r.env):
        values["zone_id"] = aws.hosted_zone_id
        values["cloudfront_domain"] = aws.cloudfront_domain
    return values


def _has_dns(env: Environment) -> bool:
    return bool(env.aws and env.aws.hosted_zone_id and env.aws.cloudfront_domain)


def backend_tf(r: RootInput) -> str:
    aws = r.env.aws
    assert aws is not None
    key = naming.tf_state_key(r.tenant.id, r.env.name)
    return (
        "terraform {\n"
        '  required_version = ">= 1.11"\n'
        '  backend "s3" {\n'
        f"    bucket       = {string(r.state_bucket)}\n"
        f"    key          = {string(key)}\n"
        f"    region       = {string(aws.region)}\n"
        "    encrypt      = true\n"
        "    use_lockfile = true # S3 locks the state itself; no DynamoDB lock table\n"
        "  }\n"
        "  required_providers {\n"
        '    aws   = { source = "hashicorp/aws", version = ">= 5.60" }\n'
        '    mysql = { source = "petoju/mysql", version = ">= 3.0" }\n'
        '    random = { source = "hashicorp/random", version = ">= 3.6" }\n'
        "  }\n"
        "}\n"
    )


VARIABLES = """\
variable "region" { type = string }
variable "account_id" { type = string }
variable "dns_region" { type = string }
variable "tags" { type = map(string) }
variable "names" { type = map(string) }
variable "host" { type = string }
variable "scheme" { type = string }
variable "cluster" { type = string }
variable "vpc_id" { type = string }
variable "subnets" { type = list(string) }
variable "security_group" { type = string }
variable "listener_arn" { type = string }
variable "priority" { type = number }
variable "efs_id" { type = string }
variable "image" { type = string }
variable "cpu" { type = number }
variable "memory" { type = number }
variable "desired_count" { type = number }
variable "db_host" { type = string }
variable "db_port" { type = number }
variable "rds_master_secret" { type = string }
variable "secret_name" { type = string }
variable "db_user" { type = string }
variable "existing_secret" { type = bool }
variable "log_retention_days" { type = number }
"""

DNS_VARIABLES = """\
variable "zone_id" { type = string }
variable "cloudfront_domain" { type = string }
"""

PROVIDERS = """\
provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]
}

# The hosted zone may live in another account (the seeds' zone is in prod's).
provider "aws" {
  alias  = "dns"
  region = var.dns_region
}

data "aws_secretsmanager_secret_version" "master" {
  secret_id = var.rds_master_secret
}

provider "mysql" {
  endpoint = "${var.db_host}:${var.db_port}"
  username = jsondecode(data.aws_secretsmanager_secret_version.master.secret_string)["username"]
  password = jsondecode(data.aws_secretsmanager_secret_version.master.secret_string)["password"]
  tls      = "true"
}
"""

MAIN = """\
module "database" {
  source          = "{modules}/database"
  secret_name     = var.secret_name
  database        = var.names["database"]
  db_user         = var.db_user
  db_host         = var.db_host
  db_port         = var.db_port
  existing_secret = var.existing_secret
  tags            = var.tags
}

module "ecs_tenant" {
  source         = "{modules}/ecs-tenant"
  names          = var.names
  tags           = var.tags
  region         = var.region
  host           = var.host
  scheme         = var.scheme
  cluster        = var.cluster
  vpc_id         = var.vpc_id
  subnets        = var.subnets
  security_group = var.security_group
  listener_arn   = var.listener_arn
  priority       = var.priority
  efs_id         = var.efs_id
  image          = var.image
  cpu            = var.cpu
  memory         = var.memory
  desired_count  = var.desired_count
  db_host        = var.db_host
  db_secret_arn  = module.database.secret_arn

  log_retention_days = var.log_retention_days
}
"""

DNS_MAIN = """
module "dns_cloudfront" {
  source            = "{modules}/dns-cloudfront"
  providers         = { aws = aws.dns }
  zone_id           = var.zone_id
  host              = var.host
  cloudfront_domain = var.cloudfront_domain
}
"""


def _import(to: str, id_expr: str) -> str:
    return f"import {{\n  to = {to}\n  id = {id_expr}\n}}\n"


def imports_tf(r: RootInput, values: dict[str, Any]) -> str:
    """Import blocks for what the config document says wpfleet created."""
    doc = r.document
    if doc is None:
        return ""
    n, aws = values["names"], r.env.aws
    assert aws is not None
    infra, storage = doc.get("infrastructure", {}), doc.get("storage", {})
    database = doc.get("database", {})
    ecs, db = "module.ecs_tenant", "module.database"
    blocks = [
        "# wpfleet created these (config document): Terraform takes them over as they are.\n",
        'data "aws_lb_target_group" "existing" {\n  name = var.names["target_group"]\n}\n',
        'data "aws_lb_listener_rule" "existing" {\n  listener_arn = var.listener_arn\n'
        "  priority     = var.priority\n}\n",
        _import(f"{ecs}.aws_lb_target_group.tenant", "data.aws_lb_target_group.existing.arn"),
        _import(f"{ecs}.aws_lb_listener_rule.tenant", "data.aws_lb_listener_rule.existing.arn"),
        _import(f"{ecs}.aws_ecs_service.tenant", string(f"{aws.cluster}/{n['service']}")),
        _import(f"{db}.mysql_database.tenant", string(n["database"])),
        _import(f"{db}.mysql_user.tenant", string(f"{values['db_user']}@%")),
        _import(f"{db}.mysql_grant.tenant", string(f"{values['db_user']}@%@{n['database']}@*")),
    ]
    if aws.iam_mode == "per-tenant-roles":
        for role, policy, res in (
            ("execution_role", "exec_policy", "execution"),
            ("task_role", "task_policy", "task"),
        ):
            blocks.append(_import(f"{ecs}.aws_iam_role.{res}", string(n[role])))
            blocks.append(
                _import(f"{ecs}.aws_iam_role_policy.{res}", string(f"{n[role]}:{n[policy]}"))
            )
    if infra.get("log_group"):  # documents from before per-tenant groups have none
        blocks.append(
            _import(f"{ecs}.aws_cloudwatch_log_group.tenant", string(str(infra["log_group"])))
        )
    if storage.get("access_point_id"):
        blocks.append(
            _import(f"{ecs}.aws_efs_access_point.tenant", string(storage["access_point_id"]))
        )
    if infra.get("task_definition"):
        arn = (
            f"arn:aws:ecs:{aws.region}:{aws.account_id}:task-definition/{infra['task_definition']}"
        )
        blocks.append(_import(f"{ecs}.aws_ecs_task_definition.tenant", string(arn)))
    if database.get("secret_arn"):
        blocks.append(_import(f"{db}.aws_secretsmanager_secret.db", string(database["secret_arn"])))
    if _has_dns(r.env):
        record = f"{aws.hosted_zone_id}_{values['host']}_A"
        blocks.append(_import("module.dns_cloudfront.aws_route53_record.tenant", string(record)))
    return "\n".join(blocks)


def root_files(r: RootInput) -> dict[str, str]:
    values = tfvars(r)
    dns = _has_dns(r.env)
    files = {
        "backend.tf": backend_tf(r),
        "providers.tf": PROVIDERS,
        "variables.tf": VARIABLES + (DNS_VARIABLES if dns else ""),
        "main.tf": (MAIN + (DNS_MAIN if dns else "")).replace("{modules}", MODULES),
        "terraform.tfvars": assignments(values),
    }
    imports = imports_tf(r, values)
    if imports:
        files["imports.tf"] = imports
    return files
