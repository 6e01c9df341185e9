"""Drift: what a plan of an already-deployed tenant says differs from what it should be.

Planning already reads every resource and compares it with its desired state, so drift
needs no comparison code of its own: any step of the plan that is not a ``noop`` is a
drift. This module only turns such steps into plain records that name each differing
field with both values (``spec.containerDefinitions[0].image: 'a' → 'b'``), so a person
and a machine see the same thing, and a state document can keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from wpfleet.engine.resource import Op, Step

#: how many field differences one step lists at most (a whole spec can differ)
MAX_FIELDS = 40


@dataclass
class FieldDiff:
    """One field that differs: its dotted path, the actual value and the desired one."""

    path: str
    actual: Any
    desired: Any


@dataclass
class Drift:
    """One resource that differs. ``op`` is what ``--fix`` would do: ``create`` (it is
    gone), ``update`` (fields differ) or ``adopt`` (not ours any more)."""

    step: str
    op: str
    description: str
    fields: list[FieldDiff] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Drift:
        fields = [FieldDiff(**f) for f in doc.get("fields", [])]
        return cls(doc["step"], doc["op"], doc.get("description", ""), fields)


def field_diffs(path: str, actual: Any, desired: Any) -> list[FieldDiff]:
    """Leaf paths whose values differ, descending into mappings and equal-length lists."""
    if isinstance(actual, dict) and isinstance(desired, dict):
        out: list[FieldDiff] = []
        for key in sorted(set(actual) | set(desired), key=str):
            if actual.get(key) != desired.get(key):
                sub = f"{path}.{key}" if path else str(key)
                out += field_diffs(sub, actual.get(key), desired.get(key))
        return out
    if isinstance(actual, list) and isinstance(desired, list) and len(actual) == len(desired):
        out = []
        for i, (a, d) in enumerate(zip(actual, desired, strict=True)):
            if a != d:
                out += field_diffs(f"{path}[{i}]", a, d)
        return out
    return [FieldDiff(path, actual, desired)]


def drift_of(step: Step) -> Drift | None:
    """The drift a plan step shows, or None for a ``noop``."""
    if step.op is Op.NOOP:
        return None
    if step.op is Op.CREATE:
        return Drift(step.id, step.op.value, step.description, [FieldDiff("", None, "present")])
    before, after = step.before or {}, step.after or {}
    fields: list[FieldDiff] = []
    for key in step.changes:
        if key == "tags":  # differences() adds it when our ownership tags are gone
            fields.append(FieldDiff("tags", "not wpfleet's", "wpfleet's"))
            continue
        fields += field_diffs(key, before.get(key), after.get(key))
    if step.resource is not None and step.op is Op.UPDATE:
        try:
            extra = step.resource.explain(before)
        except Exception as exc:  # an explanation is a courtesy: never fail the report
            extra = {"explain": (f"unavailable: {exc}", None)}
        fields += [FieldDiff(path, a, d) for path, (a, d) in extra.items()]
    return Drift(step.id, step.op.value, step.description, fields[:MAX_FIELDS])


def drifts(steps: Sequence[Step]) -> list[Drift]:
    """Every non-noop step, as a drift."""
    return [d for d in (drift_of(s) for s in steps) if d is not None]
