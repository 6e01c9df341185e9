"""A small, deterministic YAML writer for generated workflows.

PyYAML's dumper cannot put a comment after a value (the version beside a pinned SHA),
re-orders or re-quotes in ways that are hard to read in a diff, and writes ``on`` in a
form some readers take for a boolean. This writer keeps the order it is given (order
is meaningful in a workflow: steps, and keys as people expect to read them), quotes a
string only when a YAML 1.1 or 1.2 reader could read it as something else, and writes
scripts as literal blocks so ``${{ }}`` expressions and shell text stay as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Commented:
    """A scalar with a comment after it on the same line (``uses: a@sha # v1.2.3``)."""

    value: str
    comment: str


_SPECIAL_START = set("-?:,[]{}#&*!|>'\"%@`")
_AMBIGUOUS = re.compile(r"^(y|n|yes|no|on|off|true|false|null|~)$", re.IGNORECASE)


def _plain_ok(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text:
        return False
    if text[0] in _SPECIAL_START or ": " in text or " #" in text or text.endswith(":"):
        return False
    if _AMBIGUOUS.match(text):
        return False
    try:
        return yaml.safe_load(text) == text  # not a number, date, null ...
    except yaml.YAMLError:
        return False


def scalar(value: Any) -> str:
    if isinstance(value, Commented):
        return f"{scalar(value.value)} # {value.comment}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if _plain_ok(value) else json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def key(name: str) -> str:
    return name if name == "on" or _plain_ok(name) else json.dumps(name)


def _block_ok(text: str) -> bool:
    lines = text.rstrip("\n").split("\n")
    return (
        "\n" in text.rstrip("\n")
        and not text.startswith((" ", "\t"))
        and all(line == line.rstrip() for line in lines)
        and "\t" not in text
        and "\r" not in text
    )


def _emit(value: Any, indent: int, out: list[str], prefix: str) -> None:
    """Append ``value`` to ``out``; ``prefix`` is the text before it on its first line."""
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            out.append(f"{prefix}{{}}" if prefix else "{}")
            return
        first = True
        for k, v in value.items():
            lead = prefix if first and prefix else pad
            first = False
            _emit_item(key(k), v, indent, out, lead)
        return
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            out.append(f"{prefix}[]")
            return
        if prefix:
            out.append(prefix.rstrip())
        for item in value:
            _emit(item, indent + 2, out, f"{pad}- ")
        return
    out.append(f"{prefix}{scalar(value)}")


def _emit_item(k: str, v: Any, indent: int, out: list[str], lead: str) -> None:
    pad = " " * indent
    if isinstance(v, str) and _block_ok(v):
        chomp = "" if v.endswith("\n") else "-"
        out.append(f"{lead}{k}: |{chomp}")
        out.extend(f"{pad}  {line}" if line else "" for line in v.rstrip("\n").split("\n"))
    elif isinstance(v, Mapping) and v:
        out.append(f"{lead}{k}:")
        _emit(v, indent + 2, out, "")
    elif isinstance(v, Sequence) and not isinstance(v, str) and v:
        out.append(f"{lead}{k}:")
        for item in v:
            _emit(item, indent + 4, out, f"{pad}  - ")
    else:
        _emit(v, indent, out, f"{lead}{k}: ")


def dump(document: Mapping[str, Any], header: str = "") -> str:
    """The document as YAML text, ``header`` (one or more lines) as comments on top."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    _emit(document, 0, out, "")
    return "\n".join(out) + "\n"
