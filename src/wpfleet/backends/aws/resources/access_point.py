"""Infra phase, storage: the tenant's EFS access point (root path, owner www-data)."""

from __future__ import annotations

import hashlib

from wpfleet.backends.aws import efs
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State

WWW_DATA = 33


class AccessPoint(AwsResource):
    id = "infra/access-point"
    phase = Phase.INFRA
    description = "EFS access point /{tenant} (uid/gid 33)"

    def read(self) -> Fact | None:
        ap = self.t.access_point()
        if ap is None:
            return None
        root = ap.get("RootDirectory", {})
        posix = ap.get("PosixUser", {})
        state = {
            "id": ap["AccessPointId"],
            "path": root.get("Path"),
            "uid": posix.get("Uid"),
            "gid": posix.get("Gid"),
            "permissions": root.get("CreationInfo", {}).get("Permissions"),
        }
        return self.fact(state, ap.get("Tags"))

    def desired(self) -> State:
        return {"path": self.names.efs_path, "uid": WWW_DATA, "gid": WWW_DATA, "permissions": "755"}

    def create(self) -> None:
        """ClientToken makes a retried create (a lost response) return the same access
        point; it carries the deployment id, so a create after a destroy is a new request
        and never names the deleted one. Used (task definition, service) only once it is
        available."""
        run = hashlib.sha256(self.t.ctx.deployment_id.encode()).hexdigest()[:12]
        created = efs.create_access_point(
            self.aws,
            ClientToken=f"{self.names.access_point[:51]}-{run}",
            FileSystemId=self.t.require("efs_id"),
            PosixUser={"Uid": WWW_DATA, "Gid": WWW_DATA},
            RootDirectory={
                "Path": self.names.efs_path,
                "CreationInfo": {
                    "OwnerUid": WWW_DATA,
                    "OwnerGid": WWW_DATA,
                    "Permissions": "755",
                },
            },
            Tags=T.as_key_value(self.t.tags(self.names.access_point)),
        )
        if created.get("LifeCycleState") != "available":  # AWS answers "creating"
            created = efs.wait_access_point_available(self.aws, created["AccessPointId"])
        created.setdefault("Tags", T.as_key_value(self.t.tags(self.names.access_point)))
        self.t.remember(f"ap:{self.names.access_point}", created)

    def update(self, target: State) -> None:
        """Access points are immutable; only tags can change (adoption)."""
        fact = self.read()
        if fact is not None:
            self.reconcile_tags(
                target,
                self.names.access_point,
                fact.state["id"],
                efs.tag_resource,
                efs.untag_resource,
            )
            self.t.changed(f"ap:{self.names.access_point}")

    def delete(self) -> None:
        fact = self.read()
        if fact is not None:
            efs.delete_access_point(self.aws, fact.state["id"])
            self.t.changed(f"ap:{self.names.access_point}")
        # the content task mounts only this access point: its role and revisions go too
        from wpfleet.backends.aws.content_run import remove_prerequisites

        remove_prerequisites(self.t)

    def ownership_data(self) -> State:
        fact = self.read()
        return {"id": fact.state["id"]} if fact else {}


def access_point_arn(t: TenantAws) -> str | None:
    ap = t.access_point()
    return str(ap["AccessPointArn"]) if ap else None
