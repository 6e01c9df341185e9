"""Deployment windows, judged in the window's own time zone (zoneinfo)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from wpfleet.config.windows import WindowError, is_open, next_open, parse_window

JHB = ZoneInfo("Africa/Johannesburg")


def at(y: int, mo: int, d: int, h: int, mi: int, tz: ZoneInfo = JHB) -> float:
    return dt.datetime(y, mo, d, h, mi, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (at(2026, 12, 2, 8, 0), True),  # Wednesday, opening minute
        (at(2026, 12, 2, 16, 59), True),
        (at(2026, 12, 2, 17, 0), False),  # the end is exclusive
        (at(2026, 12, 2, 7, 59), False),
        (at(2026, 12, 5, 10, 0), False),  # Saturday
    ],
)
def test_weekday_window(when: float, open_: bool) -> None:
    assert is_open(["Mon-Fri 08:00-17:00 Africa/Johannesburg"], when) is open_


def test_the_zone_is_the_windows_not_the_machines() -> None:
    # 07:30 UTC is 09:30 in Johannesburg: open there, whatever TZ this process has
    utc = at(2026, 12, 2, 7, 30, ZoneInfo("UTC"))
    assert is_open(["Mon-Fri 08:00-17:00 Africa/Johannesburg"], utc)
    assert not is_open(["Mon-Fri 08:00-17:00 UTC"], utc)


def test_daylight_saving_follows_the_zone() -> None:
    # New York: 09:00 local is 14:00 UTC in winter, 13:00 UTC in summer
    window = ["Mon-Fri 09:00-10:00 America/New_York"]
    utc = ZoneInfo("UTC")
    assert is_open(window, at(2026, 1, 7, 14, 30, utc))
    assert is_open(window, at(2026, 7, 8, 13, 30, utc))
    assert not is_open(window, at(2026, 7, 8, 14, 30, utc))


def test_window_past_midnight_belongs_to_its_start_day() -> None:
    window = ["Fri 22:00-02:00 UTC"]
    utc = ZoneInfo("UTC")
    assert is_open(window, at(2026, 12, 4, 23, 0, utc))  # Friday night
    assert is_open(window, at(2026, 12, 5, 1, 0, utc))  # early Saturday
    assert not is_open(window, at(2026, 12, 6, 1, 0, utc))  # early Sunday


def test_lists_and_no_windows() -> None:
    assert is_open(["Sat,Sun 10:00-12:00 UTC"], at(2026, 12, 6, 11, 0, ZoneInfo("UTC")))
    assert is_open([], 0.0)


def test_next_open_is_the_next_opening_minute() -> None:
    fri_evening = at(2026, 12, 4, 18, 0)
    got = next_open(["Mon-Fri 08:00-17:00 Africa/Johannesburg"], fri_evening)
    assert got == at(2026, 12, 7, 8, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri 08:00-17:00", "expected DAYS"),
        ("Mon-Fry 08:00-17:00 UTC", "days"),
        ("Mon-Fri 8-17 UTC", "HH:MM"),
        ("Mon-Fri 08:00-08:00 UTC", "empty"),
        ("Mon-Fri 08:00-17:00 Nowhere/City", "unknown time zone"),
    ],
)
def test_bad_windows_are_named(text: str, message: str) -> None:
    with pytest.raises(WindowError, match=message) as err:
        parse_window(text)
    assert text in str(err.value)
