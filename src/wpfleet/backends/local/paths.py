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
import re
from dataclasses import dataclass
from pathlib import Path

from wpfleet import grammar, naming
from wpfleet.config.load import LoadedFleet
from wpfleet.errors import ValidationError
from wpfleet.naming import TENANT_ID_RULE

ROOT_RUNTIME_BASE = Path("/var/lib/wpfleet")
RUNTIME_ENV_VAR = "WPFLEET_RUNTIME_DIR"
#: a tenant id, or the template's "0template": one plain path component
TENANT_DIR_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*")


def is_root() -> bool:
    return os.geteuid() == 0


def runtime_root(loaded: LoadedFleet, env: str) -> Path:
    """The environment's runtime directory (see the module docstring for the rules).

    The fleet and environment names are checked again here (not only in validation), and
    the result must resolve to a place under its base: a name is never a path."""
    grammar.check_fleet_name(loaded.fleet.fleet)
    naming.check_env_name(env)
    override = os.environ.get(RUNTIME_ENV_VAR)
    if override:
        base = Path(override).resolve()
        root = base / env
    elif is_root():
        digest = hashlib.sha256(str(loaded.path).encode()).hexdigest()[:8]
        base = ROOT_RUNTIME_BASE
        root = base / f"{loaded.fleet.fleet}-{digest}" / env
    else:
        base = loaded.state_dir
        root = base / "local" / env
    root = under(base, root)
    try:
        grammar.config_token(root)
    except ValidationError as exc:
        raise ValidationError(
            f"the runtime directory {root} cannot be named in nginx or php-fpm configuration",
            hint=f"set {RUNTIME_ENV_VAR} to a plain path (letters, digits, / . _ -)",
        ) from exc
    return root


def under(base: Path, path: Path) -> Path:
    """``path`` resolved, refused unless it stays under ``base`` (resolved too)."""
    resolved, root = path.resolve(), base.resolve()
    if not resolved.is_relative_to(root):
        raise ValidationError(
            f"{path} resolves to {resolved}, outside {root}",
            hint="names must not contain '..' or '/'; check the fleet file and symlinks",
        )
    return resolved


def check_component(name: str) -> str:
    """A tenant id (or the template's directory name) as one path component."""
    if not TENANT_DIR_RE.fullmatch(name):
        raise ValidationError(f"{name!r:.80} cannot be a directory name", hint=TENANT_ID_RULE)
    return name


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
        return under(self.secrets, self.secrets / "tenants" / f"{check_component(tenant)}.json")

    def tenant(self, tenant: str) -> TenantPaths:
        return TenantPaths(under(self.tenants, self.tenants / check_component(tenant)))


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
