"""The wp-content archive: a gzip tar that keeps modes, owners and times, and an extract
that never writes outside its target and swaps the whole directory in at once."""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from wpfleet.errors import UsageError


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    bytes: int
    files: int


def archive_dir(src: Path, out: Path) -> ArchiveInfo:
    """Write ``src``'s tree to ``out`` (``.tar.gz``), names relative to ``src``.

    Modes, numeric owners and times are recorded; symlinks are kept as links. Written to
    a temporary name and renamed when complete.
    """
    if not src.is_dir():
        raise UsageError(f"no such directory: {src}", hint="give the site's wp-content")
    tmp = out.with_name(f".{out.name}.partial")
    files = 0
    try:
        with tarfile.open(tmp, "w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(src.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(src)), recursive=False)
                files += path.is_file() and not path.is_symlink()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return ArchiveInfo(out, out.stat().st_size, files)


def extract_archive(archive: Path, dest: Path) -> ArchiveInfo:
    """Replace ``dest`` with the archive's tree, all at once.

    Extracts beside ``dest`` with tarfile's ``tar`` filter (no absolute paths, nothing
    outside the target, no links pointing out of it; setuid bits dropped), then renames
    the old tree aside, the new one in, and removes the old. Owners are restored when
    running as root (numeric ids), modes and times always.
    """
    if not archive.is_file():
        raise UsageError(f"no such archive: {archive}", hint="run an export first")
    dest = dest.absolute()
    new = dest.with_name(f".{dest.name}.new-{os.getpid()}")
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    files = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            files = sum(1 for m in members if m.isfile())
            if hasattr(tarfile, "tar_filter"):  # Python 3.11.4+ (and its backports)
                tar.extractall(new, members=members, numeric_owner=True, filter="tar")
            else:  # Debian 12's 3.11.2: the same rules, checked here
                tar.extractall(new, members=_tar_filtered(members, new), numeric_owner=True)
        if src_mode := _root_mode(dest):
            new.chmod(src_mode)
        if dest.exists():
            dest.rename(old)
        new.rename(dest)
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return ArchiveInfo(archive, archive.stat().st_size, files)


class OutsideTarget(tarfile.TarError):
    """A member would land (or link) outside the directory it is extracted into."""


def _tar_filtered(members: list[tarfile.TarInfo], root: Path) -> list[tarfile.TarInfo]:
    """What tarfile's ``tar`` filter does (PEP 706), for Pythons without it: no absolute
    names, nothing outside ``root``, no links pointing out of it, no device files;
    setuid/setgid/sticky and group/other write bits dropped."""
    top = os.path.realpath(root)

    def inside(path: str) -> bool:
        return os.path.commonpath([top, os.path.realpath(path)]) == top

    links: set[str] = set()  # symlinks the archive makes: nothing may be written through one
    for m in members:
        name = os.path.normpath(m.name)
        parents = {os.path.join(*parts) for parts in _prefixes(name)}
        if os.path.isabs(m.name) or not inside(os.path.join(top, name)) or parents & links:
            raise OutsideTarget(f"{m.name!r} would be written outside {root}")
        if m.ischr() or m.isblk() or m.isfifo():
            raise OutsideTarget(f"{m.name!r} is a special file")
        if m.islnk() and not inside(os.path.join(top, m.linkname)):
            raise OutsideTarget(f"{m.name!r} links outside {root}")
        if m.issym():
            links.add(name)
        m.mode &= ~0o7022
    return members


def _prefixes(name: str) -> list[list[str]]:
    """The parent directories of ``name``, as lists of parts (a/b/c: [a], [a, b])."""
    parts = name.split(os.sep)
    return [parts[:i] for i in range(1, len(parts))]


def _root_mode(dest: Path) -> int | None:
    try:
        return dest.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None
