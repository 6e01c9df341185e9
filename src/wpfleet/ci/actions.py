"""The third-party actions the generated workflows use, pinned by full commit SHA.

One table: a tag can be moved, a commit cannot. The SHAs are the tags' commits, read
from the actions' own repositories (``git rev-parse vX.Y.Z^{commit}``); update them
here together with the version in the comment. Nothing else in the workflows runs
code that is not in this table or in wpfleet itself.
"""

from __future__ import annotations

from typing import Any

from wpfleet.ci.context import CiFleet
from wpfleet.ci.yamlout import Commented

#: action -> (commit SHA, version tag it is)
PINS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "aws-actions/configure-aws-credentials": (
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "v6.2.3",
    ),
}


def uses(action: str) -> Commented:
    sha, version = PINS[action]
    return Commented(f"{action}@{sha}", version)


def checkout(*, push: bool = False) -> dict[str, Any]:
    """Credentials stay in the checkout only for the one job that pushes (config
    documents, release branches); everywhere else they are not persisted."""
    return {
        "name": "Check out",
        "uses": uses("actions/checkout"),
        "with": {"persist-credentials": push},
    }


def setup_wpfleet(ci: CiFleet) -> list[dict[str, Any]]:
    return [
        {
            "name": "Set up Python",
            "uses": uses("actions/setup-python"),
            "with": {"python-version": ci.fleet.ci.python},
        },
        {
            "name": "Install wpfleet",
            "env": {"WPFLEET_REQUIREMENT": ci.requirement},
            "run": 'python -m pip install --disable-pip-version-check "$WPFLEET_REQUIREMENT"',
        },
    ]


def aws_credentials(role_expr: str, region_expr: str) -> dict[str, Any]:
    """OIDC only: the job's ``id-token: write`` lets the action assume the role; there
    is no access key anywhere."""
    return {
        "name": "AWS credentials (OIDC)",
        "uses": uses("aws-actions/configure-aws-credentials"),
        "with": {
            "role-to-assume": role_expr,
            "aws-region": region_expr,
            "role-session-name": "wpfleet-${{ github.run_id }}",
        },
    }


def upload(name: str, path: str, *, always: bool = True) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": f"Upload {path}",
        "uses": uses("actions/upload-artifact"),
        "with": {"name": name, "path": path, "if-no-files-found": "warn", "retention-days": 30},
    }
    if always:
        step["if"] = "${{ always() }}"
    return step


def download(name: str, path: str) -> dict[str, Any]:
    return {
        "name": f"Download {name}",
        "uses": uses("actions/download-artifact"),
        "with": {"name": name, "path": path},
    }
