"""Deployment windows: "Mon-Fri 08:00-17:00 Africa/Johannesburg".

A window is days, a time range and an IANA time zone (zoneinfo, so daylight saving is
the zone's own). The time is judged in the window's zone, never the machine's, so a
runner in UTC and a person in Johannesburg agree on whether prod is open.

Forms accepted: days as ``Mon-Fri``, ``Sat,Sun``, ``Mon,Wed-Fri``, ``Daily`` or ``*``;
times as ``HH:MM-HH:MM`` (an end before the start wraps past midnight, and belongs to
the day it started on); the zone last (``UTC`` is a zone too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE = "Mon-Fri 08:00-17:00 Africa/Johannesburg"


class WindowError(ValueError):
    """A window that cannot be read; the message names it and shows the form."""


@dataclass(frozen=True)
class Window:
    text: str
    days: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time
    zone: ZoneInfo

    def contains(self, when: dt.datetime) -> bool:
        local = when.astimezone(self.zone)
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        # wraps past midnight: the late part belongs to the day it started on
        if t >= self.start:
            return local.weekday() in self.days
        return t < self.end and (local.weekday() - 1) % 7 in self.days


def parse_window(text: str) -> Window:
    parts = text.split()
    if len(parts) != 3:
        raise WindowError(f"window {text!r}: expected DAYS HH:MM-HH:MM ZONE, e.g. {EXAMPLE!r}")
    days_text, times_text, zone_text = parts
    try:
        zone = ZoneInfo(zone_text)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(
            f"window {text!r}: unknown time zone {zone_text!r} (an IANA name such as "
            "Africa/Johannesburg or UTC)"
        ) from None
    start, end = _times(text, times_text)
    return Window(text, _days(text, days_text), start, end, zone)


def _days(text: str, spec: str) -> frozenset[int]:
    if spec.lower() in ("daily", "*"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in spec.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise WindowError(
                f"window {text!r}: days {spec!r} not understood (use Mon..Sun, ranges "
                "like Mon-Fri, lists like Sat,Sun, or Daily)"
            )
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _times(text: str, spec: str) -> tuple[dt.time, dt.time]:
    try:
        start_s, end_s = spec.split("-")
        start, end = dt.time.fromisoformat(start_s), dt.time.fromisoformat(end_s)
    except ValueError:
        raise WindowError(f"window {text!r}: times {spec!r} are not HH:MM-HH:MM") from None
    if start == end:
        raise WindowError(f"window {text!r}: the window is empty ({spec})")
    return start, end


def is_open(windows: list[str], now: float) -> bool:
    """True when there are no windows, or ``now`` falls in at least one of them."""
    return _open([parse_window(w) for w in windows], now)


def _open(parsed: list[Window], now: float) -> bool:
    when = dt.datetime.fromtimestamp(now, dt.UTC)
    return not parsed or any(w.contains(when) for w in parsed)


def next_open(windows: list[str], now: float, horizon_days: int = 8) -> float | None:
    """The first minute at or after ``now`` when a window is open (None: never within
    ``horizon_days``). Minute steps: windows are written in whole minutes."""
    parsed = [parse_window(w) for w in windows]
    if _open(parsed, now):
        return now
    minute = (int(now) // 60 + 1) * 60
    for step in range(horizon_days * 24 * 60):
        at = float(minute + step * 60)
        if _open(parsed, at):
            return at
    return None
