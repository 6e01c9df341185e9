"""Route53: alias records to CloudFront. Uses the DNS credentials (``dns=True``)."""

from __future__ import annotations

from typing import Any

from wpfleet.aws.errors import absent_on_not_found
from wpfleet.aws.session import AwsSession

#: the fixed hosted zone id of every CloudFront distribution (AWS documentation)
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def get_hosted_zone(aws: AwsSession, zone_id: str) -> dict[str, Any] | None:
    found = absent_on_not_found(
        lambda: aws.call("route53", "get_hosted_zone", Id=zone_id, dns=True)
    )
    return dict(found["HostedZone"]) if found else None


def find_record(aws: AwsSession, zone_id: str, name: str, rtype: str) -> dict[str, Any] | None:
    """The record set ``name``/``rtype``, or None (one call: start at the name, 1 item)."""
    fqdn = name.rstrip(".") + "."
    resp = aws.call(
        "route53",
        "list_resource_record_sets",
        dns=True,
        HostedZoneId=zone_id,
        StartRecordName=fqdn,
        StartRecordType=rtype,
        MaxItems="1",
    )
    for record in resp.get("ResourceRecordSets", []):
        if record["Name"].rstrip(".").lower() == fqdn.rstrip(".").lower() and (
            record["Type"] == rtype
        ):
            return dict(record)
    return None


def change_resource_record_sets(
    aws: AwsSession, zone_id: str, action: str, record: dict[str, Any]
) -> None:
    aws.call(
        "route53",
        "change_resource_record_sets",
        dns=True,
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]},
    )


def alias_record(name: str, target: str) -> dict[str, Any]:
    return {
        "Name": name.rstrip(".") + ".",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": CLOUDFRONT_ZONE_ID,
            "DNSName": target.rstrip(".") + ".",
            "EvaluateTargetHealth": False,
        },
    }
