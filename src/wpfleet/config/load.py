"""Loading the fleet file and checking everything in it at once.

``load_fleet`` returns a ``LoadedFleet`` (the models plus where the file is) or raises a
``ConfigError`` listing every problem: YAML syntax, schema, names and limits, priorities.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from wpfleet import grammar
from wpfleet.config.checks import check_fleet
from wpfleet.config.models import Fleet
from wpfleet.config.resolve import ResolvedTenant, resolve_tenant
from wpfleet.errors import ConfigError, ConfigProblem

DEFAULT_FLEET = "fleet.yaml"


@dataclass(frozen=True)
class LoadedFleet:
    fleet: Fleet
    path: Path

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        return self.root / ".wpfleet"


def fleet_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    raw = explicit or os.environ.get("WPFLEET_FLEET") or DEFAULT_FLEET
    return Path(raw).expanduser().resolve()


def load_fleet(path: str | os.PathLike[str] | None = None) -> LoadedFleet:
    p = fleet_path(path)
    name = str(p)
    if not p.exists():
        raise ConfigError(
            [
                ConfigProblem(
                    name,
                    "",
                    "file not found",
                    "create one with `wpfleet init --example local`, or pass --fleet PATH",
                )
            ]
        )
    try:
        raw = read_yaml(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(name, "", f"not UTF-8 text: {exc.reason}", "save the file as UTF-8")]
        ) from None
    except AliasBomb as exc:
        raise ConfigError([ConfigProblem(name, "", str(exc), ALIAS_FIX)]) from None
    except RecursionError:
        raise ConfigError(
            [ConfigProblem(name, "", "values are nested too deeply", "flatten the file")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            [ConfigProblem(name, where, f"not valid YAML: {exc}"[:500], "fix the YAML syntax")]
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError([ConfigProblem(name, "", "expected a mapping at the top", "")])
    try:
        fleet = Fleet.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(_schema_problems(name, raw, exc)) from None
    problems = check_fleet(fleet, name)
    if problems:
        raise ConfigError(problems)
    return LoadedFleet(fleet=fleet, path=p)


#: a fleet file of a thousand tenants has a few tens of thousands of values
MAX_EXPANDED_NODES = 100_000
ALIAS_FIX = "write the values out, or use fewer nested YAML aliases (*name)"


#: libyaml's parser when PyYAML has it (10x faster: status reads the fleet file on every
#: refresh), else the pure-Python one; both build the same node graph
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class AliasBomb(ValueError):
    """YAML aliases that expand to more values than any fleet file needs."""


def read_yaml(text: str) -> Any:
    """``yaml.safe_load``, but the node graph is measured before it is built: aliases that
    would expand beyond ``MAX_EXPANDED_NODES`` values (an anchor bomb: 1 KB of YAML, a
    billion values), or that refer to themselves, are refused in linear time."""
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    """How many values ``node`` stands for once every alias is expanded (memoised per
    node, so shared subtrees cost once to measure however often they are used)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise AliasBomb("a YAML alias refers to a value that contains it")
    active.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo, active) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, active) + _expanded_size(v, memo, active)
    if size > MAX_EXPANDED_NODES:
        raise AliasBomb(f"YAML aliases expand this file to more than {MAX_EXPANDED_NODES:,} values")
    active.discard(key)
    memo[key] = size
    return size


def _schema_problems(
    name: str, raw: dict[str, Any], exc: PydanticValidationError
) -> list[ConfigProblem]:
    out = []
    for err in exc.errors():
        path = _render_path(raw, err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            msg, fix = "unknown key", "remove it or check its spelling (see DESIGN.md)"
        elif kind == "missing":
            msg, fix = "required key is missing", "add it"
        else:
            msg, fix = err["msg"][:300], "correct the value"
        out.append(ConfigProblem(name, path, msg, fix))
    return out


def _render_path(raw: Any, loc: tuple[Any, ...]) -> str:
    """``environments[1].aws.region`` becomes ``environments[sit].aws.region``."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            label = str(item)
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                ident = node[item].get("name") or node[item].get("id")
                # only a plain string names an item: an expanded alias must never be
                # rendered into a message (issue 11: a 92 MB error)
                label = grammar.label(ident) if isinstance(ident, str) and ident else label
            parts[-1:] = [f"{parts[-1]}[{label}]"] if parts else [f"[{label}]"]
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(grammar.label(str(item)))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


__all__ = [
    "LoadedFleet",
    "ResolvedTenant",
    "check_fleet",
    "fleet_path",
    "load_fleet",
    "resolve_tenant",
]
