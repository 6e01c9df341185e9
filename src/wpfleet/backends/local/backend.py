"""``LocalBackend``: WordPress tenants on this machine's nginx + php-fpm + MariaDB, all
run by wpfleet as its own processes (see ``platform.py``), one environment per instance.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from wpfleet.backends.base import (
    AuditFinding,
    Backend,
    ContentAccess,
    Credentials,
    Diagnosis,
    LogLine,
    PlatformStatus,
    TenantContext,
    TenantHealth,
)
from wpfleet.backends.local import probe, proc, secretfiles
from wpfleet.backends.local.checks import checks_for
from wpfleet.backends.local.db_resources import DB_HOST, TenantDatabase, TenantDbUser, TenantSecret
from wpfleet.backends.local.infra_resources import (
    TenantContent,
    TenantPool,
    TenantVhost,
    TenantWpConfig,
)
from wpfleet.backends.local.mariadb import defaults_extra_file
from wpfleet.backends.local.platform import LocalPlatform
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.backends.local.wordpress import SOURCE as WP_SOURCE
from wpfleet.backends.local.wp_resource import WordPressInstall
from wpfleet.backends.siteaccess import LocalFiles, LocalRestorePoints
from wpfleet.checks.base import Check
from wpfleet.checks.page import title_of
from wpfleet.checks.probe import Reply
from wpfleet.checks.site import front_page_verdict
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment
from wpfleet.engine.resource import Resource
from wpfleet.errors import NotFoundError, WpfleetError
from wpfleet.state.base import StateStore


class LocalBackend(Backend):
    def __init__(self, loaded: LoadedFleet, env: Environment, store: StateStore) -> None:
        super().__init__(loaded, env, store)
        self.platform = LocalPlatform(loaded, env)

    # --- platform ---------------------------------------------------------------------------
    def platform_up(self) -> PlatformStatus:
        return self.platform.up()

    def platform_down(self) -> PlatformStatus:
        return self.platform.down()

    def platform_status(self) -> PlatformStatus:
        return self.platform.status()

    def preflight(self) -> None:
        self.platform.preflight()

    # --- tenants -------------------------------------------------------------------------------
    def tenant(self, ctx: TenantContext) -> LocalTenant:
        return LocalTenant(ctx, self.platform)

    def resources(self, ctx: TenantContext) -> list[Resource]:
        t = self.tenant(ctx)
        db = self.platform.db
        return [
            TenantSecret(t),
            TenantDatabase(t, db),
            TenantDbUser(t, db),
            TenantContent(t),
            TenantWpConfig(t),
            TenantPool(t),
            TenantVhost(t),
            WordPressInstall(t, db),
        ]

    def checks(self, ctx: TenantContext) -> list[Check]:
        return checks_for(self.tenant(ctx))

    def urls(self, ctx: TenantContext) -> dict[str, str]:
        base = self.tenant(ctx).url
        return {
            "url": f"{base}/",
            "admin_url": f"{base}/wp-admin/",
            "health_check_url": f"{base}/",
        }

    def document_sections(self, ctx: TenantContext) -> dict[str, Any]:
        t = self.tenant(ctx)
        ls = self.env.local_settings
        return {
            "infrastructure": {
                "backend": "local",
                "php_fpm_pool": t.pool_name,
                "pool_socket": str(t.socket),
                "isolation": ls.isolation,
                "uid": t.known_uid(),
                "vhost": str(self.platform.nginx.vhost_file(t.id)),
                "core": str(self.platform.paths.core),
                "php_error_log": str(t.files.php_error_log),
                "nginx_error_log": str(t.files.nginx_error_log),
            },
            "database": {
                "name": ctx.names.database,
                "username": ctx.names.db_user,
                "host": DB_HOST,
                "port": ls.db_port,
                "secret": str(t.secret_path),
            },
            "storage": {"content_dir": str(t.files.content), "config": str(t.files.config)},
            "networking": {
                "domain": t.host,
                "url": f"{t.url}/",
                "port": ls.http_port,
                "basic_auth": self.env.basic_auth,
            },
        }

    def tenant_traces(self) -> dict[str, list[str]]:
        """The environment's vhosts (``{tenant}.conf``, written only by wpfleet)."""
        vhosts = self.platform.paths.vhosts
        if not vhosts.is_dir():
            return {}
        return {f.stem: [str(f)] for f in sorted(vhosts.glob("*.conf"))}

    def health(self, ctxs: list[TenantContext], *, http: bool = True) -> dict[str, TenantHealth]:
        """The vhost, the pool's socket and (``http``) the front page with its title.
        Front pages are fetched at most ``HEALTH_PROBES`` at a time in this process (all
        environments together): WordPress renders each, and a 2-core machine answering
        24 at once times out on its own load, which is not the tenant's fault."""
        if not ctxs:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(ctxs))) as pool:
            results = list(pool.map(lambda c: self._health_one(c, http), ctxs))
        return {h.tenant: h for h in results}

    def _health_one(self, ctx: TenantContext, http: bool = True) -> TenantHealth:
        t = self.tenant(ctx)
        url = f"{t.url}/"
        deployed = self.platform.nginx.vhost_file(t.id).exists() and t.files.config.exists()
        if not deployed:
            return TenantHealth(ctx.names.tenant, False, None, url, "not deployed")
        if not self.platform.nginx.running():
            return TenantHealth(ctx.names.tenant, True, False, url, "platform down")
        if not proc.unix_open(t.socket, timeout=1.0):
            return TenantHealth(ctx.names.tenant, True, False, url, f"pool {t.pool_name} down")
        if not http:
            return TenantHealth(ctx.names.tenant, True, True, url, "vhost, pool up (no HTTP)")
        try:
            creds = self.basic_auth_credentials()
        except WpfleetError:
            creds = None
        with HEALTH_PROBES:
            reply = probe.request(
                t.port,
                t.host,
                "/",
                auth=(creds.username, creds.password) if creds else None,
                address=self.platform.nginx.bind,
                timeout=10.0,
            )
        ok, detail = front_page_verdict(reply, ctx.tenant.name, t.host)  # a blank 200 is not ok
        detail = f"GET / -> {reply.status} {_title(reply)}".rstrip() if ok else f"GET /: {detail}"
        return TenantHealth(ctx.names.tenant, True, ok, url, detail)

    # --- credentials ---------------------------------------------------------------------------
    def basic_auth_credentials(self) -> Credentials | None:
        return self.platform.basic_auth_credentials()

    def admin_credentials(self, ctx: TenantContext) -> Credentials:
        t = self.tenant(ctx)
        secret = secretfiles.read_secret(t.secret_path)
        if not secret or "admin_password" not in secret:
            raise NotFoundError(
                f"no admin secret for {t.id} in {self.env.name}",
                hint=f"deploy it: wpfleet deploy {t.id} --env {self.env.name}",
            )
        return Credentials(
            ctx.tenant.admin_user,
            secret["admin_password"],
            url=f"{t.url}/wp-admin/",
            description=f"WordPress admin of {t.id} in {self.env.name}",
        )

    def content_access(self, ctx: TenantContext) -> ContentAccess:
        t = self.tenant(ctx)
        secret = secretfiles.read_secret(t.secret_path) or {}
        if "db_password" not in secret:
            raise NotFoundError(
                f"{t.id} is not deployed in {self.env.name} (no database secret)",
                hint=f"wpfleet deploy {t.id} --env {self.env.name}",
            )
        return ContentAccess(
            db_host=DB_HOST,
            db_port=self.env.local_settings.db_port,
            db_user=ctx.names.db_user,
            db_password=secret["db_password"],
            database=ctx.names.database,
            files=LocalFiles(t.files.content),
            points=LocalRestorePoints(
                self.loaded.state_dir / "restore-points" / self.env.name / ctx.tenant.id
            ),
            url=t.url.rstrip("/"),
            wp_root=WP_SOURCE,
        )

    # --- local-only helpers (content export/import) -----------------------------------------
    @contextlib.contextmanager
    def tenant_db_options(self, ctx: TenantContext) -> Iterator[Path]:
        """A temporary 0600 client option file for the tenant's own database user, for
        ``mysqldump``/``mariadb`` (as their FIRST argument: ``--defaults-extra-file=PATH``);
        the password never goes in argv. Removed on exit."""
        secret = secretfiles.read_secret(self.tenant(ctx).secret_path) or {}
        if "db_password" not in secret:
            raise NotFoundError(f"no database secret for {ctx.names.tenant} in {self.env.name}")
        port = self.env.local_settings.db_port
        with defaults_extra_file(ctx.names.db_user, secret["db_password"], port) as path:
            yield path

    def diagnose(self, ctx: TenantContext) -> list[Diagnosis]:
        """The platform, each resource against what it should be, the pool, the PHP log."""
        from wpfleet.backends.local.doctor import diagnose

        return diagnose(self.tenant(ctx), self.resources(ctx), self.env.basic_auth)

    def audit_isolation(self, ctxs: list[TenantContext]) -> list[AuditFinding]:
        """Database grants, pool uids, file modes and a PHP probe in each tenant's pool."""
        from wpfleet.backends.local.audit import audit

        return audit([self.tenant(c) for c in ctxs])

    def logs(
        self, ctx: TenantContext, since: float, pattern: str | None, cursor: Any = None
    ) -> tuple[list[LogLine], Any]:
        """The tenant's nginx access/error logs and its PHP error log."""
        from wpfleet.backends.local import logs

        return logs.read(self.tenant(ctx).files, since, pattern, cursor)

    def close(self) -> None:
        self.platform.close()


#: front pages fetched at once by ``health`` in one process (WordPress renders each)
HEALTH_PROBES = threading.BoundedSemaphore(4)


def _title(reply: Reply) -> str:
    """``"Title"`` of the page, for the status table."""
    title = title_of(reply.body)
    return f'"{title}"' if title else ""
