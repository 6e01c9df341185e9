"""Database phase: the tenant's secrets, database and user.

Secrets are tagged (ownership by tag); the database and the user cannot carry tags,
so their Facts say ``tagged=None`` and the state store decides. A secret is never
re-generated once it exists: ``update`` leaves its value alone.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from wpfleet.aws.errors import AwsConflict
from wpfleet.backends.aws import dbinit, mysql, secretsmanager
from wpfleet.backends.aws import tags as T
from wpfleet.backends.aws.tenant import AwsResource, TenantAws
from wpfleet.engine.resource import Fact, Phase, State
from wpfleet.errors import ConflictError

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 32


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """Letters and digits only: safe inside SQL, shell and URLs without quoting."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class SecretResource(AwsResource):
    """A tagged Secrets Manager secret holding a JSON object with a generated password."""

    phase = Phase.DATABASE

    def __init__(self, t: TenantAws, step_id: str, name: str, description: str) -> None:
        super().__init__(t)
        self.id = step_id
        self.secret_name = name
        self.description = description

    def value(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self) -> Fact | None:
        meta = self.t.secret_meta(self.secret_name)
        if meta is None:
            return None
        return self.fact({"name": self.secret_name, "arn": meta["ARN"]}, meta.get("Tags"))

    def desired(self) -> State:
        return {"name": self.secret_name}

    def create(self) -> None:
        """Create with a fresh password; an existing secret of ours is kept as it is."""
        fact = self.read()
        if fact is not None:
            self._converge(fact)
            return
        value = self.value()
        try:
            created = secretsmanager.create_secret(
                self.aws,
                self.secret_name,
                value,
                self.t.tags(self.secret_name),
                self.description,
            )
        except AwsConflict:
            self.t.changed(f"secret:{self.secret_name}")
            fact = self.read()
            if fact is None:
                raise
            self._converge(fact)
            return
        meta = {"ARN": created["ARN"], "Name": self.secret_name,
                "Tags": T.as_key_value(self.t.tags(self.secret_name))}  # fmt: skip
        self.t.remember(f"secret:{self.secret_name}", meta)
        self.t.remember(f"secret-value:{self.secret_name}", value)

    def _converge(self, fact: Fact) -> None:
        if not fact.tagged and self.id not in self.t.ctx.store.owned(self.t.env, self.t.tenant):
            raise ConflictError(
                f"secret {self.secret_name} exists and is not wpfleet's",
                hint="adopt it with `wpfleet adopt`, or delete it if it is stale",
            )
        self.update(self.desired())

    def update(self, target: State) -> None:
        """Only (re)tag: the value is never regenerated."""
        if self.wants_tags(target):
            secretsmanager.tag_resource(self.aws, self.secret_name, self.t.tags(self.secret_name))
        else:
            secretsmanager.untag_resource(self.aws, self.secret_name, T.OWNERSHIP_KEYS)
        self.t.changed(f"secret:{self.secret_name}")

    def delete(self) -> None:
        secretsmanager.delete_secret(self.aws, self.secret_name)
        self.t.changed(f"secret:{self.secret_name}", f"secret-value:{self.secret_name}")

    def ownership_data(self) -> State:
        return {"name": self.secret_name}


class DbSecret(SecretResource):
    def __init__(self, t: TenantAws) -> None:
        super().__init__(
            t,
            "database/secret",
            t.names.db_secret,
            f"Database credentials for {t.tenant} in {t.env} (wpfleet)",
        )

    def value(self) -> dict[str, Any]:
        host, port = self.t.db_endpoint()
        return {
            "username": self.names.db_user,
            "password": generate_password(),
            "database": self.names.database,
            "host": host,
            "port": port,
        }


class AdminSecret(SecretResource):
    def __init__(self, t: TenantAws) -> None:
        super().__init__(
            t,
            "database/admin-secret",
            t.names.admin_secret,
            f"WordPress admin login for {t.tenant} in {t.env} (wpfleet)",
        )

    def value(self) -> dict[str, Any]:
        tenant = self.t.ctx.tenant
        return {
            "username": tenant.admin_user,
            "password": generate_password(),
            "email": tenant.admin_email,
        }


class _DatabaseServerResource(AwsResource):
    """Something inside the environment's database server (untaggable)."""

    phase = Phase.DATABASE

    @property
    def direct(self) -> bool:
        return self.t.settings.db_mode == "direct"

    def connect(self) -> Any:
        host, port = self.t.db_endpoint()
        master = self.t.master_credentials()
        return mysql.connect(host, port, str(master["username"]), str(master["password"]))

    @property
    def record_key(self) -> str:
        return f"aws/db-init/{self.t.env}/{self.t.tenant}/{self.id}"

    def recorded(self) -> Fact | None:
        """ecs-task mode: the server is not reachable from here, so the record of a
        db-init task that finished (exit 0) stands in for a read."""
        doc = self.t.ctx.store.get_document(self.record_key)
        return Fact(self.desired(), tagged=None) if doc else None

    def run_task(self, action: str) -> None:
        """Run a db-init action and record (or forget) its success."""
        task = dbinit.run_action(self.t, action)
        if action.startswith("create"):
            doc = {"action": action, "task": task.get("taskArn", ""), "at": time.time()}
            self.t.ctx.store.put_document(self.record_key, doc)
        else:
            self.t.ctx.store.delete_document(self.record_key)


class Database(_DatabaseServerResource):
    id = "database/database"
    description = "MySQL database (utf8mb4)"
    #: ecs-task mode: the db-init task reads the tenant's secret (``secrets: valueFrom``)
    #: even to drop the database, and ECS cannot start a task whose secret is gone, so a
    #: destroy must drop the database before it deletes the secret
    depends_on = ("database/secret",)

    def read(self) -> Fact | None:
        if not self.direct:
            return self.recorded()
        with self.connect() as conn:
            charset = mysql.database_charset(conn, self.names.database)
        if charset is None:
            return None
        return Fact({"name": self.names.database, "charset": charset}, tagged=None)

    def desired(self) -> State:
        return {"name": self.names.database, "charset": mysql.CHARSET}

    def create(self) -> None:
        if not self.direct:
            self.run_task("create-database")
            return
        with self.connect() as conn:
            mysql.create_database(conn, self.names.database)

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        if not self.direct:
            self.run_task("drop-database")
            # the last db-init action of a destroy (the user depends on the database)
            dbinit.remove_prerequisites(self.t)
            return
        with self.connect() as conn:
            mysql.drop_database(conn, self.names.database)

    def ownership_data(self) -> State:
        return {"name": self.names.database}


class DbUser(_DatabaseServerResource):
    id = "database/user"
    description = "MySQL user with ALL on its own database only"
    depends_on = ("database/secret", "database/database")

    def read(self) -> Fact | None:
        if not self.direct:
            return self.recorded()
        user = self.names.db_user
        with self.connect() as conn:
            if not mysql.user_exists(conn, user):
                return None
            state = {
                "name": user,
                "host": "%",
                "databases": mysql.user_databases(conn, user),
                "global_privileges": mysql.has_global_privileges(conn, user),
            }
        return Fact(state, tagged=None)

    def desired(self) -> State:
        return {
            "name": self.names.db_user,
            "host": "%",
            "databases": [self.names.database],
            "global_privileges": False,
        }

    def create(self) -> None:
        """Create, or reset to the secret's password and grants (converges)."""
        if not self.direct:
            self.run_task("create-user")
            return
        password = str(self.t.secret_value(self.names.db_secret)["password"])
        with self.connect() as conn:
            mysql.ensure_user(conn, self.names.db_user, password, self.names.database)

    def update(self, target: State) -> None:
        self.create()

    def delete(self) -> None:
        if not self.direct:
            self.run_task("drop-user")
            return
        with self.connect() as conn:
            mysql.drop_user(conn, self.names.db_user)

    def ownership_data(self) -> State:
        return {"name": self.names.db_user, "host": "%"}
