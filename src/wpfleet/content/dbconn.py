"""How the content engine reaches one tenant's database: a small connection spec, the
client tools' argv (the password only ever in a 0600 ``--defaults-extra-file``, never in
argv, where ``ps`` shows it to every user), and a PyMySQL connection for queries."""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wpfleet.errors import UsageError

_NAME_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


@dataclass(frozen=True)
class DbSpec:
    """One database and the user that may touch it (a tenant's own user, for imports)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.database):
            raise UsageError(
                f"database name {self.database!r} is not a plain identifier",
                hint="use letters, digits and _ (at most 64)",
            )

    def connect(self, **kw: Any) -> Any:
        """A PyMySQL connection (autocommit, utf8mb4) to the spec's database."""
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            autocommit=True,
            charset="utf8mb4",
            **kw,
        )


def _quote_option(value: str) -> str:
    """A value for an option file: quoted, with \\ and " escaped (the client unescapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def defaults_file(spec: DbSpec) -> Iterator[Path]:
    """A 0600 option file holding the credentials, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="wpfleet-db-", suffix=".cnf")
    try:
        os.fchmod(fd, 0o600)
        text = (
            "[client]\n"
            f"host={spec.host}\nport={spec.port}\n"
            f"user={_quote_option(spec.user)}\npassword={_quote_option(spec.password)}\n"
        )
        os.write(fd, text.encode("utf-8"))
        os.close(fd)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def client_argv(tool: str, options_file: Path, *args: str) -> list[str]:
    """``tool --defaults-extra-file=F args…`` (the option file must come first)."""
    return [tool, f"--defaults-extra-file={options_file}", "--protocol=TCP", *args]


def quote_ident(name: str) -> str:
    """A backquoted SQL identifier."""
    return "`" + name.replace("`", "``") + "`"


def server_version(spec: DbSpec) -> str:
    """``SELECT VERSION()``, e.g. ``10.11.6-MariaDB-0+deb12u1``."""
    conn = spec.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            return str(cur.fetchone()[0])
    finally:
        conn.close()


def is_mysql(version: str) -> bool:
    """True for MySQL (and RDS MySQL) servers, which reject MariaDB's sandbox line."""
    return "mariadb" not in version.lower()


def widen_pipe(pipe: IO[bytes], size: int = 1 << 20) -> None:
    """Let a pipe hold ``size`` bytes (Linux; 64 KiB by default), so that the programs at
    its two ends work at the same time instead of in turns. Best effort: a system that
    refuses keeps its default."""
    with suppress(OSError, ValueError):
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
