"""Infra phase, logs: the tenant's own CloudWatch Logs group ``/ecs/{env}/{tenant}``.

One group per tenant because CloudWatch Logs metric filters apply to every stream of a
group and take their dimensions only from fields of the events; WordPress's database
error lines carry no tenant, so a per-tenant database-error alarm needs the tenant's
lines in a group of their own (``infra/alarms`` puts its filter here).

Made before the task definition (the awslogs driver does not create groups: a task
whose group is missing fails to start), with the fleet file's retention
(``aws.logs.retention_days``, default 30) and wpfleet's tags (the ``Tenant`` tag is the
cost-allocation tag). Destroy deletes it with its events, unless
``aws.logs.keep_on_destroy`` is true: then it stays until the retention expires the
events, and a later deploy of the same tenant takes it up again.
"""

from __future__ import annotations

import contextlib

from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import logs
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State


class LogGroup(AwsResource):
    id = "infra/log-group"
    phase = Phase.INFRA
    description = "CloudWatch Logs group of the tenant's containers (its retention, its tags)"

    @property
    def name(self) -> str:
        return self.names.log_group

    def read(self) -> Fact | None:
        group = logs.describe_log_group(self.aws, self.name)
        if group is None:
            return None
        tags = logs.list_tags(self.aws, logs.group_arn(group))
        state = {"name": self.name, "retention_days": group.get("retentionInDays")}
        return self.fact(state, tags)

    def desired(self) -> State:
        return {"name": self.name, "retention_days": self.t.settings.logs.retention_days}

    def create(self) -> None:
        with contextlib.suppress(AwsConflict):  # a killed run's group: converge on it
            self.aws.call(
                "logs", "create_log_group", logGroupName=self.name, tags=self.t.tags(self.name)
            )
        self.update(self.desired())

    def update(self, target: State) -> None:
        group = logs.describe_log_group(self.aws, self.name)
        if group is None:
            return
        arn = logs.group_arn(group)
        self.reconcile_tags(target, self.name, arn, logs.tag_resource, logs.untag_resource)
        days = target.get("retention_days")
        if days:
            self.aws.call(
                "logs", "put_retention_policy", logGroupName=self.name, retentionInDays=days
            )
        else:
            self.aws.call("logs", "delete_retention_policy", logGroupName=self.name)

    def delete(self) -> None:
        """Deletes the group and its events; kept with ``aws.logs.keep_on_destroy``."""
        if self.t.settings.logs.keep_on_destroy:
            return
        if logs.describe_log_group(self.aws, self.name) is not None:
            self.aws.call("logs", "delete_log_group", logGroupName=self.name)

    def ownership_data(self) -> State:
        return {"log_group": self.name}
