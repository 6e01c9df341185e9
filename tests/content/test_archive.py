"""wp-content archive: modes, owners and links survive; nothing lands outside the target."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from wpfleet.content.archive import archive_dir, extract_archive
from wpfleet.errors import UsageError


def tree(root: Path) -> dict[str, tuple[int, int, int, str]]:
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        what = os.readlink(p) if p.is_symlink() else (p.read_text() if p.is_file() else "dir")
        out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, what)
    return out


def test_round_trip_keeps_modes_owners_and_links(tmp_path: Path) -> None:
    src = tmp_path / "wp-content"
    (src / "uploads" / "2026" / "11").mkdir(parents=True)
    (src / "uploads" / "2026" / "11" / "a.jpg").write_text("jpeg")
    (src / "plugins").mkdir()
    (src / "plugins" / "run.sh").write_text("#!/bin/sh\n")
    (src / "plugins" / "run.sh").chmod(0o750)
    (src / "uploads" / "private.txt").write_text("p")
    (src / "uploads" / "private.txt").chmod(0o600)
    (src / "themes").symlink_to("/usr/share/wordpress/wp-content/themes")
    if os.geteuid() == 0:
        os.chown(src / "uploads" / "2026" / "11" / "a.jpg", 33, 33)
    info = archive_dir(src, tmp_path / "wp-content.tar.gz")
    assert info.files == 3
    dest = tmp_path / "site" / "wp-content"
    dest.mkdir(parents=True)
    (dest / "stale.txt").write_text("gone after the swap")
    extract_archive(info.path, dest)
    assert tree(dest) == tree(src)
    assert not list(dest.parent.glob(".wp-content.*"))


def test_an_archive_cannot_write_outside_its_target(tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        data = b"pwned"
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    dest = tmp_path / "site" / "wp-content"
    dest.mkdir(parents=True)
    (dest / "keep.txt").write_text("kept")
    with pytest.raises(tarfile.TarError):
        extract_archive(evil, dest)
    assert not (tmp_path / "site" / "outside.txt").exists()
    assert (dest / "keep.txt").read_text() == "kept"


def test_missing_inputs_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        archive_dir(tmp_path / "nope", tmp_path / "a.tar.gz")
    with pytest.raises(UsageError, match="no such archive"):
        extract_archive(tmp_path / "nope.tar.gz", tmp_path / "d")


def test_without_tarfiles_filter_the_same_rules_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian 12's Python 3.11.2 has no ``filter=`` (PEP 706 came in 3.11.4): our own
    check refuses the same members."""
    monkeypatch.delattr(tarfile, "tar_filter", raising=False)
    test_an_archive_cannot_write_outside_its_target(tmp_path)
    through = tmp_path / "through.tar.gz"  # a link, then a file written through it
    with tarfile.open(through, "w:gz") as tar:
        member = tarfile.TarInfo("escape")
        member.type, member.linkname = tarfile.SYMTYPE, str(tmp_path)
        tar.addfile(member)
        data = b"pwned"
        member = tarfile.TarInfo("escape/outside.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    with pytest.raises(tarfile.TarError, match="outside"):
        extract_archive(through, tmp_path / "other")
    assert not (tmp_path / "outside.txt").exists()
    test_round_trip_keeps_modes_owners_and_links(tmp_path / "round-trip")
