"""A pre-installed WordPress per environment, cloned into each new tenant's database.

``wp_install()`` costs a php-cli process and ~700 queries (about 0.35 s); copying the
template's tables and rewriting what is tenant-specific (URL, title, admin user and
password hash, e-mail, dates) takes a few dozen statements. The template is built once per
environment by the same php-cli driver (as the web user, never root), rebuilt when the
core's database version changes, and never served: no vhost points at it.

Clone order keeps a killed clone recognisable: every table but ``wp_options`` first and
fixed, ``wp_options`` last; until it exists the install reads as absent.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from wpfleet import seams
from wpfleet.backends.local import fastcgi, phpass, proc, wordpress
from wpfleet.backends.local.mariadb import AdminDb
from wpfleet.backends.local.paths import EnvPaths, TenantPaths, is_root
from wpfleet.errors import BackendError

TEMPLATE_DB = "wpfleet_template"
TEMPLATE_USER = "wpfleet_template"
TEMPLATE_DIR = "0template"  # accepted by the dispatcher, impossible as a tenant id
TEMPLATE_HOST = "template.wpfleet.invalid"
PREFIX = "wp_"


def q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def core_db_version(paths: EnvPaths) -> str:
    text = (paths.core / "wp-includes" / "version.php").read_text()
    match = re.search(r"\$wp_db_version\s*=\s*(\d+)", text)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class NewSite:
    """What makes a clone the tenant's own (its options are set by the caller)."""

    database: str
    url: str
    admin_user: str
    admin_email: str
    admin_password: str


class WordPressTemplate:
    def __init__(self, paths: EnvPaths, db: AdminDb, port: int, web_ids: tuple[int, int]) -> None:
        self.paths = paths
        self.db = db
        self.port = port
        self.web_ids = web_ids

    @property
    def url(self) -> str:
        return f"http://{TEMPLATE_HOST}:{self.port}"

    def ready(self) -> bool:
        try:
            rows = self.db.query(
                f"SELECT option_value FROM {q(TEMPLATE_DB)}.{q(PREFIX + 'options')} "
                "WHERE option_name = 'db_version'"
            )
        except BackendError:
            return False
        return bool(rows) and str(rows[0][0]) == core_db_version(self.paths)

    def ensure(self) -> bool:
        """Build the template unless it is current; True when it was (re)built."""
        with proc.file_lock(self.paths.locks / "template.lock"):
            if self.ready():
                return False
            self.build()
            return True

    def build(self) -> None:
        """Install WordPress into the template database with the php-cli driver."""
        db = self.db
        db.query(f"DROP DATABASE IF EXISTS {q(TEMPLATE_DB)}")
        db.query(
            f"CREATE DATABASE {q(TEMPLATE_DB)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        secret = {k: gen() for k, gen in wordpress.secret_generators().items()}
        pw = secret["db_password"]
        db.query("CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (TEMPLATE_USER, pw))
        db.query("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (TEMPLATE_USER, pw))
        db.query(f"GRANT ALL PRIVILEGES ON {q(TEMPLATE_DB)}.* TO %s@'127.0.0.1'", (TEMPLATE_USER,))
        files = self.paths.tenant(TEMPLATE_DIR)
        try:
            self._install(files, secret)
        except BaseException:
            db.query("DROP USER IF EXISTS %s@'127.0.0.1'", (TEMPLATE_USER,))
            shutil.rmtree(files.root, ignore_errors=True)
            raise
        # kept, read-only, so that ``warm`` can render it: tenants must never be able to
        # change what every later tenant is cloned from
        db.query("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@'127.0.0.1'", (TEMPLATE_USER,))
        db.query(f"GRANT SELECT ON {q(TEMPLATE_DB)}.* TO %s@'127.0.0.1'", (TEMPLATE_USER,))

    def warm(self, socket_path: Path, core: Path) -> None:
        """Render the template's pages once through ``socket_path`` (a php-fpm pool), so
        WordPress is compiled into the shared opcache before the first tenant asks."""
        files = self.paths.tenant(TEMPLATE_DIR)
        if not files.config.exists():
            return
        for script, uri in (
            ("index.php", "/"),
            ("index.php", "/wp-json/"),
            ("wp-login.php", "/wp-login.php"),
        ):
            params = {
                "GATEWAY_INTERFACE": "CGI/1.1",
                "REQUEST_METHOD": "GET",
                "SCRIPT_FILENAME": str(core / script),
                "SCRIPT_NAME": f"/{script}",
                "DOCUMENT_ROOT": str(core),
                "REQUEST_URI": uri,
                "QUERY_STRING": "",
                "SERVER_NAME": TEMPLATE_HOST,
                "SERVER_PORT": str(self.port),
                "HTTP_HOST": f"{TEMPLATE_HOST}:{self.port}",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "WPFLEET_TENANT_CONFIG": str(files.config),
            }
            fastcgi.get(socket_path, params)

    def _install(self, files: TenantPaths, secret: dict[str, str]) -> None:
        uid, gid = self.web_ids
        wordpress.prepare_content(files, uid, gid)
        config = wordpress.TenantConfig(
            TEMPLATE_DIR, TEMPLATE_DB, TEMPLATE_USER, f"127.0.0.1:{self.db.port}", self.url, files
        )
        mode, owner = (0o640, {"uid": 0, "gid": gid}) if is_root() else (0o600, {})
        proc.write_file(files.config, config.render(secret), mode=mode, **owner)
        payload = {
            "http_host": f"{TEMPLATE_HOST}:{self.port}",
            "host": TEMPLATE_HOST,
            "port": self.port,
            "title": "wpfleet template",
            "admin_user": "admin",
            "admin_email": f"admin@{TEMPLATE_HOST}",
            "admin_password": secret["admin_password"],
            "blog_public": 0,
            "options": {},
        }
        wordpress.run_driver(self.paths, files.config, payload, uid=uid, gid=gid)

    # --- cloning -----------------------------------------------------------------------------
    def tables(self) -> list[str]:
        rows = self.db.query(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (TEMPLATE_DB,),
        )
        return sorted(str(r[0]) for r in rows)

    def clone_into(self, site: NewSite) -> None:
        """Copy the template into ``site.database`` (whose WordPress tables, if any, are
        the rest of a killed attempt) and make it the tenant's."""
        db, target = self.db, q(site.database)
        tables = self.tables()
        options = PREFIX + "options"
        if options not in tables:
            raise BackendError("the WordPress template has no options table")
        for table in tables:
            db.query(f"DROP TABLE IF EXISTS {target}.{q(table)}")
        for table in [t for t in tables if t != options]:
            self._copy(site.database, table)
            seams.point("wordpress:table")  # a kill half-way through the copy
        self._personalise(site)
        seams.point("wordpress:options")
        self._copy(site.database, options)

    def _copy(self, database: str, table: str) -> None:
        source, target = f"{q(TEMPLATE_DB)}.{q(table)}", f"{q(database)}.{q(table)}"
        self.db.query(f"CREATE TABLE {target} LIKE {source}")
        self.db.query(f"INSERT INTO {target} SELECT * FROM {source}")

    def _personalise(self, site: NewSite) -> None:
        """Everything but the options (set afterwards by the caller): admin, URLs, dates."""
        db, t = self.db, q(site.database)
        nicename = re.sub(r"[^a-z0-9_.-]+", "-", site.admin_user.lower()).strip("-") or "admin"
        db.query(
            f"UPDATE {t}.{q(PREFIX + 'users')} SET user_login = %s, user_nicename = %s, "
            "user_email = %s, user_url = %s, display_name = %s, user_pass = %s, "
            "user_registered = UTC_TIMESTAMP() WHERE ID = 1",
            (
                site.admin_user,
                nicename,
                site.admin_email,
                site.url,
                site.admin_user,
                phpass.hash_password(site.admin_password),
            ),
        )
        db.query(
            f"UPDATE {t}.{q(PREFIX + 'usermeta')} SET meta_value = %s "
            "WHERE user_id = 1 AND meta_key = 'nickname'",
            (site.admin_user,),
        )
        db.query(
            f"UPDATE {t}.{q(PREFIX + 'posts')} SET "
            "post_content = REPLACE(post_content, %s, %s), guid = REPLACE(guid, %s, %s), "
            "post_date = NOW(), post_date_gmt = UTC_TIMESTAMP(), "
            "post_modified = NOW(), post_modified_gmt = UTC_TIMESTAMP()",
            (self.url, site.url, self.url, site.url),
        )
        db.query(
            f"UPDATE {t}.{q(PREFIX + 'comments')} SET "
            "comment_date = NOW(), comment_date_gmt = UTC_TIMESTAMP()"
        )
