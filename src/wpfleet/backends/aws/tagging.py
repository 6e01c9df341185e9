"""The Resource Groups Tagging API: what carries wpfleet's tags in one environment.

One paginated ``GetResources`` (100 a page) filtered on ``wpfleet:env`` finds every
taggable resource wpfleet made there, whatever its service; grouped by the
``wpfleet:tenant`` tag, that is how orphans (a tenant no longer in the fleet file) are
found without describing each service.
"""

from __future__ import annotations

from wpfleet.aws.session import AwsSession
from wpfleet.backends.aws import tags as T

#: the types wpfleet tags per tenant (IAM roles are not in this API: the state store's
#: ownership records cover them). Naming them also keeps untagged base resources (an
#: ECS cluster) out of the answer.
TENANT_TYPES = [
    "elasticloadbalancing:targetgroup",
    "elasticloadbalancing:listener-rule",
    "ecs:service",
    "ecs:task-definition",
    "elasticfilesystem:access-point",
    "secretsmanager:secret",
]


def tenant_resources(aws: AwsSession, env: str) -> dict[str, list[str]]:
    """tenant id -> ARNs tagged ``wpfleet:env`` = ``env`` and ``wpfleet:tenant`` = it."""
    items = aws.paginate(
        "resourcegroupstaggingapi",
        "get_resources",
        "ResourceTagMappingList",
        TagFilters=[{"Key": T.ENV_KEY, "Values": [env]}],
        ResourceTypeFilters=TENANT_TYPES,
    )
    out: dict[str, list[str]] = {}
    for item in items:
        tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        tenant = tags.get(T.TENANT_KEY)
        if tenant:
            out.setdefault(tenant, []).append(str(item["ResourceARN"]))
    return out
