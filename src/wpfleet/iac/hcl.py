"""Writing HCL values: strings, numbers, booleans, lists and maps, deterministically.

A string is written as a JSON string (valid HCL) with ``${`` and ``%{`` escaped, so a
value from the fleet file is never read as an interpolation or a template directive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def string(text: str) -> str:
    return json.dumps(text).replace("${", "$${").replace("%{", "%%{")


def value(v: Any, indent: int = 0) -> str:
    pad = "  " * (indent + 1)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        width = max(len(string(k)) for k in v)
        rows = [f"{pad}{string(k):<{width}} = {value(v[k], indent + 1)}" for k in sorted(v)]
        return "{\n" + "\n".join(rows) + "\n" + "  " * indent + "}"
    if isinstance(v, Sequence):
        return "[" + ", ".join(value(x, indent) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as HCL")


def assignments(values: Mapping[str, Any]) -> str:
    """``name = value`` lines, names sorted and aligned (a .tfvars file)."""
    width = max((len(k) for k in values), default=0)
    return "".join(f"{k:<{width}} = {value(values[k])}\n" for k in sorted(values))
