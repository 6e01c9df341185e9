"""The content service: files in, files out, the proof judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.content.test_searchreplace import make_dump
from wpfleet.errors import UsageError
from wpfleet.services import content

OLD, NEW = "goldencrust.wpdev.kimmyai.io", "goldencrust.wpsit.kimmyai.io"


def test_search_replace_writes_and_proves(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.sql", tmp_path / "out.sql.gz"
    src.write_bytes(make_dump(OLD))
    result = content.search_replace(str(src), str(dst), [(OLD, NEW)])
    assert result.proof is not None and result.failure() is None
    assert result.report.pairs[0].total > 0 and dst.exists()
    assert not list(tmp_path.glob(".out.sql.gz.tmp-*"))  # renamed into place


def test_a_left_over_old_text_fails_the_proof(tmp_path: Path) -> None:
    from wpfleet.content.proof import verify_dump

    src, dst = tmp_path / "in.sql", tmp_path / "out.sql"
    src.write_bytes(make_dump(OLD))
    result = content.search_replace(str(src), str(dst), [(OLD, NEW)])
    result.proof = verify_dump(str(src), [OLD])  # as if OUT still held the old domain
    failure = result.failure()
    assert failure is not None and "still hold an OLD text" in failure.message


def test_bad_paths_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    src = tmp_path / "in.sql"
    src.write_bytes(make_dump(OLD))
    with pytest.raises(UsageError, match="OUT is missing"):
        content.search_replace(str(src), None, [(OLD, NEW)])
    with pytest.raises(UsageError, match="same file"):
        content.search_replace(str(src), str(src), [(OLD, NEW)])
    with pytest.raises(UsageError, match="no such file"):
        content.search_replace(str(tmp_path / "missing.sql"), str(tmp_path / "o.sql"), [])


def test_proof_domains_skip_an_old_text_that_a_new_one_contains() -> None:
    assert content.proof_domains([("a.io", "b.a.io"), ("c.io", "d.io")]) == ["c.io"]
