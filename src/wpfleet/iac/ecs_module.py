"""The ``ecs-tenant`` Terraform module's text (and the providers block the modules share),
kept apart from ``modules`` for its size; ``modules`` adds the checkov reasons."""

from __future__ import annotations

VERSIONS = """\
terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
  }
}
"""

ECS_VARIABLES = """\
variable "names" {
  description = "Every resource name of the tenant in this environment (from wpfleet's naming)"
  type = object({
    service           = string
    task_family       = string
    target_group      = string
    listener_rule     = string
    access_point      = string
    task_name_tag     = string
    execution_role    = string
    task_role         = string
    exec_policy       = string
    task_policy       = string
    log_group         = string
    log_stream_prefix = string
    efs_path          = string
    database          = string
  })
}

variable "tags" {
  description = "wpfleet:tenant, wpfleet:env and the seeds' Tenant and Environment tags"
  type        = map(string)
}

variable "region" { type = string }
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
variable "db_secret_arn" { type = string }
variable "log_retention_days" { type = number }
"""

ECS_MAIN = """\
locals {
  url = "${var.scheme}://${var.host}"
}

resource "aws_efs_access_point" "tenant" {
  file_system_id = var.efs_id
  posix_user {
    uid = 33 # www-data
    gid = 33
  }
  root_directory {
    path = var.names.efs_path
    creation_info {
      owner_uid   = 33
      owner_gid   = 33
      permissions = "755"
    }
  }
  tags = merge(var.tags, { Name = var.names.access_point })
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Each tenant's execution role reads its own secret only; its task role mounts its own
# access point only (no shared role whose inline policies hit the 10,240-character cap).
resource "aws_iam_role" "execution" {
  name               = var.names.execution_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

# The tenant's own log group (/ecs/ENV/TENANT): its database-error metric filter counts
# its lines only, and its execution role may write there and nowhere else.
resource "aws_cloudwatch_log_group" "tenant" {
  # checkov:skip=CKV_AWS_158: {logs-kms}
  # checkov:skip=CKV_AWS_338: {retention}
  name              = var.names.log_group
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { Name = var.names.log_group })
}

resource "aws_iam_role_policy" "execution" {
  name = var.names.exec_policy
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.db_secret_arn]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.tenant.arn}:*"]
      },
      {
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = ["*"]
      },
      {
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = ["arn:aws:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/*"]
      },
    ]
  })
}

resource "aws_iam_role" "task" {
  name               = var.names.task_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  name = var.names.task_policy
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      Resource  = ["arn:aws:elasticfilesystem:${var.region}:${data.aws_caller_identity.current.account_id}:file-system/${var.efs_id}"]
      Condition = { StringEquals = { "elasticfilesystem:AccessPointArn" = aws_efs_access_point.tenant.arn } }
    }]
  })
}

data "aws_caller_identity" "current" {}

resource "aws_ecs_task_definition" "tenant" {
  family                   = var.names.task_family
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name         = "wordpress"
    image        = var.image
    essential    = true
    portMappings = [{ containerPort = 80, protocol = "tcp" }]
    environment = [
      { name = "WORDPRESS_CONFIG_EXTRA", value = <<-EOT
          if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
              $_SERVER['HTTPS'] = 'on';
          }
          if (isset($_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO']) && $_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] === 'https') {
              $_SERVER['HTTPS'] = 'on';
          }
          define('FORCE_SSL_ADMIN', true);
          define('WP_HOME', '${local.url}');
          define('WP_SITEURL', '${local.url}');
        EOT
      },
      { name = "WORDPRESS_DB_HOST", value = var.db_host },
      { name = "WORDPRESS_DB_NAME", value = var.names.database },
      { name = "WORDPRESS_TABLE_PREFIX", value = "wp_" },
    ]
    secrets = [
      { name = "WORDPRESS_DB_PASSWORD", valueFrom = "${var.db_secret_arn}:password::" },
      { name = "WORDPRESS_DB_USER", valueFrom = "${var.db_secret_arn}:username::" },
    ]
    mountPoints = [{ sourceVolume = "wp-content", containerPath = "/var/www/html/wp-content", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = var.names.log_group
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = var.names.log_stream_prefix
      }
    }
  }])

  volume {
    name = "wp-content"
    efs_volume_configuration {
      file_system_id     = var.efs_id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.tenant.id
        iam             = "ENABLED"
      }
    }
  }
  tags = merge(var.tags, { Name = var.names.task_name_tag })
}

resource "aws_lb_target_group" "tenant" {
  # checkov:skip=CKV_AWS_378: {http}
  name        = var.names.target_group
  port        = 80
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/"
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
    matcher             = "200,301,302"
  }
  tags = merge(var.tags, { Name = var.names.target_group })
}

resource "aws_lb_listener_rule" "tenant" {
  listener_arn = var.listener_arn
  priority     = var.priority
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.tenant.arn
  }
  condition {
    host_header {
      values = [var.host]
    }
  }
  tags = merge(var.tags, { Name = var.names.listener_rule })
}

resource "aws_ecs_service" "tenant" {
  name            = var.names.service
  cluster         = var.cluster
  task_definition = aws_ecs_task_definition.tenant.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = var.subnets
    security_groups  = [var.security_group]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.tenant.arn
    container_name   = "wordpress"
    container_port   = 80
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  tags       = merge(var.tags, { Name = var.names.service })
  depends_on = [aws_lb_listener_rule.tenant]
}
"""

ECS_OUTPUTS = """\
output "service_name" { value = aws_ecs_service.tenant.name }
output "target_group_arn" { value = aws_lb_target_group.tenant.arn }
output "access_point_id" { value = aws_efs_access_point.tenant.id }
output "task_definition_arn" { value = aws_ecs_task_definition.tenant.arn }
"""
