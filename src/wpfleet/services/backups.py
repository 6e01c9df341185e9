"""Restore points and content moves: ``backup create|list|restore``, ``content clone``,
and what ``destroy``, ``rollback --with-content`` and ``promote --with-content`` take
first.

A restore point is a content export (the database dump with its manifest, and the
wp-content archive) kept where the backend keeps them (``ContentAccess.points``: local,
``.wpfleet/restore-points/{env}/{tenant}/{id}/`` beside the fleet file, 0700; aws, the
environment's content bucket in S3), recorded in the state store under
``restore-points/{tenant}/{env}/{id}`` with who, when, why and the release that ran.
One is ALWAYS taken before content is overwritten (restore, clone, --with-content) and
before a destroy; ``backup_retention`` on the environment keeps the newest N.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wpfleet.backends.base import ContentAccess
from wpfleet.config.models import Environment
from wpfleet.content.dbconn import DbSpec
from wpfleet.content.export import export_database
from wpfleet.content.importer import import_database
from wpfleet.content.manifest import DUMP_NAME, Manifest
from wpfleet.content.searchreplace import search_replace
from wpfleet.content.sqldump import open_dump
from wpfleet.content.urlpairs import url_pairs
from wpfleet.errors import ContentUnavailable, NotFoundError, ValidationError
from wpfleet.releases.book import ReleaseBook
from wpfleet.releases.history import log_event
from wpfleet.services.workspace import Workspace
from wpfleet.state.base import Json

ARCHIVE = "wp-content.tar.gz"


def _spec(access: ContentAccess) -> DbSpec:
    return DbSpec(access.db_host, access.db_port, access.db_user, access.db_password,
                  access.database)  # fmt: skip


def site_access(ws: Workspace, env: Environment, tenant: str) -> ContentAccess:
    """The site's content access; reading ``ws.faults`` installs the fault seams, so a
    test can kill an import or restore at ``content:swap`` (issue 11)."""
    _ = ws.faults
    return ws.backend(env).content_access(ws.tenant(env, tenant))


def _key(tenant: str, env: str, point: str = "") -> str:
    return f"restore-points/{tenant}/{env}/{point}"


def export_site(access: ContentAccess, out: Path) -> Manifest:
    """Database dump + manifest + wp-content archive of one site into ``out``."""
    manifest = export_database(_spec(access), out, wp_root=access.wp_root)
    info = access.files.pull(out / ARCHIVE)
    manifest.wp_content = {"file": ARCHIVE, "bytes": info.bytes, "files": info.files}
    manifest.save(out)
    return manifest


def create(
    ws: Workspace,
    env: Environment,
    tenant: str,
    *,
    reason: str = "manual",
    url: str = "",
    keep: str = "",
) -> Json:
    """Take a restore point of ``tenant`` in ``env`` now. ``url``: the URL its content
    holds, where that is not the fleet file's (a domain move takes one at the old URL).
    Retention never removes ``keep`` (the point a restore is about to load)."""
    access = site_access(ws, env, tenant)
    point = time.strftime("b-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)
    with access.points.writing(point) as out:
        manifest = export_site(access, out)
    current = ReleaseBook(ws.store(env)).current(tenant, env.name) or {}
    doc = {
        "id": point, "tenant": tenant, "env": env.name, "at": time.time(),
        "actor": ws.actor, "reason": reason, "path": access.points.location(point),
        "release_id": current.get("id", ""), "url": url or access.url,
        "rows": manifest.rows, "dump_bytes": manifest.dump_bytes,
        "wp_content": manifest.wp_content,
    }  # fmt: skip
    ws.store(env).put_document(_key(tenant, env.name, point), doc)
    log_event(ws.store(env), "restore-point", tenant, env.name, ws.actor, reason, ref=point)
    _prune(ws, env, tenant, access, keep)
    return doc


def points(ws: Workspace, env: Environment, tenant: str) -> list[Json]:
    """Newest first."""
    docs = ws.store(env).list_documents(_key(tenant, env.name)).values()
    return sorted(docs, key=lambda d: d["at"], reverse=True)


def _prune(ws: Workspace, env: Environment, tenant: str, access: ContentAccess, keep: str) -> None:
    for old in [p for p in points(ws, env, tenant) if p["id"] != keep][env.backup_retention :]:
        access.points.delete(old["path"])
        ws.store(env).delete_document(_key(tenant, env.name, old["id"]))


def get(ws: Workspace, env: Environment, tenant: str, point: str, access: ContentAccess) -> Json:
    doc = ws.store(env).get_document(_key(tenant, env.name, point)) if point else None
    if doc is None or not access.points.exists(doc["path"]):
        known = ", ".join(p["id"] for p in points(ws, env, tenant)) or "none"
        raise NotFoundError(
            f"no restore point {point!r} of {tenant} in {env.name}",
            hint=f"restore points there: {known} (`wpfleet backup list`)",
        )
    return doc


def load_site(
    access: ContentAccess, src: Path, *, old_hosts: list[str] | None = None
) -> dict[str, Any]:
    """Import ``src`` (an export directory) into the site: database through shadow tables
    and one RENAME (proved first), then wp-content swapped in whole."""
    result = import_database(
        _spec(access),
        src,
        manifest=Manifest.load(src),
        old_hosts=old_hosts or [],
        expected_url=access.url,
    )
    files = access.files.push(src / ARCHIVE) if (src / ARCHIVE).is_file() else None
    return {"tables": len(result.tables), "rows": sum(result.rows.values()),
            "files": files.files if files else 0}  # fmt: skip


def restore(ws: Workspace, env: Environment, tenant: str, point: str) -> Json:
    """Put a restore point back, after taking one of what is there now."""
    access = site_access(ws, env, tenant)
    doc = get(ws, env, tenant, point, access)
    if doc.get("url", access.url) != access.url:
        raise ValidationError(
            f"restore point {point} was taken at {doc['url']}, the site is now {access.url}",
            hint="move it with `wpfleet content clone`, which rewrites the URLs",
        )
    before = create(ws, env, tenant, reason=f"before restoring {point}", keep=point)
    with access.points.reading(doc["path"]) as kept:
        loaded = load_site(access, kept)
    log_event(ws.store(env), "restore", tenant, env.name, ws.actor, f"restored {point}",
              ref=point, before=before["id"])  # fmt: skip
    return {**doc, "restored": loaded, "restore_point_before": before["id"]}


def before_destroy(ws: Workspace, env: Environment, tenant: str) -> Json | None:
    """A restore point before a destroy; None when there is nothing to keep (never
    deployed) or the backend cannot export yet."""
    try:
        site_access(ws, env, tenant)
    except (NotFoundError, ValidationError, NotImplementedError, ContentUnavailable):
        return None
    except Exception as exc:  # the UsageError of a backend without content support
        if "not available" in str(exc):
            return None
        raise
    return create(ws, env, tenant, reason="before destroy")


def for_release(ws: Workspace, env: Environment, tenant: str, release_id: str) -> Json:
    """The newest restore point taken while ``release_id`` ran (rollback --with-content)."""
    for doc in points(ws, env, tenant):
        if doc.get("release_id") == release_id:
            return doc
    raise NotFoundError(
        f"no restore point of {tenant} in {env.name} was taken while {release_id} ran",
        hint="rollback without --with-content, or restore one: wpfleet backup list",
    )


def clone(
    ws: Workspace, tenant: str, source: Environment, target: Environment, *, upward: bool = False
) -> Json:
    """Copy ``source``'s content over ``target``'s, URLs rewritten (every spelling of the
    host, longest first), proved, after a restore point of the target."""
    names = [e.name for e in ws.envs(None)]
    if source.name == target.name:
        raise ValidationError(f"cloning {source.name} onto itself is refused")
    if names.index(target.name) > names.index(source.name) and not upward:
        raise ValidationError(
            f"{source.name} → {target.name} moves content UP the chain",
            hint="content moves down; pass --allow-upward if this is truly meant",
        )
    src = site_access(ws, source, tenant)
    with tempfile.TemporaryDirectory(prefix="wpfleet-clone-") as tmp:
        export_site(src, Path(tmp))
        done = import_site(ws, target, tenant, Path(tmp), why=f"clone from {source.name}")
    return {"from": source.name, "to": target.name, **done}


def import_site(ws: Workspace, env: Environment, tenant: str, src: Path, *, why: str) -> Json:
    """Load an export directory into the site, after a restore point of it. A dump made
    at another host is moved to this site's host first (every spelling, longest first),
    and the proof then demands that no old host is left."""
    dst = site_access(ws, env, tenant)
    manifest = Manifest.load(src)
    old_host = urlsplit(manifest.source_urls.get("home", "")).netloc
    new_host = urlsplit(dst.url).netloc
    pairs: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="wpfleet-import-") as tmp:
        moved = src
        if old_host and old_host.lower() != new_host.lower():
            pairs = url_pairs(old_host, new_host, escaped_forms=True)
            moved = Path(tmp)
            # plain SQL under the export's name: the importer reads gzip or not by its magic
            with open_dump(src / DUMP_NAME) as reader, open(moved / DUMP_NAME, "wb") as out:
                search_replace(reader, out, pairs, name=f"{tenant}'s dump")
            manifest.save(moved)
            if (src / ARCHIVE).is_file():
                shutil.copy2(src / ARCHIVE, moved / ARCHIVE)
        before = create(ws, env, tenant, reason=f"before {why}")
        loaded = load_site(dst, moved, old_hosts=[old_host] if pairs else [])
    log_event(ws.store(env), "import", tenant, env.name, ws.actor, why, before=before["id"])
    return {"pairs": pairs, "loaded": loaded, "restore_point_before": before["id"]}
