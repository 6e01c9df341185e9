"""The wp-content archive: a gzip tar that keeps modes, owners and times, and an extract
that never writes outside its target and swaps the whole directory in at once.

The rules live in ``wpfleet.treearchive`` (standard library only), which the AWS
backend's content task also runs; this module turns a missing input into a UsageError."""

from __future__ import annotations

from pathlib import Path

from wpfleet.errors import UsageError
from wpfleet.treearchive import ArchiveInfo, OutsideTarget, archive_tree, extract_tree

__all__ = ["ArchiveInfo", "OutsideTarget", "archive_dir", "extract_archive"]


def archive_dir(src: Path, out: Path) -> ArchiveInfo:
    """Write ``src``'s tree to ``out`` (``.tar.gz``); see ``treearchive.archive_tree``."""
    if not src.is_dir():
        raise UsageError(f"no such directory: {src}", hint="give the site's wp-content")
    return archive_tree(src, out)


def extract_archive(archive: Path, dest: Path) -> ArchiveInfo:
    """Replace ``dest`` with the archive's tree; see ``treearchive.extract_tree``."""
    if not archive.is_file():
        raise UsageError(f"no such archive: {archive}", hint="run an export first")
    return extract_tree(archive, dest)
