"""The environment's own php-fpm master: private config, pid file, error log, sockets.

It runs with ``--nodaemonize`` in its own session, so a SIGUSR2 reload re-execs in place
and the pid in the pid file stays right. Pools are one file each under ``pools/``; a
reload restarts every pool, so it is done only when a pool file really changed, under a
file lock, and is followed by polling (never a fixed sleep) until php-fpm says it is
ready and the expected sockets answer.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

from wpfleet import grammar, seams
from wpfleet.backends.local import proc
from wpfleet.backends.local.paths import EnvPaths, is_root
from wpfleet.errors import BackendError

FPM_BINARY = "php-fpm8.2"
READY_LINE = b"ready to handle connections"
#: php-fpm's config errors: ``ERROR: [pool dev-kilo] cannot get uid for user 'x'``
POOL_ERROR = re.compile(r"ERROR: (?:\[pool ([^\]]+)\] )?(.+)")
SHARED_POOL = "shared"
DISABLED_FUNCTIONS = (
    "exec",
    "shell_exec",
    "system",
    "passthru",
    "proc_open",
    "popen",
    "pcntl_exec",
)


@dataclass(frozen=True)
class PoolSpec:
    """One pool. ``user``/``group`` are numeric ids, used only when running as root."""

    name: str
    socket: Path
    user: int | None
    group: int | None
    listen_owner: str | None
    error_log: Path | None
    open_basedir: list[Path] = field(default_factory=list)
    tmp_dir: Path | None = None
    max_children: int = 5
    #: PHP's ways to run a command: with them, open_basedir and the pool's uid are the
    #: only fence left (issue 11); WordPress core needs none of them
    disable_functions: tuple[str, ...] = DISABLED_FUNCTIONS

    def render(self) -> str:
        """The pool file. Every value in it passes ``grammar.config_token`` here, so no
        name or path can start a directive of its own (issue 11)."""
        values = [self.name, self.socket, self.user, self.group, self.listen_owner]
        for value in [*values, self.error_log, self.tmp_dir, *self.open_basedir]:
            if value is not None:
                grammar.config_token(value)
        lines = [f"; written by wpfleet\n[{self.name}]"]
        if self.user is not None and is_root():
            lines += [f"user = {self.user}", f"group = {self.group}"]
        lines += [f"listen = {self.socket}", "listen.mode = 0660"]
        if self.listen_owner and is_root():
            lines += [f"listen.owner = {self.listen_owner}", f"listen.group = {self.listen_owner}"]
        lines += [
            "pm = ondemand",
            f"pm.max_children = {self.max_children}",
            "pm.process_idle_timeout = 30s",
            "pm.max_requests = 500",
            "chdir = /",
            "php_admin_value[opcache.validate_permission] = 1",
            "php_admin_flag[log_errors] = on",
            "php_admin_flag[display_errors] = off",
        ]
        if self.disable_functions:
            disabled = ",".join(self.disable_functions)
            lines.append(f"php_admin_value[disable_functions] = {grammar.config_token(disabled)}")
        if self.error_log:
            lines.append(f"php_admin_value[error_log] = {self.error_log}")
        if self.open_basedir:
            joined = ":".join(str(p) for p in self.open_basedir)
            lines.append(f"php_admin_value[open_basedir] = {joined}")
        if self.tmp_dir:
            lines += [
                f"php_admin_value[upload_tmp_dir] = {self.tmp_dir}",
                f"php_admin_value[sys_temp_dir] = {self.tmp_dir}",
                f"php_admin_value[session.save_path] = {self.tmp_dir}",
                f"env[TMPDIR] = {self.tmp_dir}",
            ]
        return "\n".join(lines) + "\n"


class PhpFpm:
    """Start, stop, reload and inspect the environment's php-fpm master."""

    def __init__(self, paths: EnvPaths) -> None:
        self.paths = paths
        self.conf = paths.fpm / "php-fpm.conf"
        self.pid_file = paths.run / "php-fpm.pid"
        self.log = paths.logs / "php-fpm.log"
        self.lock = paths.locks / "php-fpm.lock"
        self.loaded = proc.LoadedConfigs(paths.run / "php-fpm.loaded", self.config_files)

    def config_files(self) -> list[Path]:
        """Every file the master reads: its own config and the pools."""
        return [self.conf, *sorted(self.paths.pools.glob("*.conf"))]

    def is_loaded(self, pool: str) -> bool:
        """True when the running master runs exactly the pool file now on disk."""
        return self.loaded.holds(self.pool_file(pool))

    def pid(self) -> int | None:
        return proc.read_pid(self.pid_file)

    def running(self) -> bool:
        return self.pid() is not None

    def socket(self, pool: str) -> Path:
        return self.paths.sockets / f"{pool}.sock"

    def pool_file(self, pool: str) -> Path:
        return self.paths.pools / f"{pool}.conf"

    def pool_configured(self, pool: str) -> bool:
        return self.pool_file(pool).is_file()

    def render_master(self) -> str:
        return (
            "; written by wpfleet: this environment's own php-fpm master\n"
            "[global]\n"
            f"pid = {self.pid_file}\n"
            f"error_log = {self.log}\n"
            "log_level = notice\n"
            "process_control_timeout = 5s\n"
            "daemonize = no\n"
            f"include = {self.paths.pools}/*.conf\n"
        )

    def prepare(self, shared: PoolSpec) -> bool:
        """Write the master config and the always-present shared pool (php-fpm refuses
        to start without at least one pool); True when either changed."""
        proc.ensure_dir(self.paths.fpm, mode=0o755)
        proc.ensure_dir(self.paths.pools, mode=0o755)
        proc.ensure_dir(self.paths.sockets, mode=0o755)
        changed = proc.write_file(self.conf, self.render_master())
        return proc.write_file(self.pool_file(shared.name), shared.render()) or changed

    def reload(self) -> None:
        """Reload now (after the master config changed), under the reload lock."""
        with proc.file_lock(self.lock):
            self._reload()

    def still_loaded(self, path: Path) -> bool:
        """True when the running master loaded ``path`` and no reload has dropped it yet
        (a run killed between removing the file and the reload)."""
        return self.running() and str(path) in self.loaded.loaded()

    def start(self) -> None:
        """Start the master; what it reads at start is what it has loaded."""
        snapshot = self.loaded.snapshot()
        argv = [FPM_BINARY, "--nodaemonize", "--fpm-config", str(self.conf)]
        if is_root():
            argv.append("--allow-to-run-as-root")
        proc.spawn(argv, self.paths.logs / "php-fpm.out")
        self.loaded.record(snapshot)

    def wait_ready(self, pools: list[str], timeout: float = 15.0) -> None:
        def ready() -> bool:
            return self.running() and all(proc.unix_open(self.socket(p)) for p in pools)

        if not proc.wait_for(ready, timeout):
            raise BackendError(f"php-fpm did not become ready: {_tail(self.log)}")

    def stop(self) -> None:
        proc.stop_pid(self.pid())

    def apply_pool(self, spec: PoolSpec) -> None:
        """Write the pool and reload php-fpm unless the running master already loaded
        exactly this text (a file written by a run killed before its reload is not
        loaded); wait for its socket."""
        path = self.pool_file(spec.name)
        previous = path.read_text() if path.exists() else None
        proc.write_file(path, spec.render())
        with proc.file_lock(self.lock):  # a reload begun since our write covers it
            if not self.loaded.holds(path):
                self._test_or_restore(path, previous)
                self._reload()
        self.wait_ready([spec.name])

    def config_errors(self) -> list[tuple[str, str]]:
        """``php-fpm -t`` over the config on disk: (pool, error) for each ``ERROR:
        [pool NAME] ...`` line (pool "" for an error of no pool); empty when it passes."""
        argv = [FPM_BINARY, "-t", "--fpm-config", str(self.conf)]
        if is_root():
            argv.append("--allow-to-run-as-root")
        try:
            proc.run(argv, what="php-fpm -t")
        except BackendError as exc:
            found = [(m[1] or "", m[2].strip()) for m in POOL_ERROR.finditer(exc.message)]
            named = [f for f in found if f[0]]
            return named or [("", exc.message)]
        return []

    def _test_or_restore(self, path: Path, previous: str | None) -> None:
        """``php-fpm -t`` first (~30 ms): a reload with a bad config would stop the master
        and with it every tenant's PHP. On failure the previous pool file comes back."""
        argv = [FPM_BINARY, "-t", "--fpm-config", str(self.conf)]
        if is_root():
            argv.append("--allow-to-run-as-root")
        try:
            seams.point("php-fpm:test")
            proc.run(argv, what="php-fpm -t")
        except BackendError:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                proc.write_file(path, previous)
            raise

    def remove_pool(self, pool: str) -> None:
        """Remove the pool file and reload, so its workers stop."""
        with proc.file_lock(self.lock):
            path = self.pool_file(pool)
            if path.exists() or self.still_loaded(path):
                path.unlink(missing_ok=True)
                self._reload()
                self.socket(pool).unlink(missing_ok=True)

    def _reload(self) -> None:
        """SIGUSR2 and wait for the re-exec'd master to report it is ready again."""
        pid = self.pid()
        if pid is None:
            return
        offset = _size(self.log)
        snapshot = self.loaded.snapshot()
        seams.point("php-fpm:reload")
        os.kill(pid, signal.SIGUSR2)
        seams.point("php-fpm:reload@after")

        def reloaded() -> bool:
            return READY_LINE in _read_from(self.log, offset)

        if not proc.wait_for(reloaded, 15.0):
            raise BackendError(f"php-fpm did not finish reloading: {_tail(self.log)}")
        self.loaded.record(snapshot)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read()
    except OSError:
        return b""


def _tail(path: Path, size: int = 1500) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace").strip()
    except OSError:
        return "(no log)"
