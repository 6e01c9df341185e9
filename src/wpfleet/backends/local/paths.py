"""Where the local backend keeps things, for one environment.

Secrets live under the fleet's state directory (``.wpfleet/secrets/ENV``, 0700/0600).
Runtime files (data dirs, core copy, tenant wp-content, configs, logs, sockets) live in
a runtime root: as root ``/var/lib/wpfleet/FLEET-HASH/ENV`` (the clone may sit under a
0700 /root that per-tenant uids cannot traverse), otherwise ``.wpfleet/local/ENV``;
``WPFLEET_RUNTIME_DIR`` overrides the base for both cases.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from wpfleet.config.load import LoadedFleet

ROOT_RUNTIME_BASE = Path("/var/lib/wpfleet")
RUNTIME_ENV_VAR = "WPFLEET_RUNTIME_DIR"


def is_root() -> bool:
    return os.geteuid() == 0


def runtime_root(loaded: LoadedFleet, env: str) -> Path:
    """The environment's runtime directory (see the module docstring for the rules)."""
    override = os.environ.get(RUNTIME_ENV_VAR)
    if override:
        return Path(override).resolve() / env
    if is_root():
        digest = hashlib.sha256(str(loaded.path).encode()).hexdigest()[:8]
        return ROOT_RUNTIME_BASE / f"{loaded.fleet.fleet}-{digest}" / env
    return loaded.state_dir / "local" / env


@dataclass(frozen=True)
class EnvPaths:
    """Every path of one environment's platform; tenants' paths come from ``tenant()``."""

    root: Path
    secrets: Path

    @classmethod
    def for_env(cls, loaded: LoadedFleet, env: str) -> EnvPaths:
        return cls(root=runtime_root(loaded, env), secrets=loaded.state_dir / "secrets" / env)

    # --- platform --------------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def core(self) -> Path:
        return self.root / "core"

    @property
    def bin(self) -> Path:
        """Root-owned helper scripts (the php-cli WordPress driver)."""
        return self.root / "bin"

    @property
    def tenants(self) -> Path:
        return self.root / "tenants"

    @property
    def mariadb(self) -> Path:
        return self.root / "mariadb"

    @property
    def datadir(self) -> Path:
        return self.mariadb / "data"

    @property
    def fpm(self) -> Path:
        return self.root / "php-fpm"

    @property
    def pools(self) -> Path:
        return self.fpm / "pools"

    @property
    def sockets(self) -> Path:
        return self.run / "fpm"

    @property
    def nginx(self) -> Path:
        return self.root / "nginx"

    @property
    def vhosts(self) -> Path:
        return self.nginx / "vhosts"

    @property
    def htpasswd(self) -> Path:
        return self.nginx / "htpasswd"

    # --- secrets ---------------------------------------------------------------------
    @property
    def db_admin_secret(self) -> Path:
        return self.secrets / "db-admin.json"

    @property
    def basic_auth_secret(self) -> Path:
        return self.secrets / "basic-auth.json"

    def tenant_secret(self, tenant: str) -> Path:
        return self.secrets / "tenants" / f"{tenant}.json"

    def tenant(self, tenant: str) -> TenantPaths:
        return TenantPaths(self.tenants / tenant)


@dataclass(frozen=True)
class TenantPaths:
    """One tenant's files: ``wp-config.php`` (0640 root:tenant), ``wp-content`` and ``logs``
    and ``tmp`` (the tenant's), ``nginx-logs`` (root's)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "wp-config.php"

    @property
    def content(self) -> Path:
        return self.root / "wp-content"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def php_error_log(self) -> Path:
        return self.logs / "php-error.log"

    @property
    def nginx_logs(self) -> Path:
        """Root-owned: nginx's master opens these as root, so never in a tenant's dir."""
        return self.root / "nginx-logs"

    @property
    def nginx_error_log(self) -> Path:
        return self.nginx_logs / "error.log"

    @property
    def nginx_access_log(self) -> Path:
        return self.nginx_logs / "access.log"

    @property
    def mail_log(self) -> Path:
        return self.logs / "mail.log"
