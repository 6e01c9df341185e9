"""Infra phase, serving: the tenant's ECS service."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wpfleet.backends.aws import ecs
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.resources.target_group import target_group_arn
from wpfleet.backends.aws.resources.task_definition import CONTAINER, canonical
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


class Service(AwsResource):
    """The ECS service. Always read before create: moto silently replaces a service created
    twice (AWS refuses). An update that fails leaves the old revision serving, and the
    deployment circuit breaker rolls a failing new revision back."""

    id = "infra/service"
    phase = Phase.INFRA
    depends_on = ("infra/task-definition", "infra/listener-rule", "infra/target-group")
    description = "ECS Fargate service behind the target group"

    def find(self) -> dict[str, Any] | None:
        return self.t.service()

    def read(self) -> Fact | None:
        svc = self.find()
        if svc is None:
            return None
        td_arn = str(svc.get("taskDefinition", ""))
        described = self.t.cache.get(
            f"td:{td_arn}", lambda: ecs.describe_task_definition(self.aws, td_arn)[0]
        )
        state = {
            "name": svc["serviceName"],
            "arn": svc["serviceArn"],
            "task_definition": td_arn.rsplit("/", 1)[-1],
            "spec_hash": spec_hash(canonical(described)),
            "desired_count": svc.get("desiredCount"),
        }
        return self.fact(state, svc.get("tags"))

    def desired(self) -> State:
        from wpfleet.backends.aws.resources.task_definition import TaskDefinition

        spec = TaskDefinition(self.t).desired()["spec"]
        return {"spec_hash": spec_hash(spec), "desired_count": self.t.ctx.tenant.desired_count}

    def create(self) -> None:
        if self.find() is not None:  # never create_service twice: moto would replace it
            self.update(self.desired())
            return
        cluster = self.t.require("cluster")
        if self.t.service_draining():  # destroyed not long ago: the name is not free yet
            ecs.wait_until_drained(self.aws, cluster, self.names.service)
        s = self.t.settings
        created = ecs.create_service(
            self.aws,
            cluster=cluster,
            serviceName=self.names.service,
            taskDefinition=self._latest_revision(),
            desiredCount=self.t.ctx.tenant.desired_count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(s.subnets),
                    "securityGroups": [self.t.require("security_group")],
                    "assignPublicIp": "DISABLED",
                }
            },
            loadBalancers=[
                {
                    "targetGroupArn": target_group_arn(self.t),
                    "containerName": CONTAINER,
                    "containerPort": 80,
                }
            ],
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
            propagateTags="SERVICE",
            tags=T.as_ecs(self.t.tags(self.names.service)),
        )
        created.setdefault("tags", T.as_ecs(self.t.tags(self.names.service)))
        self.t.remember(f"svc:{self.names.service}", created)

    def _latest_revision(self) -> str:
        """The family's latest ACTIVE revision as ``family:N`` (AWS would resolve a bare
        family the same way; moto would store the bare name)."""
        found = self.t.task_definition()
        if found is None:
            return self.names.task_family
        return f"{found[0]['family']}:{found[0]['revision']}"

    def update(self, target: State) -> None:
        """Point at ``target``'s revision (undo) or the family's latest (deploy)."""
        svc = self.find()
        if svc is None:
            return
        td = target.get("task_definition") or self._latest_revision()
        ecs.update_service(
            self.aws,
            cluster=self.t.require("cluster"),
            service=self.names.service,
            taskDefinition=td,
            desiredCount=int(target.get("desired_count") or self.t.ctx.tenant.desired_count),
        )
        arn = svc["serviceArn"]
        self.reconcile_tags(target, self.names.service, arn, ecs.tag_resource, ecs.untag_resource)
        self.t.changed(f"svc:{self.names.service}")

    def delete(self) -> None:
        """Delete, and wait for the draining to end: only then is the name free again."""
        cluster = self.t.require("cluster")
        ecs.delete_service(self.aws, cluster, self.names.service)
        ecs.wait_until_drained(self.aws, cluster, self.names.service)
        self.t.changed(f"svc:{self.names.service}", f"svc-draining:{self.names.service}")

    def ownership_data(self) -> State:
        return {"name": self.names.service}
