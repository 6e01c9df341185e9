"""The code's shape (docs/architecture.md, STYLE): no module in src/ over 400 lines and
no function over 60, so that each stays readable in one sitting. Checked with ``ast``
over every module, so a growing file fails here rather than in review."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "wpfleet"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def too_long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{path.relative_to(SRC.parent)}:{node.lineno} {node.name} ({length})")
    return out


def test_src_is_found() -> None:
    assert len(modules()) > 50


def test_no_module_over_400_lines() -> None:
    long = [
        f"{p.relative_to(SRC.parent)} ({n})"
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, f"modules over {MAX_MODULE_LINES} lines, split them: {long}"


def test_no_function_over_60_lines() -> None:
    long = [f for p in modules() for f in too_long_functions(p)]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines, split them: {long}"
