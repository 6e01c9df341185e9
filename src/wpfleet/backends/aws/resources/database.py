"""Database phase: the tenant's database on the environment's server.

The database cannot carry tags, so its Fact says ``tagged=None`` and the state store
decides.
"""

from __future__ import annotations

import time
from typing import Any

from wpfleet.backends.aws import dbinit, mysql
from wpfleet.backends.aws.tenant import AwsResource
from wpfleet.engine.resource import Fact, Phase, State


class DatabaseServerResource(AwsResource):
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


class Database(DatabaseServerResource):
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
