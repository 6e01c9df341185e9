"""The verification report artifact: JSON (for machines), JUnit XML (for CI test tabs),
Markdown (for job summaries and pull requests).

Guarantees: the JUnit output is well-formed XML whatever a check's detail contains
(markup, quotes, ANSI colour codes from log lines: characters XML cannot carry are
replaced), and one Markdown table row per check whatever its detail contains (pipes and
newlines are escaped, markup is shown as text, ANSI colour codes are dropped).
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

from wpfleet.checks.verify import CheckOutcome, VerifyReport, iso

Format = Literal["json", "junit", "markdown"]
FORMATS: tuple[Format, ...] = ("json", "junit", "markdown")

# characters XML 1.0 cannot carry, even escaped
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render(report: VerifyReport, fmt: Format) -> str:
    """The report as text in ``fmt``."""
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return render_junit(report)
    if fmt == "markdown":
        return render_markdown(report)
    raise ValueError(f"unknown report format {fmt!r}; one of: {', '.join(FORMATS)}")


def write(report: VerifyReport, fmt: Format, path: str | os.PathLike[str]) -> Path:
    """Write the report to ``path`` atomically (a reader never sees half a report)."""
    target = Path(path)
    text = render(report, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", _ANSI.sub("", text))


def render_junit(report: VerifyReport) -> str:
    """One ``testsuite`` per report, one ``testcase`` per check; a failed check carries a
    ``failure`` whose message is its detail."""
    failures = str(len(report.failed))
    seconds = f"{report.finished_at - report.started_at:.3f}"
    counts = {"tests": str(len(report.outcomes)), "failures": failures, "errors": "0"}
    root = ET.Element("testsuites", {"name": "wpfleet verify", **counts, "time": seconds})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _xml_text(f"verify {report.tenant} in {report.env}"),
            **counts,
            "skipped": "0",
            "time": seconds,
            "timestamp": iso(report.started_at),
        },
    )
    props = ET.SubElement(suite, "properties")
    for key in ("tenant", "env", "deployment_id"):
        value = _xml_text(str(getattr(report, key)))
        ET.SubElement(props, "property", {"name": key, "value": value})
    classname = _xml_text(f"wpfleet.verify.{report.env}.{report.tenant}")
    for outcome in report.outcomes:
        _testcase(suite, classname, outcome)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, classname: str, o: CheckOutcome) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": classname, "name": _xml_text(o.name), "time": f"{o.seconds:.3f}"},
    )
    detail = _xml_text(o.detail)
    if not o.ok:
        failure = ET.SubElement(case, "failure", {"message": detail, "type": "CheckFailed"})
        failure.text = f"{detail}\n(after {o.attempts} attempt(s), {o.seconds:.1f} s)"
    ET.SubElement(case, "system-out").text = f"attempts: {o.attempts}\ndetail: {detail}"


def _md_cell(text: str) -> str:
    """One table cell: no HTML (a detail may quote markup), no control characters, pipes
    and newlines escaped so the row stays one row."""
    text = html.escape(_ANSI.sub("", text), quote=False).replace("\\", "\\\\")
    text = text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
    return _XML_INVALID.sub("", text)


def render_markdown(report: VerifyReport) -> str:
    """A heading with the verdict, then a table: check | result | attempts | detail."""
    verdict = "passed" if report.ok else f"FAILED ({len(report.failed)} check(s))"
    seconds = report.finished_at - report.started_at
    lines = [
        f"## Verification of `{report.tenant}` in `{report.env}`: {verdict}",
        "",
        f"Deployment `{report.deployment_id or '-'}`, started {iso(report.started_at)}, "
        f"took {seconds:.1f} s.",
        "",
        "| check | result | attempts | detail |",
        "| --- | --- | ---: | --- |",
    ]
    for o in report.outcomes:
        result = "✅ pass" if o.ok else "❌ fail"
        lines.append(f"| {_md_cell(o.name)} | {result} | {o.attempts} | {_md_cell(o.detail)} |")
    return "\n".join(lines) + "\n"
