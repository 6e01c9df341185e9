"""Direct SQL against the environment's database server (``db_mode: direct``).

Credentials are passed to PyMySQL in memory, never on a command line. Names come from
``wpfleet.naming`` (letters, digits, underscores) and are still quoted as identifiers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pymysql

from wpfleet.errors import BackendError

CHARSET = "utf8mb4"
COLLATION = "utf8mb4_unicode_ci"


def ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@contextmanager
def connect(host: str, port: int, user: str, password: str) -> Iterator[Any]:
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            connect_timeout=10,
            autocommit=True,
            charset=CHARSET,
        )
    except pymysql.MySQLError as exc:
        raise BackendError(
            f"cannot connect to the database server {host}:{port} as {user}: {exc.args[-1]}",
            hint="check aws.rds_endpoint, the master secret, and that this machine can reach "
            "the server (otherwise use db_mode: ecs-task)",
            code="MySQLConnect",
            retryable=True,
        ) from None
    try:
        yield conn
    finally:
        conn.close()


def run(conn: Any, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args or None)
            return list(cur.fetchall())
    except pymysql.MySQLError as exc:
        verb = sql.split()[0]
        raise BackendError(f"SQL {verb} failed: {exc.args[-1]}", code="MySQL") from None


def database_charset(conn: Any, database: str) -> str | None:
    rows = run(
        conn,
        "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        (database,),
    )
    return str(rows[0][0]) if rows else None


def create_database(conn: Any, database: str) -> None:
    run(
        conn,
        f"CREATE DATABASE IF NOT EXISTS {ident(database)} "
        f"CHARACTER SET {CHARSET} COLLATE {COLLATION}",
    )
    run(conn, f"ALTER DATABASE {ident(database)} CHARACTER SET {CHARSET} COLLATE {COLLATION}")


def drop_database(conn: Any, database: str) -> None:
    run(conn, f"DROP DATABASE IF EXISTS {ident(database)}")


def user_exists(conn: Any, user: str) -> bool:
    return bool(run(conn, "SELECT 1 FROM mysql.user WHERE User = %s AND Host = '%%'", (user,)))


def user_databases(conn: Any, user: str) -> list[str]:
    """The databases ``user``@'%' holds privileges on (from its grants)."""
    rows = run(conn, "SELECT Db FROM mysql.db WHERE User = %s AND Host = '%%'", (user,))
    return sorted(str(r[0]).replace("\\_", "_") for r in rows)


def has_global_privileges(conn: Any, user: str) -> bool:
    rows = run(
        conn,
        "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES "
        "WHERE GRANTEE = %s AND PRIVILEGE_TYPE <> 'USAGE'",
        (f"'{user}'@'%'",),
    )
    return bool(rows and rows[0][0])


def ensure_user(conn: Any, user: str, password: str, database: str) -> None:
    """Create or reset the user with ALL on its own database only (idempotent)."""
    run(conn, "CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (user, password))
    run(conn, "ALTER USER %s@'%%' IDENTIFIED BY %s", (user, password))
    # an unescaped "_" in a grant is a wildcard: goldencrust_db would also match goldencrustXdb
    pattern = ident(database.replace("_", "\\_"))
    run(conn, f"GRANT ALL PRIVILEGES ON {pattern}.* TO %s@'%%'", (user,))


def drop_user(conn: Any, user: str) -> None:
    run(conn, "DROP USER IF EXISTS %s@'%%'", (user,))
