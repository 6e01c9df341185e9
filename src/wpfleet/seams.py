"""Named seams inside resources (``nginx:test``, ``php-fpm:reload@after`` ...), for kills
and faults finer than a step boundary.

The fault seams are read once, by the ``Workspace`` (``wpfleet.engine.faults``), which
installs them here; a backend only names the point it has reached. With nothing
installed (every real run) a point costs one attribute read.
"""

from __future__ import annotations

from collections.abc import Callable

_installed: Callable[[str], None] | None = None


def install(at: Callable[[str], None] | None) -> None:
    """Make ``at(name)`` run at every named point (None: points do nothing)."""
    global _installed
    _installed = at


def point(name: str) -> None:
    """The code has reached ``name``: a fault or kill set for it happens now."""
    if _installed is not None:
        _installed(name)
