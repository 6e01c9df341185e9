"""Database phase: the tenant's database user (untaggable, like the database)."""

from __future__ import annotations

from wpfleet.backends.aws import mysql
from wpfleet.backends.aws.resources.database import DatabaseServerResource
from wpfleet.engine.resource import Fact, State


class DbUser(DatabaseServerResource):
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
