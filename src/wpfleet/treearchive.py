"""A directory tree as a gzip tar, and back: modes, numeric owners and times kept;
extraction never writes outside its target (no absolute names, no ``..``, nothing through
a link the archive made, no device files; setuid/setgid and group/other write bits
dropped, as tarfile's ``tar`` filter does) and swaps the new tree in at once.

Standard library only, and no other wpfleet module: the AWS backend's one-off content
task runs this very source inside its container (``backends/aws/content_task.py``), so
the rules are the same on a laptop and on EFS.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

#: entries of a mount root that belong to an extraction in progress (never archived)
STAGING = ".wpfleet-"


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    bytes: int
    files: int


class OutsideTarget(tarfile.TarError):
    """A member would land (or link) outside the directory it is extracted into."""


def archive_tree(src: Path, out: Path) -> ArchiveInfo:
    """Write ``src``'s tree to ``out`` (``.tar.gz``), names relative to ``src``.

    Modes, numeric owners and times are recorded; symlinks are kept as links. Written to
    a temporary name and renamed when complete. FileNotFoundError when ``src`` is no
    directory.
    """
    if not src.is_dir():
        raise FileNotFoundError(f"no such directory: {src}")
    tmp = out.with_name(f".{out.name}.partial")
    files = 0
    try:
        with tarfile.open(tmp, "w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(src.rglob("*")):
                rel = path.relative_to(src)
                if rel.parts[0].startswith(STAGING):
                    continue
                tar.add(path, arcname=str(rel), recursive=False)
                files += path.is_file() and not path.is_symlink()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return ArchiveInfo(out, out.stat().st_size, files)


def unpack(archive: Path, into: Path) -> int:
    """Extract ``archive`` into the empty directory ``into`` under the rules above;
    the number of regular files."""
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        if hasattr(tarfile, "tar_filter"):  # Python 3.11.4+ (and its backports)
            tar.extractall(into, members=members, numeric_owner=True, filter="tar")
        else:  # Debian 12's 3.11.2: the same rules, checked here
            tar.extractall(into, members=_tar_filtered(members, into), numeric_owner=True)
    return sum(1 for m in members if m.isfile())


def extract_tree(archive: Path, dest: Path) -> ArchiveInfo:
    """Replace ``dest`` with the archive's tree, all at once: extracted beside it, then
    the old tree renamed aside, the new one in, and the old removed. Owners are restored
    when running as root (numeric ids), modes and times always."""
    if not archive.is_file():
        raise FileNotFoundError(f"no such archive: {archive}")
    dest = dest.absolute()
    new = dest.with_name(f".{dest.name}.new-{os.getpid()}")
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    try:
        files = unpack(archive, new)
        if src_mode := _root_mode(dest):
            new.chmod(src_mode)
        if dest.exists():
            dest.rename(old)
        new.rename(dest)
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return ArchiveInfo(archive, archive.stat().st_size, files)


def replace_contents(archive: Path, root: Path) -> ArchiveInfo:
    """Replace what is inside ``root`` (a mount point, which cannot itself be renamed)
    with the archive's tree: extracted into a staging directory inside ``root``, then
    each old entry renamed aside and each new one in (renames only, no copying); an
    error on the way puts the old entries back."""
    if not archive.is_file():
        raise FileNotFoundError(f"no such archive: {archive}")
    new, old = root / f"{STAGING}new-{os.getpid()}", root / f"{STAGING}old-{os.getpid()}"
    for stale in (new, old):
        shutil.rmtree(stale, ignore_errors=True)
    new.mkdir()
    old.mkdir()
    moved: list[str] = []
    try:
        files = unpack(archive, new)
        for entry in sorted(os.listdir(root)):
            if not entry.startswith(STAGING):
                os.rename(root / entry, old / entry)
                moved.append(entry)
        for entry in sorted(os.listdir(new)):
            os.rename(new / entry, root / entry)
        moved = []
    finally:
        for entry in moved:  # failed half-way: the old tree goes back
            shutil.rmtree(root / entry, ignore_errors=True)
            os.rename(old / entry, root / entry)
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return ArchiveInfo(archive, archive.stat().st_size, files)


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
