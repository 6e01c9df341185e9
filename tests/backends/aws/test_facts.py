"""Parsers of AWS responses over recorded responses, the way pyinfra tests its facts.

Each ``facts/<parser>/<case>.json`` holds one response shaped as the AWS API reference
documents it (``source``), optional ``args``, and the ``expected`` output. Add a case
by adding a file; add a parser by adding it to ``PARSERS``. No AWS and no moto: these
run in milliseconds and fail when a parser misreads a field AWS really sends."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wpfleet.backends.aws import ce, checks, logs, priorities
from wpfleet.backends.aws import tags as T

FACTS = Path(__file__).parent / "facts"


def _target_states(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    return {"states": checks.target_states(resp["TargetHealthDescriptions"])}


def _running_counts(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    ok, running, desired = checks.running_counts(resp["services"][0])
    return {"ok": ok, "running": running, "desired": desired}


def _rules(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    rules = resp["Rules"]
    return {
        "priorities": [priorities.rule_priority(r) for r in rules],
        "hosts": [priorities.rule_hosts(r) for r in rules],
        "target_groups": [priorities.rule_target_groups(r) for r in rules],
        "taken": sorted(priorities.taken_priorities(rules, args.get("except_arn"))),
    }


def _tags(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    found: Any = resp
    for step in args["path"]:
        found = found[step] if isinstance(step, int) else found.get(step)
    return {"map": T.to_map(found), "ours": T.is_ours(found, args["tenant"], args["env"])}


def _log_events(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    events = logs.matching_events(resp, args["stream_prefix"])
    return {"messages": [e["message"] for e in events]}


def _ce_tenants(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    out = ce.TenantCosts()
    ce.add_tenant_costs(out, resp)
    return dataclasses.asdict(out)


def _ce_services(resp: dict[str, Any], args: dict[str, Any]) -> Any:
    out = ce.ServiceCosts()
    ce.add_service_costs(out, resp)
    return dataclasses.asdict(out)


PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "target_states": _target_states,
    "running_counts": _running_counts,
    "rules": _rules,
    "tags": _tags,
    "log_events": _log_events,
    "ce_tenants": _ce_tenants,
    "ce_services": _ce_services,
}

CASES = sorted(FACTS.glob("*/*.json"))


def test_every_parser_has_cases_and_every_case_a_parser() -> None:
    folders = {p.parent.name for p in CASES}
    assert folders == set(PARSERS), f"cases without parser or parser without cases: {folders}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fact(case: Path) -> None:
    doc = json.loads(case.read_text())
    assert doc["source"].startswith("https://docs.aws.amazon.com/")
    got = PARSERS[case.parent.name](doc["response"], doc.get("args", {}))
    assert got == doc["expected"]
