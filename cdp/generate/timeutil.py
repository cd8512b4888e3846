"""Fast, dependency-free timestamp formatting and the few timezone rules the stores need.

Internally every instant is an ``int`` of UTC epoch seconds (or milliseconds for web events).
"""

from __future__ import annotations

from datetime import date, timedelta

DAY = 86400
HOUR = 3600
MINUTE = 60
_EPOCH = date(1970, 1, 1)
_day_str: dict[int, str] = {}
_day_ymd: dict[int, tuple[int, int, int]] = {}


def day_str(day: int) -> str:
    """'YYYY-MM-DD' for a day number (epoch seconds // 86400)."""
    s = _day_str.get(day)
    if s is None:
        s = (_EPOCH + timedelta(days=day)).isoformat()
        _day_str[day] = s
    return s


def ymd(day: int) -> tuple[int, int, int]:
    t = _day_ymd.get(day)
    if t is None:
        d = _EPOCH + timedelta(days=day)
        t = (d.year, d.month, d.day)
        _day_ymd[day] = t
    return t


def weekday(day: int) -> int:
    """Monday=0 .. Sunday=6."""
    return (day + 3) % 7  # 1970-01-01 was a Thursday


def date_to_day(d: date) -> int:
    return (d - _EPOCH).days


_HMS: list[str] = []


def _hms(r: int) -> str:
    if not _HMS:
        _HMS.extend(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))
    return _HMS[r]


def iso_z(ts: int) -> str:
    """2026-03-01T14:22:05Z"""
    d, r = divmod(ts, DAY)
    return f"{day_str(d)}T{_hms(r)}Z"


def iso_utc(ts: int) -> str:
    """2026-03-01T14:22:05+00:00 (Shopify style)."""
    d, r = divmod(ts, DAY)
    return f"{day_str(d)}T{_hms(r)}+00:00"


def iso_ms_z(ms: int) -> str:
    """2026-03-01T14:22:05.123Z"""
    s, frac = divmod(ms, 1000)
    d, r = divmod(s, DAY)
    ds = _day_str.get(d) or day_str(d)
    return f"{ds}T{_HMS[r] if _HMS else _hms(r)}.{frac:03d}Z"


def sql_ts(ts: int) -> str:
    """2026-03-01 14:22:05 (UTC, no suffix)."""
    d, r = divmod(ts, DAY)
    return f"{day_str(d)} {_hms(r)}"


def local_iso(ts: int, offset_min: int) -> str:
    """Local wall time with offset, e.g. 2026-03-01T15:22:05+01:00."""
    d, r = divmod(ts + offset_min * 60, DAY)
    sign = "+" if offset_min >= 0 else "-"
    oh, om = divmod(abs(offset_min), 60)
    return f"{day_str(d)}T{_hms(r)}{sign}{oh:02d}:{om:02d}"


# --- timezones ----------------------------------------------------------------------------------
# tz -> (rule, standard offset minutes)
TZ_RULES = {
    "Europe/Amsterdam": ("eu", 60),
    "Europe/Berlin": ("eu", 60),
    "Europe/Warsaw": ("eu", 60),
    "Europe/Copenhagen": ("eu", 60),
    "Europe/London": ("eu", 0),
    "America/New_York": ("us", -300),
    "America/Chicago": ("us", -360),
}
_dst_cache: dict[tuple[str, int], tuple[int, int]] = {}


def _nth_sunday(year: int, month: int, n: int) -> int:
    """Day number of the n-th Sunday (n=-1: last) of a month."""
    if n > 0:
        first = date_to_day(date(year, month, 1))
        offset = (6 - weekday(first)) % 7
        return first + offset + 7 * (n - 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = date_to_day(nxt) - 1
    return last - (weekday(last) - 6) % 7


def tz_offset_min(tz: str, ts: int) -> int:
    rule, std = TZ_RULES[tz]
    year = ymd(ts // DAY)[0]
    key = (tz, year)
    bounds = _dst_cache.get(key)
    if bounds is None:
        if rule == "eu":  # last Sunday of March 01:00 UTC .. last Sunday of October 01:00 UTC
            start = _nth_sunday(year, 3, -1) * DAY + HOUR
            end = _nth_sunday(year, 10, -1) * DAY + HOUR
        else:  # second Sunday of March 02:00 local .. first Sunday of November 02:00 local (DST)
            start = _nth_sunday(year, 3, 2) * DAY + 2 * HOUR - std * 60
            end = _nth_sunday(year, 11, 1) * DAY + 2 * HOUR - (std + 60) * 60
        bounds = (start, end)
        _dst_cache[key] = bounds
    return std + 60 if bounds[0] <= ts < bounds[1] else std
