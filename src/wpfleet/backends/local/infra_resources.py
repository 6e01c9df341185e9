"""The infra phase's files and processes: wp-content, wp-config.php, php-fpm pool, vhost.

Each create/update converges in place and leaves the site serving; each delete removes
only the tenant's own artifacts and succeeds when they are already gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

from wpfleet.backends.local import proc, secretfiles, wordpress
from wpfleet.backends.local.paths import is_root
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.engine.resource import Fact, Phase, Resource, State
from wpfleet.errors import BackendError


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return None


def bundled_themes() -> list[str]:
    themes = wordpress.BUNDLED_THEMES
    return sorted(p.name for p in themes.iterdir()) if themes.is_dir() else []


class TenantContent(Resource):
    """wp-content (like an EFS access point): owned by the tenant's uid."""

    id = "infra/content"
    phase = Phase.INFRA
    description = "wp-content directory (themes, plugins, uploads, mail-log mu-plugin)"

    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant

    def read(self) -> Fact | None:
        state = wordpress.content_state(self.t.files)
        if state is None:
            return None
        present = set(state.pop("themes"))
        state["bundled_themes"] = [name for name in bundled_themes() if name in present]
        return Fact(state)

    def desired(self) -> State:
        return {
            "path": str(self.t.files.content),
            "uid": self.t.known_uid(),
            "bundled_themes": bundled_themes(),
            "mail_plugin": True,
            "logs": True,
            "private_logs": True,  # nginx logs 0750: no other tenant reads them
        }

    def create(self) -> None:
        uid, gid = self.t.ids(self.t.allocate_uid())
        wordpress.prepare_content(self.t.files, uid, gid)

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        f = self.t.files
        for d in (f.content, f.logs, f.tmp, f.nginx_logs):
            _remove_tree(d)
        _remove_if_empty(f.root)
        self.t.release_uid()

    def ownership_data(self) -> State:
        return {"path": str(self.t.files.content), "uid": self.t.known_uid()}


def _remove_tree(path: Path) -> None:
    """Remove a directory tree; a symlink planted in its place is removed, not followed."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _remove_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


class TenantWpConfig(Resource):
    """The tenant's wp-config.php: 0640 root:tenant-group (0600 when not root)."""

    id = "infra/wp-config"
    phase = Phase.INFRA
    depends_on = ("database/secret",)
    description = "WordPress configuration file"

    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant

    @property
    def mode(self) -> int:
        return 0o640 if is_root() else 0o600

    def read(self) -> Fact | None:
        path = self.t.files.config
        try:
            text = path.read_text()
            st = path.stat()
        except FileNotFoundError:
            return None
        secret = secretfiles.read_secret(self.t.secret_path) or {}
        return Fact(
            {
                "path": str(path),
                "hash": self.t.config().fingerprint(text, secret),
                "mode": f"{st.st_mode & 0o777:04o}",
                "gid": st.st_gid,
            }
        )

    def desired(self) -> State:
        placeholders = dict.fromkeys(wordpress.secret_generators(), "***")
        text = self.t.config().render(placeholders)
        uid = self.t.known_uid()
        return {
            "path": str(self.t.files.config),
            "hash": self.t.config().fingerprint(text, {}),
            "mode": f"{self.mode:04o}",
            "gid": self.t.ids(uid)[1] if uid is not None else None,
        }

    def create(self) -> None:
        secret = secretfiles.read_secret(self.t.secret_path)
        if not secret:
            raise BackendError(
                f"no secret for {self.t.id}: cannot write its wp-config.php",
                hint="deploy database/secret first",
            )
        _, gid = self.t.ids(self.t.allocate_uid())
        proc.ensure_dir(self.t.files.root, mode=0o755)
        owner = {"uid": 0, "gid": gid} if is_root() else {}
        proc.write_file(
            self.t.files.config, self.t.config().render(secret), mode=self.mode, **owner
        )

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        self.t.files.config.unlink(missing_ok=True)
        _remove_if_empty(self.t.files.root)

    def ownership_data(self) -> State:
        return {"path": str(self.t.files.config)}


class TenantPool(Resource):
    """A php-fpm pool of its own (per-tenant isolation), or membership of the shared one.

    In shared mode there is nothing of the tenant's own to create or delete, so the
    resource is not standalone (no ownership record, never a conflict)."""

    id = "infra/pool"
    phase = Phase.INFRA
    depends_on = ("infra/content", "infra/wp-config")
    description = "php-fpm pool"

    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant
        self.fpm = tenant.platform.fpm
        self.standalone = tenant.own_pool

    @property
    def membership(self) -> Path:
        """Shared mode: the marker saying this tenant is served by the shared pool."""
        return self.t.files.root / ".shared-pool"

    def read(self) -> Fact | None:
        path = self.fpm.pool_file(self.t.pool_name)
        digest = file_hash(path)
        if digest is None or not (self.t.own_pool or self.membership.exists()):
            return None
        return Fact(
            {
                "pool": self.t.pool_name,
                "socket": str(self.t.socket),
                "hash": digest,
                "loaded": self.fpm.is_loaded(self.t.pool_name),
            }
        )

    def desired(self) -> State:
        if not self.t.own_pool:
            digest = hashlib.sha256(self.t.platform.shared_pool().render().encode())
        else:
            digest = hashlib.sha256(self.t.pool_spec(self.t.known_uid()).render().encode())
        return {
            "pool": self.t.pool_name,
            "socket": str(self.t.socket),
            "hash": digest.hexdigest()[:16],
            "loaded": True,  # written is not enough: the running master must have it
        }

    def explain(self, actual: State) -> dict[str, tuple[Any, Any]]:
        """The pool file's lines that differ from what wpfleet would write."""
        path = self.fpm.pool_file(self.t.pool_name)
        text = path.read_text() if path.is_file() else ""
        if self.t.own_pool:
            wanted = self.t.pool_spec(self.t.known_uid()).render()
        else:
            wanted = self.t.platform.shared_pool().render()
        return line_changes(text, wanted)

    def create(self) -> None:
        if self.t.own_pool:
            self.fpm.apply_pool(self.t.pool_spec(self.t.allocate_uid()))
        else:
            self.fpm.apply_pool(self.t.platform.shared_pool())
            proc.ensure_dir(self.t.files.root, mode=0o755)
            proc.write_file(self.membership, self.t.pool_name + "\n")

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        if self.t.own_pool:
            self.fpm.remove_pool(self.t.pool_name)
        self.membership.unlink(missing_ok=True)

    def ownership_data(self) -> State:
        return {"pool": self.t.pool_name, "uid": self.t.known_uid()}


class TenantVhost(Resource):
    """The nginx server block routing the tenant's Host header to its pool."""

    id = "infra/vhost"
    phase = Phase.INFRA
    depends_on = ("infra/pool",)
    description = "nginx virtual host"

    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant
        self.nginx = tenant.platform.nginx

    def read(self) -> Fact | None:
        """``config`` (the text: paths and names, no secret) is what an undo puts back;
        it is not part of ``desired``, so it is never itself a difference."""
        path = self.nginx.vhost_file(self.t.id)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        basic_auth = "auth_basic_user_file" in text
        loaded = self.nginx.is_loaded(self.t.id)
        host = served_host(text) or self.t.host  # a domain move changes it
        state = {"host": host, "hash": digest, "basic_auth": basic_auth, "config": text}
        return Fact({**state, "loaded": loaded})

    def desired(self) -> State:
        spec = self.t.vhost_spec()
        digest = hashlib.sha256(spec.render().encode()).hexdigest()[:16]
        return {
            "host": self.t.host,
            "hash": digest,
            "basic_auth": spec.htpasswd is not None,
            "loaded": True,  # written is not enough: the running nginx must have it
        }

    def explain(self, actual: State) -> dict[str, tuple[Any, Any]]:
        """The vhost's lines that differ from what wpfleet would write."""
        return line_changes(str(actual.get("config") or ""), self.t.vhost_spec().render())

    def create(self) -> None:
        wordpress.ensure_nginx_logs(self.t.files)  # the vhost names files in it
        self.nginx.apply_vhost(self.t.vhost_spec())

    def update(self, target: State) -> None:
        """Deploy: the desired vhost. Undo: the exact text that was there before."""
        config = target.get("config")
        if isinstance(config, str) and target.get("hash") != self.desired()["hash"]:
            # the host that text serves (an undo of a domain move: the old one)
            self.nginx.write_vhost(self.t.id, served_host(config) or self.t.host, config)
        else:
            self.create()

    def delete(self) -> None:
        self.nginx.remove_vhost(self.t.id, self.t.host)

    def ownership_data(self) -> State:
        return {"path": str(self.nginx.vhost_file(self.t.id)), "host": self.t.host}


def served_host(text: str) -> str | None:
    """The host a vhost's text serves (its ``server_name``)."""
    match = re.search(r"^\s*server_name\s+(\S+);", text, re.MULTILINE)
    return match.group(1) if match else None


def line_changes(actual: str, desired: str) -> dict[str, tuple[Any, Any]]:
    """``{"lines": (only in the file, only in what wpfleet writes)}`` when they differ."""
    have, want = actual.splitlines(), desired.splitlines()
    extra = [line for line in have if line not in want]
    missing = [line for line in want if line not in have]
    return {"lines": (extra, missing)} if (extra or missing) else {}
