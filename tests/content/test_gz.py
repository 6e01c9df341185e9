"""content/gz.py: ISA-L's gzip and the standard library's write the same format, so a
dump written by either is read by both (and by gzip itself)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from wpfleet.content import gz

DATA = b"INSERT INTO `wp_posts` VALUES\n" + b"(1,'caf\xc3\xa9 \\n x'),\n" * 5000 + b"(2,'');\n"


def test_the_fast_gzip_is_installed() -> None:
    assert gz._fast is not None, "pip install isal (a dependency in pyproject.toml)"


@pytest.mark.parametrize("write_fast", [True, False])
@pytest.mark.parametrize("read_fast", [True, False])
def test_either_writer_is_read_by_either_reader(
    tmp_path: Path, write_fast: bool, read_fast: bool
) -> None:
    raw = io.BytesIO()
    with gz.writer(raw, "database.sql", fast=write_fast) as out:
        for i in range(0, len(DATA), 7777):
            out.write(DATA[i : i + 7777])
    path = tmp_path / "database.sql.gz"
    path.write_bytes(raw.getvalue())
    assert gzip.decompress(path.read_bytes()) == DATA
    with gz.open_read(path, fast=read_fast) as src:
        assert src.read() == DATA
    assert len(raw.getvalue()) < len(DATA) // 3
