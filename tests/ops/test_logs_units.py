"""Reading a local tenant's log files (the formats nginx and PHP write, copied from real
lines), and the ``--since``/``--grep`` grammar."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from wpfleet.backends.local.logs import read
from wpfleet.backends.local.paths import TenantPaths
from wpfleet.errors import UsageError
from wpfleet.services.logs import check_pattern, parse_since


def _utc(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def _files(tmp_path: Path) -> TenantPaths:
    files = TenantPaths(tmp_path / "alpha")
    files.logs.mkdir(parents=True)
    files.nginx_logs.mkdir()
    files.nginx_access_log.write_text(
        '127.0.0.1 - - [02/Dec/2026:00:10:00 +0000] "GET / HTTP/1.1" 200 5120 "-" "curl"\n'
        '127.0.0.1 - - [02/Dec/2026:00:20:00 +0000] "GET /wp-admin/ HTTP/1.1" 302 0 "-" "curl"\n'
    )
    files.php_error_log.write_text(
        "[02-Dec-2026 00:15:00 UTC] PHP Warning:  mysqli_real_connect(): (HY000/2002): "
        "Connection refused in /wp-includes/class-wpdb.php on line 1982\n"
        "PHP Stack trace:\n"
        "[02-Dec-2026 00:05:00 UTC] PHP Notice:  old news\n"
    )
    return files


def test_lines_since_a_time_merged_oldest_first(tmp_path: Path) -> None:
    files = _files(tmp_path)
    lines, _ = read(files, _utc("2026-12-02T00:08:00"), None, None)
    assert [(line.source, line.at) for line in lines] == [
        ("nginx-access", _utc("2026-12-02T00:10:00")),
        ("php-error", _utc("2026-12-02T00:15:00")),
        ("php-error", _utc("2026-12-02T00:15:00")),  # the stack trace goes with its line
        ("nginx-access", _utc("2026-12-02T00:20:00")),
    ]
    assert "old news" not in "".join(line.message for line in lines)


def test_grep_and_cursor_return_only_what_is_new(tmp_path: Path) -> None:
    files = _files(tmp_path)
    lines, cursor = read(files, 0.0, "HY000/2002", None)
    assert [line.source for line in lines] == ["php-error"]
    again, cursor = read(files, 0.0, None, cursor)
    assert again == []
    with files.nginx_access_log.open("a") as fh:
        fh.write('127.0.0.1 - - [02/Dec/2026:00:30:00 +0000] "GET /x HTTP/1.1" 404 0 "-" "c"\n')
        fh.write("half a line")  # unfinished: read when it ends
    new, cursor = read(files, 0.0, None, cursor)
    assert [line.message.split('"')[1] for line in new] == ["GET /x HTTP/1.1"]
    files.php_error_log.write_text("[02-Dec-2026 00:40:00 UTC] PHP Fatal error:  rotated\n")
    rotated, _ = read(files, 0.0, None, cursor)
    assert [line.message[-7:] for line in rotated] == ["rotated"]


def test_nginx_error_log_is_in_local_time(tmp_path: Path) -> None:
    files = _files(tmp_path)
    when = time.localtime(time.time() - 60)
    stamp = time.strftime("%Y/%m/%d %H:%M:%S", when)
    files.nginx_error_log.write_text(f"{stamp} [error] 12#12: *1 connect() failed\n")
    lines, _ = read(files, time.time() - 120, "connect()", None)
    assert [line.source for line in lines] == ["nginx-error"]
    assert lines[0].at == pytest.approx(time.mktime(when))


@pytest.mark.parametrize("text", ["", "10", "10x", "-5m", "0s", "31d", "1 0m"])
def test_bad_since_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_since(text)


def test_since_and_grep_grammar() -> None:
    assert parse_since("90s") == 90 and parse_since("10m") == 600 and parse_since("2h") == 7200
    assert check_pattern("Error establishing") == "Error establishing"
    for bad in ("", "a\nb", "x" * 1025):
        with pytest.raises(UsageError, match="--grep"):
            check_pattern(bad)
