"""``wpfleet platform discover``: fill an environment's ``aws:`` block from what exists,
by the seeds' names and tags (the seeds' "auto-discovery mode").

Conventions looked for, in order: the seeds' names (``{env}-cluster``, ``{env}-alb``,
``{env}-ecs-tasks-sg``, ``{env}-private-subnet-*``, ``{env}-mysql``,
``{env}-rds-master-credentials``, ``{env}-ecs-task-execution-role``), then an
``Environment={env}`` tag. DNS things are found from the environment's domain: the
hosted zone of its suffix, the CloudFront distribution whose aliases cover it, and the
us-east-1 certificate for ``*.{suffix}``. Only describes; never changes anything.
"""

from __future__ import annotations

from typing import Any

from wpfleet import naming
from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import cloudfront, ec2, iam, rds, secretsmanager
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.platform import domain_suffix
from wpfleet.config.models import Environment
from wpfleet.context import Discovered


def discover(aws: AwsSession, env: Environment) -> Discovered:
    found = Discovered()
    name = env.name
    found.settings["account_id"] = str(aws.call("sts", "get_caller_identity")["Account"])
    found.settings["region"] = aws.region
    _cluster(aws, name, found)
    _load_balancer(aws, name, found)
    _network(aws, name, found)
    _storage_and_database(aws, name, found)
    _roles(aws, name, found)
    _dns(aws, env, found)
    return found


def _pick(
    items: list[dict[str, Any]], name_key: str, wanted: str, env: str
) -> dict[str, Any] | None:
    by_name = [i for i in items if i.get(name_key) == wanted]
    by_tag = [
        i for i in items if T.to_map(i.get("Tags") or i.get("tags")).get("Environment") == env
    ]
    found = by_name or by_tag
    return found[0] if found else None


def _cluster(aws: AwsSession, env: str, out: Discovered) -> None:
    arns = aws.paginate("ecs", "list_clusters", "clusterArns")
    names = [a.rsplit("/", 1)[-1] for a in arns]
    wanted = f"{env}-cluster"
    if wanted in names:
        out.settings["cluster"] = wanted
    elif len(names) == 1:
        out.settings["cluster"] = names[0]
    else:
        out.missing.append(f"ECS cluster {wanted}: set aws.cluster")


def _load_balancer(aws: AwsSession, env: str, out: Discovered) -> None:
    lbs = aws.paginate("elbv2", "describe_load_balancers", "LoadBalancers")
    lb = _pick(lbs, "LoadBalancerName", f"{env}-alb", env)
    if lb is None and len(lbs) == 1:
        lb = lbs[0]
    if lb is None:
        out.missing.append(f"load balancer {env}-alb: set aws.listener_arn and aws.vpc_id")
        return
    out.settings["vpc_id"] = lb["VpcId"]
    listeners = aws.paginate(
        "elbv2", "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]
    )
    listeners.sort(key=lambda item: (item.get("Protocol") != "HTTPS", item.get("Port", 0)))
    if listeners:
        out.settings["listener_arn"] = listeners[0]["ListenerArn"]
        if listeners[0].get("Protocol") == "HTTP":
            out.settings["scheme"] = "https"  # CloudFront terminates TLS in the seeds
    else:
        out.missing.append(f"a listener on {lb['LoadBalancerName']}: set aws.listener_arn")
    out.settings["_lb_subnets"] = [z["SubnetId"] for z in lb.get("AvailabilityZones", [])]


def _network(aws: AwsSession, env: str, out: Discovered) -> None:
    lb_subnets = out.settings.pop("_lb_subnets", [])
    private = ec2.describe_subnets(
        aws, [{"Name": "tag:Name", "Values": [f"{env}-private-subnet-*"]}]
    )
    subnets = [s["SubnetId"] for s in private] or lb_subnets
    if subnets:
        out.settings["subnets"] = sorted(subnets)
    else:
        out.missing.append(f"subnets {env}-private-subnet-*: set aws.subnets")
    groups = ec2.describe_security_groups(
        aws, [{"Name": "group-name", "Values": [f"{env}-ecs-tasks-sg"]}]
    ) or ec2.describe_security_groups(
        aws, [{"Name": "tag:Name", "Values": [f"{env}-ecs-tasks-sg"]}]
    )
    if groups:
        out.settings["security_group"] = groups[0]["GroupId"]
    else:
        out.missing.append(f"security group {env}-ecs-tasks-sg: set aws.security_group")


def _storage_and_database(aws: AwsSession, env: str, out: Discovered) -> None:
    systems = aws.paginate("efs", "describe_file_systems", "FileSystems")
    fs = _pick(systems, "Name", f"{env}-efs", env) or next(
        (f for f in systems if f.get("CreationToken") == f"{env}-efs"), None
    )
    if fs is None and len(systems) == 1:
        fs = systems[0]
    if fs is not None:
        out.settings["efs_id"] = fs["FileSystemId"]
    else:
        out.missing.append(f"EFS {env}-efs: set aws.efs_id")
    db = rds.describe_db_instance(aws, f"{env}-mysql")
    if db is not None:
        out.settings["rds_instance"] = db["DBInstanceIdentifier"]
        endpoint = db.get("Endpoint") or {}
        if endpoint.get("Address"):
            port = endpoint.get("Port", 3306)
            out.settings["rds_endpoint"] = (
                endpoint["Address"] if port == 3306 else f"{endpoint['Address']}:{port}"
            )
    else:
        out.missing.append(f"RDS instance {env}-mysql: set aws.rds_instance / aws.rds_endpoint")
    master = f"{env}-rds-master-credentials"
    if secretsmanager.describe_secret(aws, master) is not None:
        out.settings["rds_master_secret"] = master
    else:
        out.missing.append(f"secret {master}: set aws.rds_master_secret")


def _roles(aws: AwsSession, env: str, out: Discovered) -> None:
    execution = naming.shared_execution_role(env)
    if iam.get_role(aws, execution) is not None:
        out.settings["execution_role"] = execution
    task = f"{env}-ecs-task-role"
    if iam.get_role(aws, task) is not None:
        out.settings["task_role"] = task


def _dns(aws: AwsSession, env: Environment, out: Discovered) -> None:
    suffix = domain_suffix(env)
    zones = aws.call("route53", "list_hosted_zones_by_name", dns=True, DNSName=suffix)
    zone = next((z for z in zones.get("HostedZones", []) if z["Name"].rstrip(".") == suffix), None)
    if zone is not None:
        out.settings["hosted_zone_id"] = zone["Id"].rsplit("/", 1)[-1]
    elif env.name != "dev":
        out.missing.append(f"hosted zone {suffix}: set aws.hosted_zone_id")
    wildcard = f"*.{suffix}"
    items = aws.call("cloudfront", "list_distributions").get("DistributionList", {})
    for dist in items.get("Items", []) or []:
        aliases = _aliases(aws, dist)
        if wildcard in aliases or any(a.endswith(f".{suffix}") for a in aliases):
            out.settings["cloudfront_distribution_id"] = dist["Id"]
            out.settings["cloudfront_domain"] = dist["DomainName"]
            break
    else:
        if zone is not None:
            out.missing.append(f"CloudFront distribution for {wildcard}: set aws.cloudfront_*")
    certs = aws.call("acm", "list_certificates", region="us-east-1")
    for cert in certs.get("CertificateSummaryList", []):
        if cert.get("DomainName") == wildcard:
            out.settings["certificate_arn"] = cert["CertificateArn"]
            break


def _aliases(aws: AwsSession, dist: dict[str, Any]) -> list[str]:
    """The distribution's alternate domain names (moto's list omits them: ask per id)."""
    aliases = dist.get("Aliases")
    if aliases is None:
        found = cloudfront.get_distribution_config(aws, dist["Id"])
        aliases = found[0].get("Aliases") if found else None
    return list((aliases or {}).get("Items") or [])
