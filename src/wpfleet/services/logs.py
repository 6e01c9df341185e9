"""``logs``: a tenant's logs in one environment, once or followed.

The backend reads them (aws: CloudWatch Logs FilterLogEvents over the tenant's streams,
every page; local: its nginx and PHP logs) from a cursor it hands back, so following is
polling with that cursor: each poll returns only what came after the last one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wpfleet.context import LogLine
from wpfleet.errors import UsageError

if TYPE_CHECKING:
    from wpfleet.config.models import Environment
    from wpfleet.services.workspace import Workspace

_SINCE = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SINCE = 30 * 86400
MAX_PATTERN = 1024  # CloudWatch Logs' limit for a filter pattern
DEFAULT_POLL = 2.0


def parse_since(text: str) -> float:
    """``10m`` → 600.0 seconds (s, m, h, d; at most 30 days)."""
    m = _SINCE.fullmatch(text.strip())
    seconds = int(m.group(1)) * _UNIT[m.group(2)] if m else -1
    if not 0 < seconds <= MAX_SINCE:
        raise UsageError(
            f"--since {text!r} is not a duration up to 30 days",
            hint="give a number and a unit: 90s, 10m, 2h, 1d",
        )
    return float(seconds)


def check_pattern(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    if not pattern or len(pattern) > MAX_PATTERN or any(ord(c) < 32 for c in pattern):
        raise UsageError(
            "--grep needs 1 to 1024 printable characters",
            hint="a plain term, matched as written (case-sensitive)",
        )
    return pattern


def read(
    ws: Workspace,
    env: Environment,
    tenant: str,
    on_line: Callable[[LogLine], None],
    *,
    since: str = "10m",
    grep: str | None = None,
    follow: bool = False,
    poll: float = DEFAULT_POLL,
    keep_going: Callable[[], bool] = lambda: True,
) -> int:
    """Hand every matching line to ``on_line``, oldest first; with ``follow``, keep polling
    while ``keep_going()`` (the CLI: until Ctrl-C). Returns how many lines were handed."""
    start = time.time() - parse_since(since)
    pattern = check_pattern(grep)
    ctx = ws.tenant(env, tenant)  # the tenant must be in this environment
    backend = ws.backend(env)
    lines, cursor = backend.logs(ctx, start, pattern)
    count = _hand(lines, on_line)
    while follow and keep_going():
        time.sleep(poll)
        lines, cursor = backend.logs(ctx, start, pattern, cursor)
        count += _hand(lines, on_line)
    return count


def _hand(lines: list[LogLine], on_line: Callable[[LogLine], None]) -> int:
    for line in lines:
        on_line(line)
    return len(lines)


__all__ = ["LogLine", "check_pattern", "parse_since", "read"]
