"""One environment's platform: its MariaDB, php-fpm and nginx, the core copy and basic auth.

Everything is wpfleet's own processes with pid files under the runtime root; nothing of
the machine's services, /etc (beyond reading mime types and fastcgi params),
/var/lib/mysql or system ports is touched. ``up`` is idempotent and fast when running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from wpfleet import naming
from wpfleet.backends.base import ComponentStatus, Credentials, PlatformStatus
from wpfleet.backends.local import proc, wordpress
from wpfleet.backends.local.mariadb import AdminDb, MariaDbServer, bootstrap_admin
from wpfleet.backends.local.nginx import Nginx
from wpfleet.backends.local.paths import ROOT_RUNTIME_BASE, RUNTIME_ENV_VAR, EnvPaths, is_root
from wpfleet.backends.local.phpfpm import SHARED_POOL, PhpFpm, PoolSpec
from wpfleet.backends.local.secretfiles import (
    ensure_secret,
    password,
    read_secret,
    write_secret,
)
from wpfleet.backends.local.template import WordPressTemplate
from wpfleet.config.load import LoadedFleet
from wpfleet.config.models import Environment
from wpfleet.errors import BackendError, PlatformDownError, WpfleetError

WEB_USER = "www-data"
log = logging.getLogger(__name__)


def web_ids() -> tuple[int, int]:
    """uid/gid of the web server's workers (and of the shared pool) as root; ours otherwise."""
    if not is_root():
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam(WEB_USER)
    return entry.pw_uid, entry.pw_gid


class LocalPlatform:
    def __init__(self, loaded: LoadedFleet, env: Environment) -> None:
        self.loaded = loaded
        self.env = env
        self.paths = EnvPaths.for_env(loaded, env.name)
        ls = env.local_settings
        self.db_server = MariaDbServer(self.paths, ls.db_port)
        self.db = AdminDb(self.paths, ls.db_port)
        self.fpm = PhpFpm(self.paths)
        self.nginx = Nginx(self.paths, ls.http_port, ls.bind)
        self.template = WordPressTemplate(self.paths, self.db, ls.http_port, web_ids())
        self._up_lock = threading.Lock()
        self._fpm_started = False

    @property
    def port(self) -> int:
        return self.env.local_settings.http_port

    @property
    def shared_pool_name(self) -> str:
        """``dev--shared``: a double dash cannot occur in a tenant's pool name."""
        return f"{self.env.name}--{SHARED_POOL}"

    def shared_pool(self) -> PoolSpec:
        uid, gid = web_ids()
        return PoolSpec(
            name=self.shared_pool_name,
            socket=self.fpm.socket(self.shared_pool_name),
            user=uid,
            group=gid,
            listen_owner=WEB_USER,
            error_log=self.paths.logs / "php-shared-error.log",
            open_basedir=[
                self.paths.core,
                self.paths.tenants,
                wordpress.BUNDLED_THEMES,
                Path("/tmp"),
            ],
            max_children=10,
        )

    # --- up / down / status ----------------------------------------------------------------
    def up(self) -> PlatformStatus:
        with self._up_lock, proc.file_lock(self.paths.locks / "platform.lock"):
            self._prepare()
            for wait in self._start_or_reconfigure():
                wait()
            bootstrap_admin(self.db_server, self.db)
            if self.template.ensure() or self._fpm_started:
                self._warm()
        return self.status()

    def _warm(self) -> None:
        """Compile WordPress into php-fpm's opcache now; a failure only costs speed."""
        try:
            self.template.warm(self.fpm.socket(self.shared_pool_name), self.paths.core)
        except (OSError, WpfleetError) as exc:
            log.warning("warming php-fpm's opcache failed: %s", exc)

    def _prepare(self) -> None:
        self._make_root()
        for d in (self.paths.logs, self.paths.run, self.paths.locks, self.paths.tenants):
            proc.ensure_dir(d, mode=0o711 if d == self.paths.tenants else 0o755)
        wordpress.ensure_core(self.paths)
        wordpress.install_driver(self.paths)
        if self.env.basic_auth:
            self.ensure_basic_auth()

    def _make_root(self) -> None:
        """The runtime root and its parents must be traversable (not listable) by the
        tenants' uids, mysql and www-data."""
        root = self.paths.root
        root.mkdir(parents=True, exist_ok=True)
        if not is_root():
            return
        chain = [root, root.parent]
        if root.parent.parent == ROOT_RUNTIME_BASE:
            chain.append(ROOT_RUNTIME_BASE)
        for d in chain:
            mode = d.stat().st_mode & 0o7777
            if mode & 0o111 != 0o111:
                os.chmod(d, mode | 0o711)
        closed = [p for p in chain[-1].parents if not p.stat().st_mode & 0o001]
        if closed:
            raise BackendError(
                f"the runtime directory {root} is under {closed[0]}, which other users "
                "cannot traverse (mysql, www-data and the tenants' uids must reach it)",
                hint=f"set {RUNTIME_ENV_VAR} to a directory whose parents are "
                "world-executable (e.g. under /var/lib), or `chmod o+x` that directory",
            )

    def _start_or_reconfigure(self) -> list[Callable[[], None]]:
        """Start what is not running (MariaDB first: the slowest) and apply changed
        configs to what is (reload; MariaDB must restart). Return the waiters."""
        waits: list[Callable[[], None]] = []
        db_changed = self.db_server.prepare()
        if db_changed and self.db_server.running():
            self.db_server.stop()
        if not self.db_server.running():
            self.db_server.start()
            waits.append(self.db_server.wait_ready)
        shared = self.shared_pool()
        self._fpm_started = False
        if self.fpm.prepare(shared) and self.fpm.running():
            self.fpm.reload()
            self._fpm_started = True
        if not self.fpm.running():
            self.fpm.start()
            self._fpm_started = True
        waits.append(lambda: self.fpm.wait_ready([shared.name]))
        if self.nginx.prepare() and self.nginx.running():
            self.nginx.reload_locked()
        if not self.nginx.running():
            self.nginx.start()
        waits.append(self.nginx.wait_ready)
        return waits

    def down(self) -> PlatformStatus:
        """Stop all three at once (MariaDB takes ~2 s to shut down)."""
        if not self.paths.root.exists():
            return self.status()
        with proc.file_lock(self.paths.locks / "platform.lock"):
            self._stop_all()
        self.db.close()
        return self.status()

    def _stop_all(self) -> None:
        threads = [
            threading.Thread(target=stop)
            for stop in (self.nginx.stop, self.fpm.stop, self.db_server.stop)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def purge(self) -> None:
        """Stop everything and delete the runtime root and the secrets (tests, teardown)."""
        self.down()
        shutil.rmtree(self.paths.root, ignore_errors=True)
        shutil.rmtree(self.paths.secrets, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.paths.root.parent.rmdir()  # the fleet's directory, once its last env is gone

    def status(self) -> PlatformStatus:
        ls = self.env.local_settings
        db_pid, fpm_pid, web_pid = self.db_server.pid(), self.fpm.pid(), self.nginx.pid()
        components = [
            ComponentStatus(
                "mariadb",
                self.db_server.running(),
                f"pid {db_pid or '-'}, 127.0.0.1:{ls.db_port}, datadir {self.paths.datadir}",
            ),
            ComponentStatus("php-fpm", fpm_pid is not None, f"pid {fpm_pid or '-'}"),
            ComponentStatus(
                "nginx", web_pid is not None, f"pid {web_pid or '-'}, {self.nginx.listen}"
            ),
        ]
        return PlatformStatus(self.env.name, components, self.limitations())

    def limitations(self) -> list[str]:
        out = []
        if not is_root():
            out.append(
                "not running as root: tenants' PHP runs under one uid, "
                "no file isolation between tenants"
            )
        elif self.env.local_settings.isolation == "shared":
            out.append(
                "isolation is 'shared': one php-fpm pool (www-data) for all tenants, "
                "no file isolation between tenants"
            )
        out.append("plain HTTP only (no TLS); mail is written to each tenant's logs/mail.log")
        return out

    def preflight(self) -> None:
        down = [c.name for c in self.status().components if not c.running]
        if down:
            raise PlatformDownError(
                f"the local platform of {self.env.name} is not running ({', '.join(down)} down)",
                hint=f"wpfleet platform up --env {self.env.name}",
            )

    # --- basic auth -------------------------------------------------------------------------
    def basic_auth_user(self) -> str:
        return naming.basic_auth_user(self.loaded.fleet.fleet, self.env.name)

    def ensure_basic_auth(self) -> None:
        """The environment's login: a 0600 secret, and an htpasswd line made by
        ``openssl passwd -6 -stdin`` (the password on stdin)."""
        user = self.basic_auth_user()
        secret = ensure_secret(
            self.paths.basic_auth_secret, {"username": lambda: user, "password": password}
        )
        if secret["username"] != user:
            secret = {**secret, "username": user}
            write_secret(self.paths.basic_auth_secret, secret)
        try:
            current = self.paths.htpasswd.read_text()
            fresh = (
                self.paths.htpasswd.stat().st_mtime >= self.paths.basic_auth_secret.stat().st_mtime
            )
        except OSError:
            current, fresh = "", False
        if current.startswith(f"{secret['username']}:") and fresh:
            return
        digest = proc.run(
            ["openssl", "passwd", "-6", "-stdin"], stdin=secret["password"] + "\n", what="openssl"
        ).strip()
        _, gid = web_ids()
        proc.ensure_dir(self.paths.nginx, mode=0o755)
        proc.write_file(
            self.paths.htpasswd, f"{secret['username']}:{digest}\n", mode=0o640, gid=gid
        )

    def basic_auth_credentials(self) -> Credentials | None:
        if not self.env.basic_auth:
            return None
        secret = read_secret(self.paths.basic_auth_secret)
        if not secret:
            raise PlatformDownError(
                f"no basic-auth secret for {self.env.name} yet",
                hint=f"wpfleet platform up --env {self.env.name}",
            )
        return Credentials(
            secret["username"], secret["password"], description=f"basic auth of {self.env.name}"
        )

    def close(self) -> None:
        self.db.close()
