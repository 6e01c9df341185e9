"""File operations for root inside directories a tenant can write to.

A tenant owns its wp-content and logs directories, so it can replace anything in them
with a symlink (to /etc, say). Everything wpfleet does there as root therefore walks
from a root-owned directory with directory file descriptors and ``O_NOFOLLOW``: a
symlink is refused, never followed. (Python's ``shutil.rmtree`` is already safe.)
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from wpfleet.errors import BackendError

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@contextlib.contextmanager
def opendir(path: Path) -> Iterator[int]:
    """A trusted (root-owned) directory, as a descriptor."""
    fd = os.open(path, DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def subdir(
    parent: int, name: str, *, mode: int, uid: int = -1, gid: int = -1, create: bool = True
) -> Iterator[int]:
    """``name`` inside ``parent`` (created when missing), never through a symlink, with
    exactly ``mode`` and owner."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, mode, dir_fd=parent)
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        raise BackendError(f"refusing {name!r}: not a plain directory ({exc.strerror})") from None
    try:
        set_mode_owner(fd, mode, uid, gid)
        yield fd
    finally:
        os.close(fd)


def set_mode_owner(fd: int, mode: int, uid: int = -1, gid: int = -1) -> None:
    st = os.fstat(fd)
    if stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)
    if (uid != -1 and st.st_uid != uid) or (gid != -1 and st.st_gid != gid):
        os.fchown(fd, uid, gid)


def exists_at(parent: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def write_at(
    parent: int, name: str, text: str, *, mode: int = 0o644, uid: int = -1, gid: int = -1
) -> bool:
    """Write ``name`` atomically in ``parent``; False when already identical."""
    if read_at(parent, name) == text.encode():
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if stat.S_IMODE(st.st_mode) == mode and uid in (-1, st.st_uid) and gid in (-1, st.st_gid):
            return False
    tmp = f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        fd = os.open(tmp, flags, 0o600, dir_fd=parent)
    except FileExistsError:  # left by a killed process whose pid this one reuses
        os.unlink(tmp, dir_fd=parent)
        fd = os.open(tmp, flags, 0o600, dir_fd=parent)
    try:
        os.write(fd, text.encode())
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    return True


def read_at(parent: int, name: str, *, tail: int | None = None) -> bytes | None:
    """The file's bytes (its last ``tail`` bytes), or None when absent or not a file."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        if tail is not None and st.st_size > tail:
            os.lseek(fd, st.st_size - tail, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_tail(base: Path, rel: str, size: int) -> bytes | None:
    """Read ``base/rel`` (``rel`` may go through tenant-owned directories) without
    following any symlink below ``base``."""
    *dirs, name = rel.split("/")
    try:
        with contextlib.ExitStack() as stack:
            fd = stack.enter_context(opendir(base))
            for d in dirs:
                fd = os.open(d, DIR_FLAGS, dir_fd=fd)
                stack.callback(os.close, fd)
            return read_at(fd, name, tail=size)
    except OSError:
        return None


def chown_tree(parent: int, name: str, uid: int, gid: int) -> None:
    """Give ``name`` and everything below it to uid:gid, never following a symlink."""
    for _, dirs, files, dirfd in os.fwalk(name, dir_fd=parent, follow_symlinks=False):
        for entry in (*dirs, *files):
            os.chown(entry, uid, gid, dir_fd=dirfd, follow_symlinks=False)
    os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
