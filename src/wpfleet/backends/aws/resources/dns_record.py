"""DNS phase: the Route53 alias A record ``{host}`` → the environment's CloudFront.

Records cannot carry tags: the Fact says ``tagged=None`` and the state store decides.
UPSERT makes create idempotent; delete sends the record exactly as it is.

A domain move (the tenant's last deployment recorded another host: its configuration
document, rewritten in the POST phase, after this step) moves the record: the new host's
record is written, then the old host's is deleted, but only while it is exactly as
wpfleet writes it (an alias A record to this environment's CloudFront and nothing else).
An old record someone changed is left alone and reported (a warning naming it). The
undo writes the old record back and deletes the new one. Route 53's DELETE names the
whole record set, so a record changed between the read and the delete is refused by
Route 53 itself, never deleted.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from wpfleet import seams
from wpfleet.backends.aws import cloudfront, route53
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ValidationError

log = logging.getLogger(__name__)

#: a seam between the new record's write and the old one's delete (a move's middle)
MOVED_SEAM = "dns:record@moved"


class DnsRecord(AwsResource):
    id = "dns/record"
    phase = Phase.DNS
    description = "Route53 alias A record to CloudFront"
    _old: tuple[str | None] | None = None  # old_host(), once read

    @property
    def zone(self) -> str:
        return self.t.require("hosted_zone_id")

    def find(self, host: str) -> dict[str, Any] | None:
        """The A record set of ``host``, described once per run until we change it."""
        return self.t.cache.get(
            f"dns:{host}", lambda: route53.find_record(self.aws, self.zone, host, "A")
        )

    def record(self) -> dict[str, Any] | None:
        return self.find(self.names.host)

    def old_host(self) -> str | None:
        """The host the last deployment recorded when it is not the tenant's host now (a
        domain move), else None. Read once: a destroy deletes the document first."""
        if self._old is None:
            doc = self.t.ctx.store.get_document(self.names.config_document) or {}
            host = (urlsplit(str(doc.get("url") or "")).hostname or "").lower()
            self._old = (host if host and host != self.names.host.lower() else None,)
        return self._old[0]

    def as_written(self, record: dict[str, Any]) -> bool:
        """Exactly what wpfleet writes for a tenant: an alias A record to this
        environment's CloudFront, nothing else (no weight, TTL, values, health check).
        An alias record has no TTL; moto lists one of 0, which is no TTL either."""
        alias = record.get("AliasTarget") or {}
        target = self.t.require("cloudfront_domain").rstrip(".").lower()
        rest = {k: v for k, v in record.items() if not (k == "TTL" and v == 0)}
        return (
            set(rest) <= {"Name", "Type", "AliasTarget"}
            and record.get("Type") == "A"
            and alias.get("HostedZoneId") == route53.CLOUDFRONT_ZONE_ID
            and str(alias.get("DNSName", "")).rstrip(".").lower() == target
            and not alias.get("EvaluateTargetHealth")
        )

    def old_record(self) -> dict[str, Any] | None:
        """The old host's record of a domain move, when it is wpfleet's; one changed by
        someone else is reported (once a run) and never touched."""
        host = self.old_host()
        record = self.find(host) if host else None
        if record is None or self.as_written(record):
            return record
        self._report(host or "")
        return None

    def _report(self, host: str) -> None:
        """A warning naming a record wpfleet leaves alone (once a run and host)."""
        self.t.cache.get(f"dns-reported:{host}", lambda: self._warn(host))

    def _warn(self, host: str) -> bool:
        log.warning(
            "%s in %s moved from %s to %s: the Route 53 record %s is not as wpfleet wrote "
            "it (an alias A record to %s), so wpfleet leaves it alone; if nothing needs "
            "it, delete it by hand (aws route53 change-resource-record-sets, zone %s)",
            self.t.tenant, self.t.env, host, self.names.host, host,
            self.t.require("cloudfront_domain"), self.zone,
        )  # fmt: skip
        return True

    def _state(self, host: str, record: dict[str, Any]) -> State:
        alias = record.get("AliasTarget", {})
        target = str(alias.get("DNSName", "")).rstrip(".") or None
        return {"name": host, "type": "A", "target": target}

    def read(self) -> Fact | None:
        """The tenant's record; during a domain move, the old host's record while the new
        one is absent (an UPDATE: ``name`` differs), or ``old_record`` while both exist
        (a killed move: the update deletes the old one)."""
        record, old = self.record(), self.old_record()
        if record is None:
            return None if old is None else Fact(self._state(self.old_host() or "", old))
        state = self._state(self.names.host, record)
        if old is not None:
            state["old_record"] = self.old_host()
        return Fact(state, tagged=None)

    def desired(self) -> State:
        if self.record() is None:  # a record to write: a new tenant, or a domain move
            self.check_covered()
        target = self.t.require("cloudfront_domain").rstrip(".")
        return {"name": self.names.host, "type": "A", "target": target}

    def check_covered(self) -> None:
        """Route 53 accepts an alias record to a CloudFront distribution only for a name
        the distribution lists as an alternate domain name; a wildcard ``*.example.com``
        covers one label only (``a.example.com``, not ``a.b.example.com``). Refused
        while planning, before anything changes, rather than by Route 53 mid-deploy.
        https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias-common.html
        https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html"""
        dist_id = self.t.settings.cloudfront_distribution_id
        if not dist_id:
            return
        found = self.t.cache.get(
            "distribution", lambda: cloudfront.get_distribution_config(self.aws, dist_id)
        )
        if found is None:  # preflight names a missing distribution
            return
        aliases = [str(a).lower() for a in (found[0].get("Aliases") or {}).get("Items") or []]
        host = self.names.host.lower()
        if host in aliases or f"*.{host.partition('.')[2]}" in aliases:
            return
        raise ValidationError(
            f"{self.t.tenant} in {self.t.env}: {host} is not an alternate domain name of "
            f"CloudFront distribution {dist_id} (it has: {', '.join(aliases) or 'none'}); "
            "Route 53 refuses an alias record to it for that name",
            hint=f"add {host} (or a wildcard one label above it) to the distribution's "
            "alternate domain names and its certificate, or change the tenant's domain",
        )

    def differences(self, actual: State, desired: State) -> list[str]:
        found = super().differences(actual, desired)
        return [*found, "old_record"] if actual.get("old_record") else found

    def create(self) -> None:
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Deploy: the tenant's record, then a move's old record deleted (if wpfleet's).
        Undo (``target`` is the state read before): the records it names written back,
        then the one the deploy wrote deleted (if still as wpfleet wrote it)."""
        value = str(target.get("target") or self.desired()["target"])
        keep = [str(target["name"])]
        if target.get("old_record"):
            keep.append(str(target["old_record"]))
        for host in keep:
            record = route53.alias_record(host, value)
            route53.change_resource_record_sets(self.aws, self.zone, "UPSERT", record)
            self.t.remember(f"dns:{host}", record)
        if keep[0] == self.names.host:  # a deploy's move (an undo has no seam)
            seams.point(MOVED_SEAM)
        for host in {self.names.host, self.old_host() or ""} - {"", *keep}:
            self._delete(host, only_ours=True)

    def _delete(self, host: str, *, only_ours: bool) -> None:
        self.t.changed(f"dns:{host}")
        record = self.find(host)
        if record is not None and only_ours and not self.as_written(record):
            self._report(host)
        elif record is not None:
            route53.change_resource_record_sets(self.aws, self.zone, "DELETE", record)
        self.t.changed(f"dns:{host}")

    def delete(self) -> None:
        """The tenant's record; and a move's old record, if wpfleet's (a killed move)."""
        self._delete(self.names.host, only_ours=False)
        if self.old_host():
            self._delete(self.old_host() or "", only_ours=True)

    def ownership_data(self) -> State:
        return {"zone": self.zone, "name": self.names.host}
