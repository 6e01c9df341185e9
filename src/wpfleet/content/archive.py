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
            tar.extractall(new, members=members, numeric_owner=True, filter="tar")
        if src_mode := _root_mode(dest):
            new.chmod(src_mode)
        if dest.exists():
            dest.rename(old)
        new.rename(dest)
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return ArchiveInfo(archive, archive.stat().st_size, files)


def _root_mode(dest: Path) -> int | None:
    try:
        return dest.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None
