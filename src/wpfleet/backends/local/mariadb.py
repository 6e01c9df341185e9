"""One MariaDB server per environment (like one RDS instance per environment).

Own datadir, own port on 127.0.0.1, own socket and pid file; ``--defaults-file`` is
always the FIRST argument or /etc/mysql/my.cnf wins. wpfleet talks to it over TCP with
PyMySQL as ``wpfleet_admin``@127.0.0.1, whose generated password lives in a 0600 secret
file; the account is created once through the unix socket (socket authentication), with
the SQL on the client's stdin.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pymysql

from wpfleet.backends.local import proc
from wpfleet.backends.local.paths import EnvPaths, is_root
from wpfleet.backends.local.secretfiles import ensure_secret, mask, password, read_secret
from wpfleet.errors import BackendError, PlatformDownError

ADMIN_USER = "wpfleet_admin"
ADMIN_HOST = "127.0.0.1"
ACCESS_DENIED = (1045, 1130)  # wrong password; no account for this host


def _mysql_ids() -> tuple[int, int]:
    entry = pwd.getpwnam("mysql")
    return entry.pw_uid, entry.pw_gid


class MariaDbServer:
    """Start, stop and inspect the environment's mariadbd."""

    def __init__(self, paths: EnvPaths, port: int, bind: str = "127.0.0.1") -> None:
        self.paths = paths
        self.port = port
        self.bind = bind
        self.cnf = paths.mariadb / "my.cnf"
        self.socket = paths.mariadb / "mysqld.sock"
        self.pid_file = paths.mariadb / "mariadbd.pid"
        self.error_log = paths.mariadb / "error.log"
        # its own: instances sharing /tmp collide on temporary table names at install
        self.tmpdir = paths.mariadb / "tmp"

    def pid(self) -> int | None:
        return proc.read_pid(self.pid_file)

    def running(self) -> bool:
        return self.pid() is not None and proc.tcp_open(ADMIN_HOST, self.port)

    def render_cnf(self) -> str:
        user = "user = mysql\n" if is_root() else ""
        return (
            "# written by wpfleet: this environment's own MariaDB server\n"
            "[mysqld]\n"
            f"{user}datadir = {self.paths.datadir}\n"
            f"port = {self.port}\n"
            f"bind-address = {self.bind}\n"
            f"socket = {self.socket}\n"
            f"pid-file = {self.pid_file}\n"
            f"log-error = {self.error_log}\n"
            f"tmpdir = {self.tmpdir}\n"
            "skip-name-resolve\nskip-log-bin\nperformance_schema = OFF\nlog_warnings = 1\n"
            "innodb_buffer_pool_size = 32M\ninnodb_log_file_size = 16M\n"
            "innodb_flush_log_at_trx_commit = 2\n"
            "max_connections = 200\n"
            "character-set-server = utf8mb4\ncollation-server = utf8mb4_unicode_ci\n"
            "[client]\n"
            f"socket = {self.socket}\nport = {self.port}\n"
        )

    def prepare(self) -> bool:
        """Write the config and create the datadir when new; True when the config changed."""
        uid, gid = _mysql_ids() if is_root() else (-1, -1)
        proc.ensure_dir(self.paths.mariadb, mode=0o750, uid=uid, gid=gid)
        changed = proc.write_file(self.cnf, self.render_cnf(), mode=0o644)
        proc.ensure_dir(self.tmpdir, mode=0o700, uid=uid, gid=gid)
        installing = self.paths.mariadb / ".installing"
        if installing.exists():
            shutil.rmtree(self.paths.datadir, ignore_errors=True)  # a failed attempt's rest
        elif (self.paths.datadir / "mysql").is_dir():
            return changed
        elif self.paths.datadir.is_dir() and any(self.paths.datadir.iterdir()):
            raise BackendError(
                f"{self.paths.datadir} holds data but no system tables: not reinstalling over it",
                hint="inspect it; remove it to start this environment's database afresh",
            )
        installing.touch()
        self._install(uid, gid)
        installing.unlink()
        return changed

    def _install(self, uid: int, gid: int) -> None:
        proc.ensure_dir(self.paths.datadir, mode=0o750, uid=uid, gid=gid)
        auth = ["--auth-root-authentication-method=socket"]
        if not is_root():
            auth.append(f"--auth-root-socket-user={getpass.getuser()}")
        try:
            proc.run(
                ["mariadb-install-db", f"--defaults-file={self.cnf}", "--skip-test-db", *auth],
                what="mariadb-install-db",
                timeout=120,
            )
        except BackendError as exc:
            raise BackendError(
                f"{exc.message}\n{self.error_log}:\n{_tail(self.error_log)}"
            ) from None

    def start(self) -> None:
        """Launch mariadbd detached; ``wait_ready`` says when it accepts connections."""
        proc.spawn(["mariadbd", f"--defaults-file={self.cnf}"], self.paths.logs / "mariadbd.out")

    def wait_ready(self, timeout: float = 30.0) -> None:
        if not proc.wait_for(self.running, timeout):
            tail = _tail(self.error_log)
            raise BackendError(f"MariaDB did not start on port {self.port}: {tail}")

    def stop(self) -> None:
        proc.stop_pid(self.pid(), timeout=30.0)

    def run_sql_as_socket_owner(self, sql: str, hide: Sequence[str] = ()) -> None:
        """Run ``sql`` (on stdin, never argv) through the socket with socket authentication."""
        user = "root" if is_root() else getpass.getuser()
        proc.run(
            ["mariadb", f"--defaults-file={self.cnf}", f"--user={user}", "--batch"],
            stdin=sql,
            what="mariadb (bootstrap)",
            hide=hide,
        )


def _tail(path: Path, size: int = 1500) -> str:
    try:
        data = path.read_bytes()[-size:]
    except OSError:
        return "(no error log)"
    return data.decode(errors="replace").strip()


def sql_quote(value: str) -> str:
    """A MySQL string literal; only for values we generated (alphabet without quotes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class AdminDb:
    """PyMySQL connections as ``wpfleet_admin``: one per thread, reused, autocommit."""

    def __init__(self, paths: EnvPaths, port: int) -> None:
        self.paths = paths
        self.port = port
        self._local = threading.local()
        # weak: a connection whose thread has ended is closed when collected, not kept
        self._all: weakref.WeakSet[pymysql.connections.Connection[Any]] = weakref.WeakSet()
        self._lock = threading.Lock()

    def admin_password(self, *, create: bool = False) -> str:
        if create:
            return ensure_secret(self.paths.db_admin_secret, {"password": password})["password"]
        secret = read_secret(self.paths.db_admin_secret)
        if not secret or "password" not in secret:
            raise PlatformDownError(
                "the platform's database admin secret is missing",
                hint="run `wpfleet platform up`",
            )
        return secret["password"]

    def connect(self) -> pymysql.connections.Connection[Any]:
        """A fresh connection; raises pymysql errors as they come."""
        return pymysql.connect(
            host=ADMIN_HOST,
            port=self.port,
            user=ADMIN_USER,
            password=self.admin_password(),
            autocommit=True,
            connect_timeout=3,
            charset="utf8mb4",
        )

    def conn(self) -> pymysql.connections.Connection[Any]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            try:
                current.ping(reconnect=False)
                return current
            except pymysql.MySQLError:
                with contextlib.suppress(Exception):
                    current.close()
        try:
            current = self.connect()
        except pymysql.MySQLError as exc:
            raise PlatformDownError(
                f"cannot connect to MariaDB on 127.0.0.1:{self.port}: {exc}",
                hint="run `wpfleet platform up`",
            ) from None
        self._local.conn = current
        with self._lock:
            self._all.add(current)
        return current

    def query(self, sql: str, args: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement; values always go as parameters, never into the SQL text."""
        try:
            with self.conn().cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall())
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else 0
            text = str(exc)
            if "IDENTIFIED" in sql.upper():  # the server may quote the statement back
                text = mask(text, [a for a in args or () if isinstance(a, str)])
            raise BackendError(f"SQL failed: {_describe(sql)}: {text}", code=str(code)) from None

    def close(self) -> None:
        with self._lock:
            conns, self._all = list(self._all), weakref.WeakSet()
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()


def _describe(sql: str) -> str:
    return " ".join(sql.split())[:120]


def bootstrap_admin(server: MariaDbServer, db: AdminDb) -> None:
    """Make sure ``wpfleet_admin`` can log in over TCP; create it through the socket if not."""
    pw = db.admin_password(create=True)
    try:
        db.connect().close()
        return
    except pymysql.MySQLError as exc:
        if not exc.args or exc.args[0] not in ACCESS_DENIED:
            raise BackendError(f"cannot connect to MariaDB: {exc}") from None
    account = f"{sql_quote(ADMIN_USER)}@{sql_quote(ADMIN_HOST)}"
    server.run_sql_as_socket_owner(
        f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {sql_quote(pw)};\n"
        f"ALTER USER {account} IDENTIFIED BY {sql_quote(pw)};\n"
        f"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;\n",
        hide=[pw],
    )


@contextlib.contextmanager
def defaults_extra_file(user: str, secret: str, port: int) -> Iterator[Path]:
    """A temporary 0600 option file for mysql/mariadb/mysqldump clients (never argv).

    Use as ``mysqldump --defaults-extra-file=PATH ...`` (first argument).
    """
    fd, name = tempfile.mkstemp(prefix="wpfleet-my-", suffix=".cnf")
    try:
        os.fchmod(fd, 0o600)
        text = f"[client]\nuser={user}\npassword={secret}\nhost={ADMIN_HOST}\nport={port}\n"
        os.write(fd, text.encode())
        os.close(fd)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
