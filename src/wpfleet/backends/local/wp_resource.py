"""The WordPress install inside the tenant's database.

Created by the php-cli driver (``wp_install()``, admin password on stdin) running as the
tenant's uid — never as root, since the tenant can write to its own wp-content. Read and
updated through SQL on the tenant's own options table: side-effect free and fast, and
how a changed display name is deployed and how a rollback restores the old one.
"""

from __future__ import annotations

import html
import logging

from wpfleet import seams
from wpfleet.backends.local import secretfiles, wordpress
from wpfleet.backends.local.db_resources import quote_ident
from wpfleet.backends.local.mariadb import AdminDb
from wpfleet.backends.local.template import NewSite
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.engine.resource import Fact, Phase, Resource, State
from wpfleet.errors import BackendError

OPTIONS = ("blogname", "blog_public", "admin_email", "home", "siteurl")
TABLE_PREFIX = "wp_"
NO_SUCH_DB_OR_TABLE = {"1049", "1146"}
log = logging.getLogger(__name__)


def esc_html(text: str) -> str:
    """What WordPress's ``esc_html`` stores for a blogname (no double encoding)."""
    text = html.unescape(text)
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, entity)
    return text.replace("'", "&#039;")


class WordPressInstall(Resource):
    id = "infra/wordpress"
    phase = Phase.INFRA
    standalone = False
    depends_on = ("database/user", "infra/wp-config", "infra/content", "infra/vhost")
    description = "WordPress install (title, admin user, search engine visibility)"

    def __init__(self, tenant: LocalTenant, db: AdminDb) -> None:
        self.t = tenant
        self.db = db
        self.database = tenant.ctx.names.database

    @property
    def options_table(self) -> str:
        return f"{quote_ident(self.database)}.{quote_ident(TABLE_PREFIX + 'options')}"

    def read(self) -> Fact | None:
        try:
            rows = self.db.query(
                f"SELECT option_name, option_value FROM {self.options_table} "
                "WHERE option_name IN (%s, %s, %s, %s, %s)",
                OPTIONS,
            )
        except BackendError as exc:
            if exc.code in NO_SUCH_DB_OR_TABLE:
                return None
            raise
        values = {str(k): str(v) for k, v in rows}
        if "siteurl" not in values:
            return None
        state = {name: values.get(name) for name in OPTIONS}
        state["blogname"] = html.unescape(state["blogname"] or "")
        return Fact(state)

    def desired(self) -> State:
        return {
            "blogname": self.t.ctx.tenant.name,
            "blog_public": "1" if self.t.ctx.env.is_prod else "0",
            "admin_email": self.t.ctx.tenant.admin_email,
            "home": self.t.url,
            "siteurl": self.t.url,
        }

    def create(self) -> None:
        """Clone the environment's template (fast), or install with php-cli; finish a
        half-made install; converge the options."""
        secret = secretfiles.read_secret(self.t.secret_path) or {}
        if "admin_password" not in secret:
            raise BackendError(f"the secret of {self.t.id} has no admin_password")
        want = self.desired()
        if self.read() is None and self._clone(want, secret["admin_password"]):
            return
        uid, gid = self.t.ids(self.t.allocate_uid())
        payload = {
            "http_host": f"{self.t.host}:{self.t.port}",
            "host": self.t.host,
            "port": self.t.port,
            "title": want["blogname"],
            "admin_user": self.t.ctx.tenant.admin_user,
            "admin_email": want["admin_email"],
            "admin_password": secret["admin_password"],
            "blog_public": int(want["blog_public"]),
            "options": want,
        }
        paths = self.t.platform.paths
        wordpress.run_driver(paths, self.t.files.config, payload, uid=uid, gid=gid)

    def _clone(self, want: State, admin_password: str) -> bool:
        """True when the template was cloned; False (and a warning) when it cannot be:
        the php-cli install then does the work."""
        template = self.t.platform.template
        site = NewSite(
            database=self.database,
            url=self.t.url,
            admin_user=self.t.ctx.tenant.admin_user,
            admin_email=want["admin_email"],
            admin_password=admin_password,
        )
        try:
            template.ensure()
            template.clone_into(site)
        except BackendError as exc:
            log.warning("cloning the WordPress template failed, installing instead: %s", exc)
            self.delete()  # no half-copied tables (nor the template's admin) under the install
            return False
        seams.point("wordpress:settings")  # cloned, not yet the tenant's own options
        self.update(want)
        return True

    def update(self, target: State) -> None:
        """Set the options by SQL; the site keeps serving throughout."""
        for name in OPTIONS:
            if target.get(name) is None:
                continue
            value = str(target[name])
            if name == "blogname":
                value = esc_html(value)
            self.db.query(
                f"INSERT INTO {self.options_table} (option_name, option_value, autoload) "
                "VALUES (%s, %s, 'yes') "
                "ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)",
                (name, value),
            )

    def delete(self) -> None:
        """Drop WordPress's tables (the database itself is database/database's)."""
        rows = self.db.query(
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s",
            (self.database, TABLE_PREFIX.replace("_", "\\_") + "%"),
        )
        if rows:
            tables = ", ".join(f"{quote_ident(self.database)}.{quote_ident(r[0])}" for r in rows)
            self.db.query(f"DROP TABLE IF EXISTS {tables}")
