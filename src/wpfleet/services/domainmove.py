"""Restore points for a domain move, as the pipeline asks for them
(``wpfleet.pipeline.site_address``): taken with ``services.backups`` at the URL the
content holds, and put back, proved against that URL."""

from __future__ import annotations

import dataclasses

from wpfleet.backends.base import TenantContext
from wpfleet.config.models import Environment
from wpfleet.services.workspace import Workspace


@dataclasses.dataclass
class WorkspaceRestorePoints:
    """``site_address.RestorePoints`` over one workspace and environment."""

    ws: Workspace
    env: Environment

    def take(self, ctx: TenantContext, *, url: str, reason: str) -> str:
        from wpfleet.services import backups

        return str(backups.create(self.ws, self.env, ctx.tenant.id, reason=reason, url=url)["id"])

    def put_back(self, ctx: TenantContext, point: str, *, url: str) -> None:
        """Load the restore point as it was taken: the content holds ``url``, which is
        what the proof of home/siteurl demands (the fleet file already names the new)."""
        from wpfleet.releases.history import log_event
        from wpfleet.services import backups

        access = self.ws.backend(self.env).content_access(ctx)
        doc = backups.get(self.ws, self.env, ctx.tenant.id, point, access)
        with access.points.reading(doc["path"]) as kept:
            backups.load_site(dataclasses.replace(access, url=url), kept)
        log_event(self.ws.store(self.env), "restore", ctx.tenant.id, self.env.name,
                  self.ws.actor, f"restored {point}: domain move undone", ref=point)  # fmt: skip
