"""DNS phase: the Route53 alias A record ``{host}`` → the environment's CloudFront.

Records cannot carry tags: the Fact says ``tagged=None`` and the state store decides.
UPSERT makes create idempotent; delete sends the record exactly as it is.
"""

from __future__ import annotations

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

    def read(self) -> Fact | None:
        record = route53.find_record(self.aws, self.zone, self.names.host, "A")
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

    def delete(self) -> None:
        record = route53.find_record(self.aws, self.zone, self.names.host, "A")
        if record is not None:
            route53.change_resource_record_sets(self.aws, self.zone, "DELETE", record)

    def ownership_data(self) -> State:
        return {"zone": self.zone, "name": self.names.host}
