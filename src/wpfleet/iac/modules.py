"""The three Terraform modules, as wpfleet deploys them (the seeds' modules with
wpfleet's names, tags, health checks and per-tenant IAM). Every name comes in as a
variable from the root module, whose values ``naming`` derived: no module spells a name.
"""

from __future__ import annotations

from wpfleet.iac.ecs_module import ECS_MAIN, ECS_OUTPUTS, ECS_VARIABLES, VERSIONS

DATABASE_VERSIONS = """\
terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
    mysql = {
      source  = "petoju/mysql"
      version = ">= 3.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6"
    }
  }
}
"""

DATABASE_VARIABLES = """\
variable "secret_name" { type = string }
variable "database" { type = string }
variable "db_user" { type = string }
variable "db_host" { type = string }
variable "db_port" { type = number }
variable "tags" { type = map(string) }
variable "existing_secret" {
  description = "The tenant exists already (imported): keep its password, do not make one"
  type        = bool
  default     = false
}
"""

# No null_resource with a timestamp() trigger (the seeds' module re-ran on every apply):
# the mysql provider makes the database, user and grant as resources, so a second apply
# changes nothing.
DATABASE_MAIN = """\
resource "random_password" "db" {
  count   = var.existing_secret ? 0 : 1
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret" "db" {
  # checkov:skip=CKV2_AWS_57: {rotation}
  # checkov:skip=CKV_AWS_149: {cmk}
  name                    = var.secret_name
  recovery_window_in_days = 7
  tags                    = merge(var.tags, { Name = var.secret_name })
}

resource "aws_secretsmanager_secret_version" "db" {
  count     = var.existing_secret ? 0 : 1
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({
    username = var.db_user
    password = random_password.db[0].result
    database = var.database
    host     = var.db_host
    port     = var.db_port
  })
}

data "aws_secretsmanager_secret_version" "existing" {
  count     = var.existing_secret ? 1 : 0
  secret_id = aws_secretsmanager_secret.db.id
}

locals {
  password = var.existing_secret ? jsondecode(data.aws_secretsmanager_secret_version.existing[0].secret_string)["password"] : random_password.db[0].result
}

resource "mysql_database" "tenant" {
  name                  = var.database
  default_character_set = "utf8mb4"
  default_collation     = "utf8mb4_unicode_ci"
}

resource "mysql_user" "tenant" {
  user               = var.db_user
  host               = "%"
  plaintext_password = local.password
}

resource "mysql_grant" "tenant" {
  user       = mysql_user.tenant.user
  host       = mysql_user.tenant.host
  database   = mysql_database.tenant.name
  privileges = ["ALL PRIVILEGES"]
}
"""

DATABASE_OUTPUTS = """\
output "secret_arn" { value = aws_secretsmanager_secret.db.arn }
output "database" { value = mysql_database.tenant.name }
"""

DNS_VARIABLES = """\
variable "zone_id" { type = string }
variable "host" { type = string }
variable "cloudfront_domain" { type = string }
variable "cloudfront_zone_id" {
  description = "CloudFront's fixed hosted zone id for alias records"
  type        = string
  default     = "Z2FDTNDATAQYW2"
}
"""

DNS_MAIN = """\
resource "aws_route53_record" "tenant" {
  # checkov:skip=CKV2_AWS_23: {alias}
  zone_id = var.zone_id
  name    = var.host
  type    = "A"
  alias {
    name                   = var.cloudfront_domain
    zone_id                = var.cloudfront_zone_id
    evaluate_target_health = false
  }
}
"""

DNS_OUTPUTS = """\
output "fqdn" { value = aws_route53_record.tenant.fqdn }
"""

#: every checkov check the modules skip, and why (README lists them too)
CHECKOV_SKIPS = {
    "CKV2_AWS_57": (
        "rotation",
        "no automatic rotation: rotating the password needs a rotation function that also "
        "changes the MySQL user; wpfleet does not ship one",
    ),
    "CKV_AWS_149": (
        "cmk",
        "encrypted with the account's aws/secretsmanager key; the fleet file names no KMS key",
    ),
    "CKV_AWS_378": (
        "http",
        "TLS ends at CloudFront and the ALB's HTTPS listener; the ALB reaches the task over "
        "HTTP inside the VPC (the seeds' design)",
    ),
    "CKV_AWS_158": (
        "logs-kms",
        "log events are encrypted with CloudWatch Logs' own key; the fleet file names no KMS key",
    ),
    "CKV_AWS_338": (
        "retention",
        "retention is the fleet file's aws.logs.retention_days (default 30 days), not a year",
    ),
    "CKV2_AWS_23": (
        "alias",
        "an alias to the environment's CloudFront distribution, which is not in this module",
    ),
}


def _with_reasons(text: str) -> str:
    for check, (tag, reason) in CHECKOV_SKIPS.items():
        text = text.replace(
            f"# checkov:skip={check}: {{{tag}}}", f"# checkov:skip={check}: {reason}"
        )
    return text


DATABASE_MAIN = _with_reasons(DATABASE_MAIN)
ECS_MAIN = _with_reasons(ECS_MAIN)
DNS_MAIN = _with_reasons(DNS_MAIN)

MODULES: dict[str, dict[str, str]] = {
    "ecs-tenant": {
        "versions.tf": VERSIONS,
        "variables.tf": ECS_VARIABLES,
        "main.tf": ECS_MAIN,
        "outputs.tf": ECS_OUTPUTS,
    },
    "database": {
        "versions.tf": DATABASE_VERSIONS,
        "variables.tf": DATABASE_VARIABLES,
        "main.tf": DATABASE_MAIN,
        "outputs.tf": DATABASE_OUTPUTS,
    },
    "dns-cloudfront": {
        "versions.tf": VERSIONS,
        "variables.tf": DNS_VARIABLES,
        "main.tf": DNS_MAIN,
        "outputs.tf": DNS_OUTPUTS,
    },
}
