"""Processes, pid files, sockets and locks: the few OS primitives the local stack needs.

Daemons are started detached (own session, stdio to a log file) so they outlive the
wpfleet process; they are found again through their pid files. Binaries are looked up
on ``PATH`` at each call (plus the sbin directories), so a test can put recording
wrappers in front of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from wpfleet.backends.local import safefs
from wpfleet.checks import poll
from wpfleet.errors import BackendError

SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
_log = logging.getLogger(__name__)


def which(name: str) -> str:
    """Absolute path of ``name`` on PATH (then the sbin directories), or raise."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    found = shutil.which(name, path=search)
    if not found:
        raise BackendError(
            f"{name} is not installed",
            hint="install the local stack: apt-get install mariadb-server php-fpm php-mysql "
            "php-cli nginx wordpress openssl",
        )
    return found


def run(
    argv: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    user: int | None = None,
    group: int | None = None,
    timeout: float = 60.0,
    what: str = "",
    hide: Sequence[str] = (),
) -> str:
    """Run a command to completion and return its stdout; raise ``BackendError`` on failure.

    Secrets go in ``stdin`` (or ``env``), never in ``argv``: argv is visible to every user.
    ``hide`` lists secret values to mask in an error message (a client may echo its input).
    """
    args = [which(argv[0]), *argv[1:]]
    _log.debug("run %s", " ".join(args))
    extra: dict[str, object] = {}
    if user is not None and os.geteuid() == 0:
        extra = {"user": user, "group": group if group is not None else user, "extra_groups": []}
    try:
        proc = subprocess.run(  # type: ignore[call-overload]
            args,
            input=stdin,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            check=False,
            **extra,
        )
    except subprocess.TimeoutExpired:
        raise BackendError(f"{what or argv[0]} timed out after {timeout:.0f}s") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip()
        for value in hide:
            detail = detail.replace(value, "***") if value else detail
        raise BackendError(f"{what or argv[0]} failed (exit {proc.returncode}): {detail[-2000:]}")
    return str(proc.stdout)


def spawn(argv: Sequence[str], log: Path, *, cwd: Path | None = None) -> int:
    """Start a daemon detached from us (new session, stdio to ``log``); return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    _log.debug("start %s (output: %s)", " ".join(argv), log)
    with open(log, "ab") as out, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            [which(argv[0]), *argv[1:]],
            stdin=devnull,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
            close_fds=True,
        )
    return proc.pid


def read_pid(path: Path) -> int | None:
    """The pid in ``path`` when that process is alive, else None."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    """True for a live process; a zombie counts as dead (and is reaped when it is ours)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def child_pids(pid: int) -> set[int]:
    """The live children of ``pid`` (e.g. nginx workers), from /proc."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


def stop_pid(pid: int | None, *, timeout: float = 15.0) -> None:
    """SIGTERM ``pid`` and wait until it is gone (SIGKILL after ``timeout``)."""
    if pid is None or not pid_alive(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_for(lambda: not pid_alive(pid), timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 5.0)


def wait_for(
    predicate: Callable[[], bool], timeout: float, *, step: float = 0.005, max_step: float = 0.05
) -> bool:
    """Poll ``predicate`` with a gently growing interval until true or ``timeout`` (the
    shared polling helper, tuned for local processes that answer in milliseconds)."""
    return poll.wait_for(predicate, timeout, poll.Backoff(step, max_step, factor=1.3, jitter=0.0))


def tcp_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def unix_open(path: Path, timeout: float = 0.2) -> bool:
    """True when a listener accepts a connection on the unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock across threads and processes (config write + reload)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class LoadedConfigs:
    """What the running daemon last loaded: a hash per config file, written only AFTER a
    reload (or start) completed, from a snapshot taken just before it was signalled.

    A file on disk is "written"; it is "loaded" only when its hash matches this record. A
    run killed between writing a file and the reload (or during the config test) leaves
    the file written but not loaded, so the next run still reloads (issue 11, defect 1).
    The snapshot is conservative: a file changed after it is taken reads as not loaded
    and costs at most one extra reload. Kept in a file so that several wpfleet processes
    agree; read and written under the daemon's reload lock.
    """

    def __init__(self, path: Path, files: Callable[[], list[Path]]) -> None:
        self.path = path
        self.files = files

    def snapshot(self) -> dict[str, str]:
        """The hash of every config file the daemon would read now."""
        out = {}
        for file in self.files():
            digest = content_hash(file)
            if digest is not None:
                out[str(file)] = digest
        return out

    def record(self, snapshot: dict[str, str]) -> None:
        lines = "".join(f"{digest} {name}\n" for name, digest in sorted(snapshot.items()))
        write_file(self.path, lines, mode=0o600)

    def loaded(self) -> dict[str, str]:
        try:
            text = self.path.read_text()
        except OSError:
            return {}
        pairs = (line.split(" ", 1) for line in text.splitlines() if " " in line)
        return {name: digest for digest, name in pairs}

    def holds(self, config: Path) -> bool:
        """True when the running daemon loaded exactly the text now in ``config``."""
        digest = content_hash(config)
        return digest is not None and self.loaded().get(str(config)) == digest


def content_hash(path: Path) -> str | None:
    """A short content hash of a file, None when it is absent."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def write_file(path: Path, text: str, *, mode: int = 0o644, uid: int = -1, gid: int = -1) -> bool:
    """Write atomically with the given mode/owner; return False when already identical.
    The final name is never followed if it is a symlink (see ``safefs.write_at``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with safefs.opendir(path.parent) as parent:
        return safefs.write_at(parent, path.name, text, mode=mode, uid=uid, gid=gid)


def ensure_dir(path: Path, *, mode: int = 0o755, uid: int = -1, gid: int = -1) -> None:
    """Create ``path`` (and parents) and give it exactly ``mode`` and owner."""
    path.mkdir(parents=True, exist_ok=True)
    st = path.stat()
    if (st.st_mode & 0o7777) != mode:
        os.chmod(path, mode)
    if (uid != -1 and st.st_uid != uid) or (gid != -1 and st.st_gid != gid):
        os.chown(path, uid, gid)
