"""The backend's sections of the tenant configuration document (the seeds'
``config/{env}/{tenant}.json``): infrastructure, database, storage, networking.
Names, ids and ARNs only — never a secret value."""

from __future__ import annotations

from typing import Any

from wpfleet.backends.aws import priorities
from wpfleet.backends.aws.resources.listener_rule import ListenerRule
from wpfleet.backends.aws.tenant import TenantAws


def sections(t: TenantAws) -> dict[str, Any]:
    s, names = t.settings, t.names
    td = t.task_definition()
    rule = ListenerRule(t).find()
    ap = t.access_point()
    host, _port = t.db_endpoint() if (s.rds_endpoint or s.rds_master_secret) else ("", 0)
    url = f"{s.scheme}://{names.host}"
    return {
        "infrastructure": {
            "region": s.region,
            "account_id": s.account_id,
            "vpc_id": s.vpc_id,
            "cluster": s.cluster,
            "ecs_service": names.service,
            "task_definition": f"{td[0]['family']}:{td[0]['revision']}" if td else None,
            "target_group": names.target_group,
            "alb_listener_rule_priority": priorities.rule_priority(rule) if rule else None,
            "iam_mode": s.iam_mode,
            "log_group": names.log_group,
        },
        "database": {
            "name": names.database,
            "username": names.db_user,
            "rds_endpoint": host,
            "secret_name": names.db_secret,
            "secret_arn": t.secret_arn(names.db_secret),
        },
        "storage": {
            "efs_id": s.efs_id,
            "access_point_id": ap["AccessPointId"] if ap else None,
            "mount_path": names.efs_path,
        },
        "networking": {
            "domain": names.host,
            "url": url,
            "cloudfront_distribution": s.cloudfront_distribution_id,
            "route53_zone_id": s.hosted_zone_id,
            "basic_auth": t.ctx.env.basic_auth,
        },
    }
