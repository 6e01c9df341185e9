"""The database phase on the local backend: the tenant's secret, database and user.

SQL values always travel as PyMySQL parameters; identifiers come from ``naming`` (lower
case letters, digits, underscores) and are backtick-quoted. No state holds a secret
value or a password hash.
"""

from __future__ import annotations

import re

from wpfleet.backends.local import secretfiles
from wpfleet.backends.local.mariadb import AdminDb
from wpfleet.backends.local.tenant import LocalTenant
from wpfleet.backends.local.wordpress import secret_generators
from wpfleet.engine.resource import Fact, Phase, Resource, State
from wpfleet.errors import BackendError

CHARSET = "utf8mb4"
COLLATION = "utf8mb4_unicode_ci"
DB_HOST = "127.0.0.1"
_IDENTIFIED = re.compile(r" IDENTIFIED BY PASSWORD '[^']*'")


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class TenantSecret(Resource):
    """0600 JSON file: DB password, WordPress admin password, auth keys and salts.
    Existing values are never regenerated; missing keys are added."""

    id = "database/secret"
    phase = Phase.DATABASE
    description = "tenant secret file (passwords, WordPress keys and salts)"

    def __init__(self, tenant: LocalTenant) -> None:
        self.t = tenant

    def read(self) -> Fact | None:
        data = secretfiles.read_secret(self.t.secret_path)
        if data is None:
            return None
        mode = secretfiles.secret_mode(self.t.secret_path) or 0
        return Fact({"keys": sorted(data), "mode": f"{mode:04o}"}, tagged=None)

    def desired(self) -> State:
        return {"keys": sorted(secret_generators()), "mode": "0600"}

    def differences(self, actual: State, desired: State) -> list[str]:
        """Extra keys are fine (kept); only missing keys or a wrong mode matter."""
        out = [] if set(desired["keys"]) <= set(actual.get("keys", [])) else ["keys"]
        return out + ([] if actual.get("mode") == desired["mode"] else ["mode"])

    def create(self) -> None:
        secretfiles.ensure_secret(self.t.secret_path, secret_generators())

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        secretfiles.remove_secret(self.t.secret_path)

    def ownership_data(self) -> State:
        return {"path": str(self.t.secret_path)}


class TenantDatabase(Resource):
    id = "database/database"
    phase = Phase.DATABASE
    description = "MySQL database (utf8mb4)"

    def __init__(self, tenant: LocalTenant, db: AdminDb) -> None:
        self.t = tenant
        self.db = db
        self.name = tenant.ctx.names.database

    def read(self) -> Fact | None:
        rows = self.db.query(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
            "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (self.name,),
        )
        if not rows:
            return None
        return Fact({"name": self.name, "charset": rows[0][0], "collation": rows[0][1]})

    def desired(self) -> State:
        return {"name": self.name, "charset": CHARSET, "collation": COLLATION}

    def create(self) -> None:
        self.db.query(
            f"CREATE DATABASE IF NOT EXISTS {quote_ident(self.name)} "
            f"CHARACTER SET {CHARSET} COLLATE {COLLATION}"
        )
        self.update(self.desired())

    def update(self, target: State) -> None:
        charset = target.get("charset", CHARSET)
        collation = target.get("collation", COLLATION)
        if not re.fullmatch(r"[a-z0-9_]+", f"{charset}{collation}"):
            raise ValueError(f"unexpected charset/collation {charset}/{collation}")
        self.db.query(
            f"ALTER DATABASE {quote_ident(self.name)} CHARACTER SET {charset} COLLATE {collation}"
        )

    def delete(self) -> None:
        self.db.query(f"DROP DATABASE IF EXISTS {quote_ident(self.name)}")

    def ownership_data(self) -> State:
        return {"database": self.name}


class TenantDbUser(Resource):
    """``TENANT_user``@127.0.0.1 with ALL on its own database and nothing else."""

    id = "database/user"
    phase = Phase.DATABASE
    depends_on = ("database/secret", "database/database")
    description = "MySQL user with privileges on its own database only"

    def __init__(self, tenant: LocalTenant, db: AdminDb) -> None:
        self.t = tenant
        self.db = db
        self.user = tenant.ctx.names.db_user
        self.database = tenant.ctx.names.database

    @property
    def account(self) -> str:
        return f"{quote_ident(self.user)}@{quote_ident(DB_HOST)}"

    def read(self) -> Fact | None:
        rows = self.db.query(
            "SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s", (self.user, DB_HOST)
        )
        if not rows:
            return None
        return Fact({"user": self.user, "host": DB_HOST, "grants": self._grants()})

    def _grants(self) -> list[str]:
        rows = self.db.query("SHOW GRANTS FOR %s@%s", (self.user, DB_HOST))
        return sorted(_IDENTIFIED.sub("", str(r[0])) for r in rows)

    def desired(self) -> State:
        return {
            "user": self.user,
            "host": DB_HOST,
            "grants": sorted(
                [
                    f"GRANT USAGE ON *.* TO {self.account}",
                    f"GRANT ALL PRIVILEGES ON {quote_ident(self.database)}.* TO {self.account}",
                ]
            ),
        }

    def create(self) -> None:
        """Create or converge: the password from the secret file, exactly our grants."""
        secret = secretfiles.read_secret(self.t.secret_path) or {}
        pw = secret.get("db_password")
        if not pw:
            raise BackendError(
                f"the secret of {self.t.id} has no db_password", hint="deploy database/secret"
            )
        self.db.query("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (self.user, DB_HOST, pw))
        self.db.query("ALTER USER %s@%s IDENTIFIED BY %s", (self.user, DB_HOST, pw))
        if set(self._grants()) - set(self.desired()["grants"]):
            self.db.query("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (self.user, DB_HOST))
        self.db.query(
            f"GRANT ALL PRIVILEGES ON {quote_ident(self.database)}.* TO %s@%s",
            (self.user, DB_HOST),
        )

    def update(self, target: State) -> None:
        """Grants other than 'own database only' are never restored: re-converge."""
        self.create()

    def delete(self) -> None:
        self.db.query("DROP USER IF EXISTS %s@%s", (self.user, DB_HOST))

    def ownership_data(self) -> State:
        return {"user": self.user, "host": DB_HOST}
