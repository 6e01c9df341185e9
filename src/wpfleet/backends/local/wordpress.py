"""WordPress on the local stack: one hard-linked core copy per environment, a dispatcher
wp-config.php in it, each tenant's own config file and wp-content, and a php-cli driver
that installs WordPress without a browser.

Why a copy and not symlinks: PHP resolves symlinks, so ABSPATH would become
/usr/share/wordpress and Debian's own wp-config.php would load. The copy's hard-linked
wp-config.php is removed before ours is written (writing through the link would change
/usr/share/wordpress). The copy is refreshed when the package's version.php changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wpfleet.backends.local import proc, safefs, secretfiles
from wpfleet.backends.local.paths import EnvPaths, TenantPaths
from wpfleet.errors import BackendError

SOURCE = Path("/usr/share/wordpress")
BUNDLED_THEMES = SOURCE / "wp-content" / "themes"
THEME_PACKAGE = "wordpress-theme-twentytwentythree"
TEMPLATES = Path(__file__).parent / "templates"
MAIL_PLUGIN = "wpfleet-mail-log.php"
SALT_KEYS = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)


def secret_generators() -> dict[str, Callable[[], str]]:
    """Every key of a tenant secret and how to generate it."""
    gens: dict[str, Callable[[], str]] = {
        "db_password": secretfiles.password,
        "admin_password": secretfiles.password,
    }
    gens.update({key.lower(): secretfiles.salt for key in SALT_KEYS})
    return gens


def template(name: str) -> str:
    return (TEMPLATES / name).read_text()


# --- core ------------------------------------------------------------------------------
def source_marker() -> str:
    """Identity of the installed package's core: inode and mtime of version.php."""
    try:
        st = (SOURCE / "wp-includes" / "version.php").stat()
    except OSError:
        raise BackendError(
            "WordPress is not installed in /usr/share/wordpress",
            hint="apt-get install wordpress",
        ) from None
    return f"{st.st_ino}:{st.st_mtime_ns}"


def bundled_theme_dirs() -> list[Path]:
    """The themes Debian's theme packages installed (a theme has a style.css)."""
    if not BUNDLED_THEMES.is_dir():
        return []
    return [p for p in sorted(BUNDLED_THEMES.iterdir()) if (p / "style.css").is_file()]


def require_theme() -> None:
    """Refuse to go on without a theme: WordPress then answers every page with a blank
    200 (Debian's ``wordpress`` only recommends its theme package)."""
    if not bundled_theme_dirs():
        raise BackendError(
            f"no WordPress theme is installed in {BUNDLED_THEMES}: every site would be blank",
            hint=f"apt-get install {THEME_PACKAGE} (scripts/install-deps.sh installs it)",
        )


def ensure_core(paths: EnvPaths) -> bool:
    """Make ``paths.core`` a current copy of the package's core; True when (re)copied."""
    require_theme()
    marker_file = paths.core / ".wpfleet-source"
    want = source_marker()
    dispatcher = template("dispatcher.php").replace("__TENANTS_ROOT__", str(paths.tenants))
    try:
        current = marker_file.read_text()
    except OSError:
        current = ""
    if current == want:
        proc.write_file(paths.core / "wp-config.php", dispatcher)
        return False
    fresh = paths.root / "core.new"
    shutil.rmtree(fresh, ignore_errors=True)
    _copy_tree(SOURCE, fresh)
    (fresh / "wp-config.php").unlink(missing_ok=True)
    proc.write_file(fresh / "wp-config.php", dispatcher)
    (fresh / ".wpfleet-source").write_text(want)
    _swap(fresh, paths.core)
    return True


def _copy_tree(src: Path, dst: Path) -> None:
    """Hard-linked copy (no extra disk on the same filesystem), plain copy otherwise."""
    try:
        proc.run(["cp", "-al", str(src), str(dst)], what="cp -al (WordPress core)")
    except BackendError:
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)


def _swap(fresh: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(fresh, target)
    shutil.rmtree(old, ignore_errors=True)


def install_driver(paths: EnvPaths) -> Path:
    """The php-cli driver script, root-owned and read-only for tenants."""
    path = paths.bin / "wp-driver.php"
    proc.ensure_dir(paths.bin, mode=0o755)
    proc.write_file(path, template("wp-driver.php"))
    return path


# --- tenant configuration ----------------------------------------------------------------
def php_str(value: object) -> str:
    """A PHP single-quoted string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class TenantConfig:
    """The values of a tenant's wp-config.php that are not secret."""

    tenant: str
    db_name: str
    db_user: str
    db_host: str
    url: str
    files: TenantPaths

    def render(self, secret: dict[str, str]) -> str:
        f = self.files
        consts: list[tuple[str, object]] = [
            ("DB_NAME", self.db_name),
            ("DB_USER", self.db_user),
            ("DB_PASSWORD", secret.get("db_password", "")),
            ("DB_HOST", self.db_host),
            ("DB_CHARSET", "utf8mb4"),
            ("DB_COLLATE", ""),
            *((key, secret.get(key.lower(), "")) for key in SALT_KEYS),
            ("WP_HOME", self.url),
            ("WP_SITEURL", self.url),
            ("WP_CONTENT_DIR", str(f.content)),
            ("WP_CONTENT_URL", f"{self.url}/wp-content"),
            ("WPFLEET_TENANT", self.tenant),
            ("WPFLEET_MAIL_LOG", str(f.mail_log)),
        ]
        lines = [f"define({php_str(k)}, {php_str(v)});" for k, v in consts]
        flags = ["DISABLE_WP_CRON", "AUTOMATIC_UPDATER_DISABLED", "DISALLOW_FILE_EDIT"]
        lines += [f"define({php_str(k)}, true);" for k in flags]
        lines += [f"define({php_str(k)}, false);" for k in ("WP_DEBUG", "WP_DEBUG_LOG")]
        return (
            "<?php\n"
            f"/* Written by wpfleet for tenant {self.tenant}: loaded by the core's dispatcher. */\n"
            + "\n".join(lines)
            + "\n$table_prefix = 'wp_';\n"
            "ini_set('log_errors', '1');\n"
            "ini_set('display_errors', '0');\n"
            f"ini_set('error_log', {php_str(f.php_error_log)});\n"
        )

    def fingerprint(self, text: str, secret: dict[str, str]) -> str:
        """Hash of ``text`` with every secret value masked: comparable, reveals nothing."""
        masked = text
        for value in sorted((v for v in secret.values() if v), key=len, reverse=True):
            masked = masked.replace(value, "***")
        return hashlib.sha256(masked.encode()).hexdigest()[:16]


# --- tenant content ------------------------------------------------------------------------
def prepare_content(files: TenantPaths, uid: int, gid: int) -> None:
    """The tenant's wp-content: the bundled themes copied in, empty plugins and uploads, and a
    root-owned mu-plugins directory with the mail-to-log plugin; its logs and tmp dirs.
    Idempotent. Everything below the root-owned tenant directory is touched through
    ``safefs`` (the tenant may have planted symlinks there)."""
    ru, rg = (0, 0) if os.geteuid() == 0 else (-1, -1)
    proc.ensure_dir(files.root, mode=0o755)
    with contextlib.ExitStack() as stack:
        root = stack.enter_context(safefs.opendir(files.root))
        content = stack.enter_context(safefs.subdir(root, "wp-content", mode=0o755))
        if os.fstat(content).st_uid != uid:
            safefs.chown_tree(root, "wp-content", uid, gid)
        for sub in ("plugins", "uploads", "upgrade"):
            with safefs.subdir(content, sub, mode=0o755, uid=uid, gid=gid):
                pass
        with safefs.subdir(content, "themes", mode=0o755, uid=uid, gid=gid) as themes:
            copy_themes(themes, files.content / "themes", uid, gid)
        with safefs.subdir(content, "mu-plugins", mode=0o755, uid=ru, gid=rg) as mu:
            safefs.write_at(mu, MAIL_PLUGIN, template("mail-log.php"), uid=ru, gid=rg)
        with safefs.subdir(root, "logs", mode=0o750, uid=uid, gid=gid) as logs:
            for log in (files.php_error_log, files.mail_log):
                if not safefs.exists_at(logs, log.name):
                    safefs.write_at(logs, log.name, "", mode=0o640, uid=uid, gid=gid)
        with safefs.subdir(root, "tmp", mode=0o700, uid=uid, gid=gid):
            pass
    ensure_nginx_logs(files)


def copy_themes(themes: int, themes_path: Path, uid: int, gid: int) -> None:
    """Each bundled theme as a directory of the tenant's own, as the official WordPress
    image has it. A link into /usr/share would break when wp-content is copied: to
    another machine or EFS it dangles, and a copy made as another user is refused by
    nginx's ``disable_symlinks if_not_owner``. The copy runs as the tenant's uid (the
    themes directory is the tenant's: root never writes there). A link made by an older
    wpfleet is replaced; a directory of that name (the tenant's theme) is left alone."""
    require_theme()
    for theme in bundled_theme_dirs():
        try:
            st = os.stat(theme.name, dir_fd=themes, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None:
            if not stat.S_ISLNK(st.st_mode):
                continue
            if os.readlink(theme.name, dir_fd=themes) != str(theme):
                continue
            os.unlink(theme.name, dir_fd=themes)
        tmp = themes_path / f".{theme.name}.wpfleet-copy"
        script = 'rm -rf -- "$2" && cp -R -- "$1" "$2" && mv -T -- "$2" "$3"'
        proc.run(
            ["sh", "-c", script, "sh", str(theme), str(tmp), str(themes_path / theme.name)],
            user=uid,
            group=gid,
            what=f"copying the theme {theme.name} into {themes_path}",
        )


NGINX_LOGS_MODE = 0o750
NGINX_LOG_MODE = 0o640


def ensure_nginx_logs(files: TenantPaths) -> None:
    """The root-owned directory of the tenant's nginx logs, which its vhost names (nginx
    refuses a configuration whose log directory is missing). 0750 root:root (the
    operator's own user and group when not root): other tenants' PHP cannot read who
    visited (issue 11); the master opens the files as root. The log files are made
    here, 0640, before nginx would create them 0644; older ones are tightened."""
    ru, rg = (0, 0) if os.geteuid() == 0 else (-1, -1)
    proc.ensure_dir(files.root, mode=0o755)
    with (
        safefs.opendir(files.root) as root,
        safefs.subdir(root, "nginx-logs", mode=NGINX_LOGS_MODE, uid=ru, gid=rg) as logs,
    ):
        for name in (files.nginx_access_log.name, files.nginx_error_log.name):
            # made here first (nginx would create them 0644), appended to by nginx later
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK
            fd = os.open(name, flags, NGINX_LOG_MODE, dir_fd=logs)
            try:
                if os.fstat(fd).st_mode & 0o037:
                    os.fchmod(fd, NGINX_LOG_MODE)
            finally:
                os.close(fd)


def private_nginx_logs(files: TenantPaths) -> bool:
    """True when no one but root (and the operator's group) can read the nginx logs."""
    try:
        mode = files.nginx_logs.lstat().st_mode
    except FileNotFoundError:
        return False
    return mode & 0o7777 == NGINX_LOGS_MODE


def content_state(files: TenantPaths) -> dict[str, Any] | None:
    try:
        st = files.content.stat()
    except FileNotFoundError:
        return None
    themes = sorted(p.name for p in (files.content / "themes").glob("*"))
    mail_plugin = (files.content / "mu-plugins" / MAIL_PLUGIN).is_file()
    return {
        "path": str(files.content),
        "uid": st.st_uid,
        "themes": themes,
        "mail_plugin": mail_plugin,
        "logs": files.logs.is_dir(),
        "private_logs": private_nginx_logs(files),
    }


# --- the php-cli driver ------------------------------------------------------------------------
def run_driver(
    paths: EnvPaths, config: Path, payload: dict[str, Any], *, uid: int | None, gid: int | None
) -> dict[str, Any]:
    """Run the driver as the tenant's uid with ``payload`` (secrets included) on stdin."""
    driver = install_driver(paths)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WPFLEET_TENANT_CONFIG": str(config)}
    out = proc.run(
        ["php", "-d", "display_errors=stderr", str(driver)],
        stdin=json.dumps({**payload, "core": str(paths.core)}),
        env=env,
        user=uid,
        group=gid,
        what="WordPress install (php-cli)",
        timeout=120,
        hide=[str(payload.get("admin_password", ""))],
    )
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BackendError(f"WordPress install gave no result: {out[-500:]}") from None
    return dict(result)
