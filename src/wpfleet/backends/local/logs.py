"""A local tenant's logs: its nginx access and error logs and its PHP error log.

Read as files, from a cursor of byte offsets (so ``--follow`` reads only what was
appended since the last poll; a file that shrank was rotated or truncated and is read
again from the start). Each line's time is parsed from the three formats these files
use; a line without one (a PHP stack trace's continuation) takes the time of the line
before it, so it is kept or dropped with it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path

from wpfleet.backends.local.paths import TenantPaths
from wpfleet.context import LogLine

MAX_BYTES = 8 * 1024 * 1024  # per file and read: older lines of a huge log are not shown

#: (pattern, strptime format) per file kind
_NGINX_ERROR = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) ")  # local time
_ACCESS = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_PHP = re.compile(r"^\[(\d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2}) ([A-Za-z_/+-]+)\]")


def _nginx_error_time(line: str) -> float | None:
    m = _NGINX_ERROR.match(line)
    return time.mktime(time.strptime(m.group(1), "%Y/%m/%d %H:%M:%S")) if m else None


def _access_time(line: str) -> float | None:
    m = _ACCESS.search(line)
    return dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp() if m else None


def _php_time(line: str) -> float | None:
    m = _PHP.match(line)
    if not m:
        return None
    when = dt.datetime.strptime(m.group(1), "%d-%b-%Y %H:%M:%S")
    if m.group(2) == "UTC":
        return when.replace(tzinfo=dt.UTC).timestamp()
    return time.mktime(when.timetuple())  # PHP wrote the machine's zone


def sources(files: TenantPaths) -> dict[str, tuple[Path, Callable[[str], float | None]]]:
    return {
        "nginx-access": (files.nginx_access_log, _access_time),
        "nginx-error": (files.nginx_error_log, _nginx_error_time),
        "php-error": (files.php_error_log, _php_time),
    }


def read(
    files: TenantPaths, since: float, pattern: str | None, cursor: dict[str, int] | None
) -> tuple[list[LogLine], dict[str, int]]:
    """Lines at or after ``since`` containing ``pattern``, oldest first, and the cursor
    for the next call (offsets after what was read)."""
    offsets = dict(cursor or {})
    out: list[LogLine] = []
    for name, (path, parse) in sources(files).items():
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        start = offsets.get(name, 0)
        if start > size:  # rotated or truncated
            start = 0
        start = max(start, size - MAX_BYTES)
        with path.open("rb") as fh:
            fh.seek(start)
            chunk = fh.read(size - start)
        end = chunk.rfind(b"\n") + 1  # an unfinished last line is read next time
        offsets[name] = start + end
        out += _lines(name, chunk[:end].decode("utf-8", "replace"), parse, since, pattern)
    out.sort(key=lambda line: line.at)  # stable: a file's own order is kept
    return out, offsets


def _lines(
    name: str,
    text: str,
    parse: Callable[[str], float | None],
    since: float,
    pattern: str | None,
) -> list[LogLine]:
    out: list[LogLine] = []
    at = 0.0
    for raw in text.splitlines():
        found = parse(raw)
        at = found if found is not None else at
        if at >= since and (pattern is None or pattern in raw):
            out.append(LogLine(at, name, raw))
    return out
