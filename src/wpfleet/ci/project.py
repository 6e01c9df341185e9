"""wpfleet's own CI workflow (``.github/workflows/test.yml``): ``make test`` on Debian 12,
the machine the README's commands are written for. Kept here so that it uses the same
pinned actions as the generated workflows; a test checks the committed file matches."""

from __future__ import annotations

from typing import Any

from wpfleet.ci import actions
from wpfleet.ci.yamlout import dump

PROJECT_WORKFLOW = "test.yml"

TOOLS = (
    "apt-get update -qq\n"
    "apt-get install -y -qq --no-install-recommends git make python3 python3-venv "
    "ca-certificates\n"
)


def project_workflow() -> dict[str, Any]:
    return {
        "name": "test",
        "on": {"push": {"branches": ["main"]}, "pull_request": {}},
        "permissions": {},
        "jobs": {
            "test": {
                "name": "make test (Debian 12)",
                "runs-on": "ubuntu-latest",
                "container": "debian:12",
                "timeout-minutes": 60,
                "permissions": {"contents": "read"},
                "steps": [
                    {"name": "Tools the checkout needs", "run": TOOLS},
                    actions.checkout(),
                    {"name": "make test", "run": "make test"},
                ],
            }
        },
    }


def render_project_workflow() -> str:
    return dump(
        project_workflow(),
        "wpfleet's own tests. Written by wpfleet.ci.project (tests check it matches).",
    )
