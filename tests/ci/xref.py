"""Cross-references the workflow linters do not check: every ``inputs.X``,
``needs.J.outputs.O``, ``steps.S.outputs.O``, ``secrets.S``, ``matrix.K`` and every
``with:`` key of a reusable-workflow call is declared where it is used; no expression
is expanded inside ``run:``; every action is pinned by a full commit SHA."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
REF = re.compile(
    r"\b(inputs|secrets|needs|steps|matrix)\.([A-Za-z_][\w-]*)(?:\.outputs\.([\w-]+))?"
)
SHA = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    """YAML 1.1 reads ``on`` as True: give it back its name."""
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def strings(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings(v, f"{where}[{i}]")
    elif isinstance(node, str):
        yield where, node


def declared_inputs(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on") or {}
    out: set[str] = set()
    for trigger in ("workflow_call", "workflow_dispatch"):
        out |= set(((on.get(trigger) or {}).get("inputs") or {}).keys())
    return out


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def check_workflow(path: Path, folder: Path) -> list[str]:
    doc = load(path)
    problems: list[str] = []
    inputs = declared_inputs(doc)
    call = (doc.get("on") or {}).get("workflow_call") or {}
    secrets = set((call.get("secrets") or {}).keys()) | {"GITHUB_TOKEN"}
    jobs = doc.get("jobs") or {}
    for where, text in strings({k: v for k, v in doc.items() if k != "jobs"}, path.name):
        problems += _refs(where, text, inputs, secrets, {}, {}, set())
    for name, job in jobs.items():
        needs = _needs(job)
        for j in needs:
            if j not in jobs:
                problems.append(f"{path.name}: job {name} needs unknown job {j}")
        outputs = {j: set((jobs.get(j, {}).get("outputs") or {}).keys()) for j in needs}
        matrix = set(((job.get("strategy") or {}).get("matrix") or {}).keys()) - {"include"}
        if "include" in ((job.get("strategy") or {}).get("matrix") or {}):
            matrix.add("*")
        step_outputs = _step_outputs(job)
        for where, text in strings(job, f"{path.name}:jobs.{name}"):
            problems += _refs(where, text, inputs, secrets, outputs, step_outputs, matrix)
            if re.search(r"\.run$", where) and "${{" in text:
                problems.append(f"{where}: expression expanded inside run:")
            if re.search(r"\.env\.\w+$", where) and re.search(r"\$(?!\{\{)\{?[A-Za-z_]", text):
                problems.append(f"{where}: a shell variable in env: is never expanded")
        problems += _check_uses(path, folder, name, job)
    return problems


def _step_outputs(job: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for step in job.get("steps") or []:
        if "id" in step:
            found = set(re.findall(r"echo \"([\w-]+)=", step.get("run", "")))
            found |= set(re.findall(r"fh\.write\(\"([\w-]+)=", step.get("run", "")))
            out[step["id"]] = found
    return out


def _refs(
    where: str,
    text: str,
    inputs: set[str],
    secrets: set[str],
    outputs: dict[str, set[str]],
    steps: dict[str, set[str]],
    matrix: set[str],
) -> list[str]:
    problems = []
    for expr in EXPR.findall(text):
        for kind, name, out in REF.findall(expr):
            if kind == "inputs" and name not in inputs:
                problems.append(f"{where}: inputs.{name} is not declared")
            elif kind == "secrets" and name not in secrets:
                problems.append(f"{where}: secrets.{name} is not declared")
            elif kind == "needs" and (name not in outputs or (out and out not in outputs[name])):
                problems.append(f"{where}: needs.{name}.outputs.{out} is not declared")
            elif kind == "steps" and (name not in steps or (out and out not in steps[name])):
                problems.append(f"{where}: steps.{name}.outputs.{out} is not written")
            elif kind == "matrix" and "*" not in matrix and name not in matrix:
                problems.append(f"{where}: matrix.{name} is not declared")
    return problems


def _check_uses(path: Path, folder: Path, name: str, job: dict[str, Any]) -> list[str]:
    problems = []
    uses = job.get("uses")
    if uses:
        target = folder / Path(uses).name
        if not uses.startswith("./.github/workflows/") or not target.exists():
            return [f"{path.name}: job {name} calls {uses}, which is not here"]
        called = load(target)
        declared = ((called.get("on") or {}).get("workflow_call") or {}).get("inputs") or {}
        given = set((job.get("with") or {}).keys())
        problems += [
            f"{path.name}: job {name} passes undeclared input {k}" for k in given - set(declared)
        ]
        problems += [
            f"{path.name}: job {name} does not pass required input {k}"
            for k, spec in declared.items()
            if spec.get("required") and k not in given
        ]
    for step in job.get("steps") or []:
        action = step.get("uses")
        if action and not action.startswith("./") and not SHA.match(action):
            problems.append(f"{path.name}: job {name} uses {action}, not pinned by commit SHA")
    return problems


def check_folder(folder: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        problems += check_workflow(path, folder)
    return problems
