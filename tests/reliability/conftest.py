"""The reliability suite (issue 11): crashes, hostile input, leaks, isolation probes.

Stack tests reuse the e2e fleet fixture (its own temp dir, free ports and runtime dir
per module), so they run on the real nginx + php-fpm + MariaDB + WordPress.
"""

from __future__ import annotations

from tests.e2e.conftest import Fleet, fleet

__all__ = ["Fleet", "fleet"]
