"""Verification report formats: parsed back, not compared as strings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wpfleet.checks.verify import CheckOutcome, VerifyReport
from wpfleet.reports.verification import render, write

NASTY = 'PHP Fatal <error> & "quote" | pipe\nsecond line \x1b[31mred\x1b[0m'


def report() -> VerifyReport:
    return VerifyReport(
        tenant="acme",
        env="sit",
        deployment_id="d-42",
        started_at=1_700_000_000.0,
        finished_at=1_700_000_012.5,
        outcomes=[
            CheckOutcome("secret", True, "secret sit-acme-db-credentials exists", 1, 0.01),
            CheckOutcome("http", True, "HTTP 200", 3, 4.2),
            CheckOutcome("logs", False, NASTY, 7, 12.5),
        ],
    )


def test_json_round_trips() -> None:
    data = json.loads(render(report(), "json"))
    assert data["ok"] is False and data["passed"] == 2 and data["failed"] == 1
    assert data["deployment_id"] == "d-42" and data["seconds"] == 12.5
    assert [o["name"] for o in data["outcomes"]] == ["secret", "http", "logs"]
    assert data["outcomes"][2]["detail"] == NASTY and data["outcomes"][1]["attempts"] == 3


def test_junit_is_valid_and_counts() -> None:
    root = ET.fromstring(render(report(), "junit").encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["secret", "http", "logs"]
    assert all(c.get("classname") == "wpfleet.verify.sit.acme" for c in cases)
    assert cases[0].find("failure") is None and cases[1].find("failure") is None
    failure = cases[2].find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith('PHP Fatal <error> & "quote" | pipe\nsecond line')
    assert "\x1b" not in message and "red" in message  # escape char replaced, text kept
    assert "7 attempt(s)" in (failure.text or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"tenant": "acme", "env": "sit", "deployment_id": "d-42"}
    assert float(cases[1].get("time") or 0) == pytest.approx(4.2)


def test_markdown_table_has_one_row_per_check() -> None:
    text = render(report(), "markdown")
    assert "FAILED" in text and "`acme`" in text and "`sit`" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| check | result | attempts | detail |"
    assert rows[1] == "| --- | --- | ---: | --- |"
    body = rows[2:]
    assert len(body) == 3
    assert body[1].startswith("| http | ✅ pass | 3 | HTTP 200 |")
    cells = [c for c in body[2].replace("\\|", "¦").split("|")][1:-1]
    assert [c.strip() for c in cells[:3]] == ["logs", "❌ fail", "7"]
    assert cells[3].strip() == ('PHP Fatal &lt;error&gt; &amp; "quote" ¦ pipe<br>second line red')


def test_passing_report_says_passed() -> None:
    ok = report()
    ok.outcomes = ok.outcomes[:2]
    assert "passed" in render(ok, "markdown").splitlines()[0]
    suite = ET.fromstring(render(ok, "junit")).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"


def test_write_creates_directories(tmp_path: Path) -> None:
    target = write(report(), "junit", tmp_path / "reports" / "verify.xml")
    assert target == tmp_path / "reports" / "verify.xml"
    ET.parse(target)
    assert [p.name for p in target.parent.iterdir()] == ["verify.xml"]  # no temp left


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(report(), "html")  # type: ignore[arg-type]
