"""engine/drift.py: a plan's non-noop steps as drifts with both values per field."""

from __future__ import annotations

from wpfleet.engine.drift import Drift, drift_of, drifts, field_diffs
from wpfleet.engine.resource import Op, Phase, Step


def step(op: Op, before: dict | None, after: dict | None, changes: list[str]) -> Step:
    return Step("infra/x", op, Phase.INFRA, "x", before=before, after=after, changes=changes)


def test_nested_fields_are_named_by_path_with_both_values() -> None:
    actual = {"spec": {"containers": [{"image": "a", "cpu": 1}], "memory": 512}}
    desired = {"spec": {"containers": [{"image": "b", "cpu": 1}], "memory": 1024}}
    found = [(f.path, f.actual, f.desired) for f in field_diffs("", actual, desired)]
    assert found == [("spec.containers[0].image", "a", "b"), ("spec.memory", 512, 1024)]
    # lists of another length are one difference, not a guess per index
    assert len(field_diffs("hosts", ["a"], ["a", "b"])) == 1


def test_only_non_noop_steps_are_drift_and_round_trip() -> None:
    noop = step(Op.NOOP, {"v": 1}, {"v": 1}, [])
    gone = step(Op.CREATE, None, {"v": 1}, [])
    changed = step(Op.UPDATE, {"v": 1, "tagged": False}, {"v": 2}, ["tags", "v"])
    assert drift_of(noop) is None
    found = drifts([noop, gone, changed])
    assert [d.op for d in found] == ["create", "update"]
    fields = {f.path: (f.actual, f.desired) for f in found[1].fields}
    assert fields == {"tags": ("not wpfleet's", "wpfleet's"), "v": (1, 2)}
    assert Drift.from_dict(found[1].as_dict()) == found[1]
