"""DNS phase: the Route53 alias A record ``{host}`` → the environment's CloudFront.

Records cannot carry tags: the Fact says ``tagged=None`` and the state store decides.
UPSERT makes create idempotent; delete sends the record exactly as it is.
"""

from __future__ import annotations

from typing import Any

from wpfleet.backends.aws import route53
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State


class DnsRecord(AwsResource):
    id = "dns/record"
    phase = Phase.DNS
    description = "Route53 alias A record to CloudFront"

    @property
    def zone(self) -> str:
        return self.t.require("hosted_zone_id")

    def record(self) -> dict[str, Any] | None:
        """The record set, described once per run until we change it."""
        return self.t.cache.get(
            f"dns:{self.names.host}",
            lambda: route53.find_record(self.aws, self.zone, self.names.host, "A"),
        )

    def read(self) -> Fact | None:
        record = self.record()
        if record is None:
            return None
        alias = record.get("AliasTarget", {})
        state = {
            "name": self.names.host,
            "type": "A",
            "target": str(alias.get("DNSName", "")).rstrip(".") or None,
        }
        return Fact(state, tagged=None)

    def desired(self) -> State:
        target = self.t.require("cloudfront_domain").rstrip(".")
        return {"name": self.names.host, "type": "A", "target": target}

    def create(self) -> None:
        self.update(self.desired())

    def update(self, target: State) -> None:
        record = route53.alias_record(self.names.host, str(target["target"]))
        route53.change_resource_record_sets(self.aws, self.zone, "UPSERT", record)
        self.t.remember(f"dns:{self.names.host}", record)

    def delete(self) -> None:
        self.t.changed(f"dns:{self.names.host}")
        record = self.record()
        if record is not None:
            route53.change_resource_record_sets(self.aws, self.zone, "DELETE", record)
        self.t.changed(f"dns:{self.names.host}")

    def ownership_data(self) -> State:
        return {"zone": self.zone, "name": self.names.host}
