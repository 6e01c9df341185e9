"""What a test needs from the machine, and what happens when it is missing.

On a developer's machine a missing program skips the tests that need it. Under
``CI=true``, and in ``make test`` (which sets ``WPFLEET_TEST_STRICT=1``), it is an error
that names the Debian package: a suite that skipped half of itself must not look green.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
INSTALL = "scripts/install-deps.sh test (make test runs it)"


def strict() -> bool:
    """True when a missing requirement must fail the run rather than skip."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "WPFLEET_TEST_STRICT", ""
    ) not in ("", "0")


def missing(needs: dict[str, str]) -> list[str]:
    """``needs`` maps a program (or an absolute file path) to its Debian package; returns
    "program (package)" for each one that is absent."""
    out = []
    for thing, package in needs.items():
        if thing.startswith("/"):
            present = Path(thing).exists()
        else:
            present = shutil.which(thing, path=SEARCH) is not None
        if not present:
            out.append(f"{thing} (Debian package {package})")
    return out


def require(needs: dict[str, str], what: str) -> None:
    """Skip, or under CI/make test fail, naming every missing program and its package."""
    absent = missing(needs)
    if not absent:
        return
    message = f"{what} needs {', '.join(absent)}: install with {INSTALL}"
    if strict():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


LOCAL_STACK = {
    "mariadbd": "mariadb-server",
    "mariadb": "mariadb-client",
    "nginx": "nginx",
    "php-fpm8.2": "php-fpm",
    "php": "php-cli",
    "/usr/share/wordpress/wp-includes/version.php": "wordpress",
    "/usr/share/wordpress/wp-content/themes/twentytwentythree/style.css": (
        "wordpress-theme-twentytwentythree"
    ),
}
