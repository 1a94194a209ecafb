"""ISO weeks (Monday to Sunday) as KPU offices evaluate them.

A week is always written ``YYYY-Www`` (``2024-W07``); 30 Dec 2024 belongs to ``2025-W01``.
Group by ISO year and week, never by calendar year.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

BULAN_SINGKAT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


class InvalidWeek(ValueError):
    pass


def parse_week(text: str) -> tuple[int, int]:
    """``'2024-W07'`` -> ``(2024, 7)``; rejects weeks that do not exist (``2021-W53``)."""
    m = _WEEK.match(str(text).strip())
    if not m:
        raise InvalidWeek(f"'{text}' is not an ISO week; write it like 2024-W07")
    year, week = int(m.group(1)), int(m.group(2))
    if week < 1 or week > weeks_in_year(year):
        raise InvalidWeek(f"'{text}': {year} has {weeks_in_year(year)} ISO weeks")
    return year, week


def is_week(text: str) -> bool:
    try:
        parse_week(text)
    except InvalidWeek:
        return False
    return True


def weeks_in_year(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


def week_start(week: str) -> date:
    """The Monday of an ISO week."""
    year, wk = parse_week(week)
    return date.fromisocalendar(year, wk, 1)


def week_end(week: str) -> date:
    """The Sunday of an ISO week."""
    return week_start(week) + timedelta(days=6)


def week_of(day: date | datetime) -> str:
    iso = (day.date() if isinstance(day, datetime) else day).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def shift(week: str, weeks: int) -> str:
    return week_of(week_start(week) + timedelta(weeks=weeks))


def weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week from ``first`` to ``last`` inclusive."""
    start, end = week_start(first), week_start(last)
    if end < start:
        raise InvalidWeek(f"{first} comes after {last}")
    return [week_of(start + timedelta(weeks=i)) for i in range((end - start).days // 7 + 1)]


def week_that_ended_before(moment: datetime, tz: str = "Asia/Jakarta") -> str:
    """The ISO week that had fully ended at ``moment`` in zone ``tz``.

    The weekly DAG runs Monday 06:00 WIB and evaluates the week that ended the night before.
    """
    local = moment.astimezone(ZoneInfo(tz)) if moment.tzinfo else moment
    return shift(week_of(local.date()), -1)


def week_label(week: str) -> str:
    """Indonesian date span for subjects and headings: ``12–18 Feb 2024``, ``30 Des 2024–5 Jan 2025``."""
    a, b = week_start(week), week_end(week)
    if a.year != b.year:
        return f"{a.day} {BULAN_SINGKAT[a.month - 1]} {a.year}–{b.day} {BULAN_SINGKAT[b.month - 1]} {b.year}"
    if a.month != b.month:
        return f"{a.day} {BULAN_SINGKAT[a.month - 1]}–{b.day} {BULAN_SINGKAT[b.month - 1]} {b.year}"
    return f"{a.day}–{b.day} {BULAN_SINGKAT[a.month - 1]} {a.year}"
