"""Running ``wpfleet validate`` in-process on a fleet file, for the hostile-input tests:
exit status, output, and whether anything was created next to the file."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wpfleet.cli.main import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    created: list[str]


def base_fleet() -> dict[str, Any]:
    return {
        "fleet": "hostile",
        "environments": [
            {"name": "dev", "backend": "local", "domain": "{tenant}.wpdev.localhost"},
        ],
        "tenants": [{"id": "alpha", "name": "Alpha Bakery", "admin_email": "o@alpha.example"}],
    }


def validate_text(root: Path, text: str | bytes) -> Outcome:
    """``wpfleet --fleet ROOT/fleet.yaml validate``; ``created`` lists anything new."""
    path = root / "fleet.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    before = {p.name for p in root.iterdir()}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--fleet", str(path), "validate"])
    created = sorted({p.name for p in root.iterdir()} - before)
    return Outcome(int(code), out.getvalue(), err.getvalue(), created)


def validate_data(root: Path, data: dict[str, Any]) -> Outcome:
    return validate_text(root, yaml.safe_dump(data, allow_unicode=True))


def assert_refused(res: Outcome, *needles: str) -> None:
    """A validation error naming the problem: no traceback, short, nothing created."""
    assert res.code in (2, 3), (res.code, res.out, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert len(res.err) < 4000, f"error of {len(res.err)} characters"
    for needle in needles:
        assert needle in res.err, (needle, res.err)
    assert res.created == [], res.created
