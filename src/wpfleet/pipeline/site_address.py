"""A domain move of a live tenant: the fleet file now gives the tenant another URL than
the one its last deployment recorded (the seeds' ``migrate_tenant_to_wpdev.py``).

A deploy that finds one adds two steps to its plan, so that ``plan`` shows the move and
the deploy does it under the same lock, journal and rollback as everything else:

1. ``database/restore-point`` (the DATABASE phase, before any routing change): a restore
   point of the site's content, taken at the old URL;
2. ``infra/site-address`` (after the vhost / listener rule, which the backend's own
   resources move to the new host, and after the WordPress install): the database is
   dumped, every spelling of the old host is rewritten to the new one
   (:func:`wpfleet.content.urlpairs.url_pairs`), and the result is loaded through shadow
   tables and PROVED before one RENAME swaps it in (no old host left, serialized values
   unserialize in PHP, home/siteurl = the new URL). The pipeline's verification then
   proves the site answers 200 with its title at the new URL.

Undo (any later failure, verification included): the restore point is put back, and the
routing steps' own undo puts the old host back. A backend that cannot reach a tenant's
content refuses the move before anything changes.

A killed move (the process gone, and the restore point's id with its memory): the id is
kept where the next run finds it —
- in the state store, as the move's pending record (``domain-move/ENV/TENANT``: old URL,
  new URL, restore point), written as soon as the point is taken and removed when the
  move succeeds or is undone. The next deploy of the SAME move (the engine's resume)
  reuses that point instead of taking one of a half-moved site, and completes the move
  (the rewrite of an already rewritten database changes nothing and proves the same);
- in the journal: it is part of ``infra/site-address``'s state before the change, so the
  line written before the content is touched names it, and undoing that change (this
  run's, or one inherited from the killed run when the resumed run fails) puts back the
  point the journal names, never one held in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from wpfleet import seams
from wpfleet.backends.base import Backend, ContentAccess, TenantContext
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.export import export_database
from wpfleet.content.importer import import_database
from wpfleet.content.manifest import DUMP_NAME
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.sqldump import open_dump
from wpfleet.content.urlpairs import url_pairs
from wpfleet.engine.resource import Fact, Op, Phase, Resource, State, Step
from wpfleet.errors import NotFoundError, UsageError, ValidationError
from wpfleet.releases.history import log_event
from wpfleet.state.base import Deployment

RESTORE_STEP = "database/restore-point"
MOVE_STEP = "infra/site-address"
#: the routing and install steps the content move waits for (absent ones are ignored)
AFTER = ("infra/vhost", "infra/listener-rule", "infra/wordpress", "infra/wordpress-install")


class RestorePoints(Protocol):
    """How the pipeline takes and puts back restore points (``services.backups``)."""

    def take(self, ctx: TenantContext, *, url: str, reason: str) -> str: ...

    def put_back(self, ctx: TenantContext, point: str, *, url: str) -> None: ...


@dataclass
class SiteMove:
    old_url: str
    new_url: str
    point: str = ""  # the restore point, once taken

    @property
    def old_host(self) -> str:
        return urlsplit(self.old_url).netloc

    @property
    def new_host(self) -> str:
        return urlsplit(self.new_url).netloc

    @property
    def text(self) -> str:
        return f"{self.old_url} → {self.new_url}"


def _url(value: object) -> str:
    return str(value or "").rstrip("/")


def detect(ctx: TenantContext, backend: Backend) -> SiteMove | None:
    """The move, when the last deployment's recorded URL (its configuration document)
    differs from the URL the fleet file gives now; None for a first deploy or no change."""
    recorded = ctx.store.get_document(ctx.names.config_document) or {}
    old, new = _url(recorded.get("url")), _url(backend.urls(ctx).get("url"))
    if not old or not new or old == new:
        return None
    return SiteMove(old, new)


def resources(ctx: TenantContext, backend: Backend, points: RestorePoints | None) -> list[Resource]:
    """The two steps of a domain move, or none. Refused (before anything changes) where
    the backend cannot reach the tenant's content or no restore points can be taken."""
    move = detect(ctx, backend)
    if move is None:
        return []
    what = f"{ctx.tenant.id}'s URL in {ctx.env.name} changed ({move.text})"
    try:
        access = backend.content_access(ctx)
    except (UsageError, NotImplementedError, NotFoundError) as exc:
        raise ValidationError(
            f"{what}, but its content cannot be rewritten here: {exc}; nothing was changed",
            hint="put the old domain back in the fleet file until content access exists "
            f"on the {ctx.env.backend} backend",
        ) from None
    if points is None:
        raise ValidationError(
            f"{what}: a domain move needs restore points; nothing was changed",
            hint=f"deploy through wpfleet: wpfleet deploy {ctx.tenant.id} --env {ctx.env.name}",
        )
    move.point = pending_point(ctx, move)
    return [RestorePointStep(ctx, move, points), SiteAddress(ctx, move, points, access)]


class RestorePointStep(Resource):
    id = RESTORE_STEP
    phase = Phase.DATABASE
    standalone = False
    description = "restore point of the content before the domain move"

    def __init__(self, ctx: TenantContext, move: SiteMove, points: RestorePoints) -> None:
        self.ctx, self.move, self.points = ctx, move, points

    def read(self) -> Fact | None:
        return Fact({"url": self.move.old_url})

    def desired(self) -> State:
        return {"url": self.move.new_url}

    def create(self) -> None:  # read() never says absent
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Deploy: take it, and record it as the move's pending point (a killed run's
        pending point is reused: it holds the site as it was before that run began).
        Undo: nothing here (``infra/site-address`` puts it back)."""
        if target.get("url") == self.move.new_url and not self.move.point:
            reason = f"before domain move {self.move.text}"
            self.move.point = self.points.take(self.ctx, url=self.move.old_url, reason=reason)
            self.ctx.store.put_document(pending_key(self.ctx), {
                "old_url": self.move.old_url, "new_url": self.move.new_url,
                "restore_point": self.move.point, "deployment": self.ctx.deployment_id,
            })  # fmt: skip

    def delete(self) -> None:
        """Restore points outlive deployments (retention prunes them)."""


class SiteAddress(Resource):
    id = MOVE_STEP
    phase = Phase.INFRA
    standalone = False
    depends_on = AFTER
    description = "the site's content moved to its new URL (search-replace, proved)"

    def __init__(
        self, ctx: TenantContext, move: SiteMove, points: RestorePoints, access: ContentAccess
    ) -> None:
        self.ctx, self.move, self.points, self.access = ctx, move, points, access

    def read(self) -> Fact | None:
        """The old URL, and the restore point taken before the move (once
        ``database/restore-point`` has run, the INFRA phase is planned again: the journal
        line written before the change carries it)."""
        state: State = {"url": self.move.old_url}
        if self.move.point:
            state["restore_point"] = self.move.point
        return Fact(state)

    def desired(self) -> State:
        return {"url": self.move.new_url, "rewrite": "home, siteurl, links, serialized values"}

    def differences(self, actual: State, desired: State) -> list[str]:
        return ["url"] if actual.get("url") != desired["url"] else []

    def create(self) -> None:  # read() never says absent
        self.update(self.desired())

    def update(self, target: State) -> None:
        if target.get("url") == self.move.new_url:
            if not self.move.point:  # never: the restore point step runs first
                raise RuntimeError(f"no restore point was taken before {self.move.text}")
            move_content(self.access, self.move, name=f"{self.ctx.tenant.id}'s database")
            seams.point("domain-move:proof")  # moved, proved, live: a fault here is undone

    def undo_update(self, before: State) -> None:
        """The restore point back (taken at the old URL, proved against it). ``before``
        is the state journaled before the change: for a change inherited from a killed
        run, it names that run's restore point (this run's ``move`` knows only its own)."""
        point = str(before.get("restore_point") or self.move.point)
        if not point:
            return  # no restore point was taken: nothing of the content changed
        old_url = _url(before.get("url")) or self.move.old_url
        self.points.put_back(self.ctx, point, url=old_url)
        self.ctx.store.delete_document(pending_key(self.ctx))
        log_event(self.ctx.store, "domain-move-undone", self.ctx.tenant.id, self.ctx.env.name,
                  self.ctx.actor, f"undone {old_url} → {self.move.new_url}", ref=point,
                  old_url=old_url, new_url=self.move.new_url)  # fmt: skip

    def delete(self) -> None:
        """The content goes with the database."""


def pending_key(ctx: TenantContext) -> str:
    return f"domain-move/{ctx.env.name}/{ctx.tenant.id}"


def pending_point(ctx: TenantContext, move: SiteMove) -> str:
    """The restore point a killed run took before THIS move, or "". Not this move's: a
    record of another move (the fleet file changed since), or one older than a deployment
    that succeeded since (the content may have changed after that point was taken)."""
    doc = ctx.store.get_document(pending_key(ctx)) or {}
    if (doc.get("old_url"), doc.get("new_url")) != (move.old_url, move.new_url):
        return ""
    for earlier in ctx.store.list_deployments(tenant=ctx.tenant.id, env=ctx.env.name, limit=20):
        if earlier.id == doc.get("deployment"):
            return str(doc.get("restore_point") or "")
        if earlier.status == "succeeded":
            break
    return ""


def move_content(access: ContentAccess, move: SiteMove, *, name: str) -> None:
    """Dump, rewrite every spelling of the old host, load through shadow tables, prove
    (no old host, serialized values parse, home/siteurl = new URL), swap in one RENAME."""
    nested = move.old_host.lower() in move.new_host.lower()
    pairs = url_pairs(move.old_host, move.new_host, escaped_forms=True, allow_nested=nested)
    spec = DbSpec(access.db_host, access.db_port, access.db_user, access.db_password,
                  access.database)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="wpfleet-move-") as tmp:
        src, moved = Path(tmp, "src"), Path(tmp, "moved")
        manifest = export_database(spec, src, wp_root=access.wp_root)
        moved.mkdir()
        with open_dump(src / DUMP_NAME) as reader, open(moved / DUMP_NAME, "wb") as out:
            search_replace(reader, out, pairs, name=name)
        manifest.save(moved)
        import_database(
            spec,
            moved,
            manifest=manifest,
            old_hosts=[] if nested else [move.old_host],
            expected_url=move.new_url,
        )


def record(steps: Sequence[Step], deployment: Deployment) -> None:
    """History: who moved which tenant from which URL to which, when, with which restore
    point (after the deployment succeeded; a move resumed from a killed run names the
    killed run's point, and ``resumed_from``). The move is no longer pending."""
    for step in steps:
        if step.op is not Op.NOOP and isinstance(step.resource, SiteAddress):
            move, ctx = step.resource.move, step.resource.ctx
            log_event(ctx.store, "domain-move", deployment.tenant, deployment.env,
                      deployment.actor, str(deployment.summary.get("reason") or move.text),
                      ref=deployment.id, old_url=move.old_url, new_url=move.new_url,
                      restore_point=move.point,
                      resumed_from=deployment.resumed_from or "")  # fmt: skip
            ctx.store.delete_document(pending_key(ctx))
