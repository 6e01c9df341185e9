"""Everything the local backend derives for one tenant in one environment: its files,
uid, pool, socket, URL, config values, and the specs of its pool and vhost.

The tenant's uid (as root with per-tenant isolation) is allocated in the state store
under ``("local", "uid", "ENV/TENANT")`` from 20000-29998, so uids are unique across
environments and survive re-deploys; no /etc/passwd entry is needed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from wpfleet.backends.base import TenantContext
from wpfleet.backends.local import wordpress
from wpfleet.backends.local.nginx import VhostSpec
from wpfleet.backends.local.paths import ROOT_RUNTIME_BASE, TenantPaths, is_root
from wpfleet.backends.local.phpfpm import PoolSpec
from wpfleet.backends.local.platform import WEB_USER, LocalPlatform, web_ids

UID_KIND = "uid"
UID_NAMESPACE = "local"
UID_RANGE = range(20000, 29999)


@dataclass
class LocalTenant:
    ctx: TenantContext
    platform: LocalPlatform

    # --- identity and places ------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.ctx.names.tenant

    @property
    def host(self) -> str:
        return self.ctx.names.host

    @property
    def port(self) -> int:
        return self.platform.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def files(self) -> TenantPaths:
        return self.platform.paths.tenant(self.id)

    @property
    def secret_path(self) -> Path:
        return self.platform.paths.tenant_secret(self.id)

    # --- isolation ---------------------------------------------------------------------
    @property
    def own_pool(self) -> bool:
        return self.ctx.env.local_settings.isolation == "per-tenant"

    @property
    def own_uid(self) -> bool:
        """A numeric uid of its own: only root can run pools under other uids."""
        return self.own_pool and is_root()

    @property
    def pool_name(self) -> str:
        return self.ctx.names.pool if self.own_pool else self.platform.shared_pool_name

    @property
    def socket(self) -> Path:
        return self.platform.fpm.socket(self.pool_name)

    @property
    def uid_key(self) -> str:
        return f"{self.ctx.env.name}/{self.id}"

    def known_uid(self) -> int | None:
        """The uid the tenant's PHP runs under, without allocating (plans, reads)."""
        if not self.own_uid:
            return web_ids()[0]
        return self.ctx.store.allocations(UID_NAMESPACE, UID_KIND).get(self.uid_key)

    def allocate_uid(self) -> int:
        if not self.own_uid:
            return web_ids()[0]
        taken = {entry.pw_uid for entry in pwd.getpwall()} | self.foreign_uids()
        return self.ctx.store.allocate(UID_NAMESPACE, UID_KIND, self.uid_key, UID_RANGE, taken)

    def foreign_uids(self) -> set[int]:
        """uids owning tenants' files of OTHER fleets on this machine (another state
        store does not know them): never hand one of those out again."""
        ours = self.platform.paths.root.parent
        found = set()
        for content in ROOT_RUNTIME_BASE.glob("*/*/tenants/*/wp-content"):
            if ours not in content.parents:
                with contextlib.suppress(OSError):
                    found.add(content.stat().st_uid)
        return found

    def release_uid(self) -> None:
        if self.own_uid:
            self.ctx.store.release_allocation(UID_NAMESPACE, UID_KIND, self.uid_key)

    def ids(self, uid: int) -> tuple[int, int]:
        """(uid, gid) for a tenant uid: its own group, or the web user's / our group."""
        if self.own_uid:
            return uid, uid
        return web_ids() if is_root() else (os.getuid(), os.getgid())

    # --- specs ---------------------------------------------------------------------------
    def config(self) -> wordpress.TenantConfig:
        return wordpress.TenantConfig(
            tenant=self.id,
            db_name=self.ctx.names.database,
            db_user=self.ctx.names.db_user,
            db_host=f"127.0.0.1:{self.ctx.env.local_settings.db_port}",
            url=self.url,
            files=self.files,
        )

    def pool_spec(self, uid: int | None) -> PoolSpec:
        paths = self.platform.paths
        f = self.files
        return PoolSpec(
            name=self.pool_name,
            socket=self.socket,
            user=uid,
            group=uid,
            listen_owner=WEB_USER,
            error_log=f.php_error_log,
            open_basedir=[paths.core, f.root, wordpress.BUNDLED_THEMES],
            tmp_dir=f.tmp,
        )

    def vhost_spec(self) -> VhostSpec:
        paths = self.platform.paths
        return VhostSpec(
            tenant=self.id,
            host=self.host,
            listen=self.platform.nginx.listen,
            core=paths.core,
            files=self.files,
            socket=self.socket,
            htpasswd=paths.htpasswd if self.ctx.env.basic_auth else None,
        )
