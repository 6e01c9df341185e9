"""Hostile input, generated: hypothesis mixes the characters attackers reach for (quotes,
``;``, ``$(…)``, newlines, ``..``, braces, look-alike letters, YAML aliases) into every
value of a fleet file. ``wpfleet validate`` (in-process) either accepts a value that
obeys the grammar, checked here by an independent oracle, or refuses it with a
validation error: never a traceback, never anything created."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.hostile import Outcome, base_fleet, validate_data, validate_text

PIECES = [
    "'", '"', ";", "$(id)", "`id`", "\n", "\r", "\x00", "\x1b", "..", "/", "{", "}",
    "{tenant}", "{PLAIN}", "\u0440", "\u0430", "\u01c5", "\u200b", "\u2028",
    " ", "\t", "#", "*a", "&a",
    ":", "-", ".", "a", "z", "0", "9", "xn--", "<script>", "%s", "\\",
]  # fmt: skip
hostile_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12).map(
    "".join
)

FUZZ = settings(
    max_examples=int(os.environ.get("WPFLEET_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Oracles, written independently of wpfleet.grammar.
TENANT_ORACLE = re.compile(r"[a-z](-?[a-z0-9])*")
LABEL_ORACLE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def domain_ok(pattern: str) -> bool:
    if pattern.count("{tenant}") != 1 or len(pattern) > 253:
        return False
    labels = pattern.replace("{tenant}", "t").split(".")
    return all(len(x) <= 63 and LABEL_ORACLE.fullmatch(x) for x in labels)


def run(data: dict[str, Any]) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        res = validate_data(Path(tmp), data)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert res.code in (0, 2, 3), (res.code, res.err)
    assert res.created == [], res.created
    assert len(res.err) < 6000
    return res


@FUZZ
@given(tenant=hostile_text)
def test_fuzzed_tenant_ids(tenant: str) -> None:
    data = base_fleet()
    data["tenants"][0]["id"] = tenant
    res = run(data)
    fits = len(f"dev-{tenant}-tg") <= 32  # the ALB target group name limit
    assert (res.code == 0) == bool(TENANT_ORACLE.fullmatch(tenant) and fits), res.err


@FUZZ
@given(fleet=hostile_text)
def test_fuzzed_fleet_names(fleet: str) -> None:
    data = base_fleet()
    data["fleet"] = fleet
    res = run(data)
    assert (res.code == 0) == bool(TENANT_ORACLE.fullmatch(fleet) and len(fleet) <= 63), res.err


@FUZZ
@given(domain=hostile_text.map(lambda s: s if "{tenant}" in s else "{tenant}" + s))
def test_fuzzed_domain_patterns(domain: str) -> None:
    data = base_fleet()
    data["environments"][0]["domain"] = domain
    res = run(data)
    assert (res.code == 0) == domain_ok(domain), (domain, res.err)


@FUZZ
@given(name=st.one_of(hostile_text, st.text(max_size=300)))
def test_fuzzed_display_names(name: str) -> None:
    data = base_fleet()
    data["tenants"][0]["name"] = name
    res = run(data)
    printable = all(c.isprintable() or c == " " for c in name)
    if res.code == 0:
        assert name.strip() and len(name) <= 200 and "\x00" not in name and "\n" not in name
    elif name.strip() and len(name) <= 200 and printable:
        pytest.fail(f"a printable, bounded name was refused: {res.err}")


@FUZZ
@given(priority=st.one_of(st.integers(), st.text(max_size=8), st.floats(), st.booleans()))
def test_fuzzed_priorities(priority: object) -> None:
    data = base_fleet()
    data["tenants"][0]["priority"] = {"dev": priority}
    run(data)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), hostile_text),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "name", "domain", "fleet", "x"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


@FUZZ
@given(
    key=st.sampled_from(["fleet", "environments", "tenants", "state", "defaults", "extra"]),
    value=yaml_values,
)
def test_fuzzed_whole_fleet_files(key: str, value: object) -> None:
    data = base_fleet()
    data[key] = value
    run(data)


@FUZZ
@given(text=hostile_text)
def test_fuzzed_raw_yaml_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        res = validate_text(Path(tmp), "fleet: x\nenvironments:\n" + text)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    assert res.code in (0, 2, 3) and res.created == []
