"""The manifest written beside an export: what the dump holds, so an import can prove it.

Row counts come from the dump itself as it streams past (the same snapshot as the data,
even on a live site); checksums (``CHECKSUM TABLE``) and versions come from the server.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wpfleet.errors import UsageError

MANIFEST_NAME = "manifest.json"
DUMP_NAME = "database.sql.gz"
WP_CONTENT_NAME = "wp-content.tar.gz"
FORMAT = 1


@dataclass
class TableInfo:
    rows: int
    checksum: int | None = None


@dataclass
class Manifest:
    """An export's description; ``to_json``/``load`` round-trip it."""

    database: str
    created: str
    dump_file: str = DUMP_NAME
    dump_bytes: int = 0  # compressed, on disk
    sql_bytes: int = 0  # uncompressed
    sha256: str = ""  # of the compressed file
    tables: dict[str, TableInfo] = field(default_factory=dict)
    source_urls: dict[str, str] = field(default_factory=dict)  # home, siteurl
    versions: dict[str, str | None] = field(default_factory=dict)  # wordpress, php, db_server
    wp_content: dict[str, Any] | None = None  # file, bytes, files
    format: int = FORMAT

    @property
    def rows(self) -> dict[str, int]:
        return {name: t.rows for name, t in self.tables.items()}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def save(self, directory: Path) -> Path:
        path = directory / MANIFEST_NAME
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_NAME
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"cannot read {path}: {exc}", hint="point at a directory written by an export"
            ) from None
        if data.get("format") != FORMAT:
            raise UsageError(f"{path} has format {data.get('format')!r}, not {FORMAT}")
        data["tables"] = {k: TableInfo(**v) for k, v in data.get("tables", {}).items()}
        return cls(**data)


_WP_VERSION = re.compile(r"\$wp_version\s*=\s*'([^']+)'")


def wordpress_version(wp_root: Path | None) -> str | None:
    """``$wp_version`` from ``wp-includes/version.php`` under ``wp_root`` (None: unknown)."""
    if wp_root is None:
        return None
    try:
        text = (wp_root / "wp-includes" / "version.php").read_text(errors="replace")
    except OSError:
        return None
    m = _WP_VERSION.search(text)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=8)
def php_version(php: str = "php") -> str | None:
    """The php-cli version (the same PHP the proof uses), or None when there is none."""
    try:
        out = subprocess.run(
            [php, "-r", "echo PHP_VERSION;"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None
