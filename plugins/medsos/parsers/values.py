"""Reading one cell's value: counts, decimals, durations, dates and times.

The conventions exports write values in: English (1,234.5) or Indonesian (1.234,5)
numbers, compact counts (1,2 rb, 3.4K), markers for "no value", Excel serials, month
names in English and Indonesian, and the clocks (``META_CLOCK``: Meta writes
Pacific time). Pure functions: a value in, a Python value out or ``ValueError``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

# Meta Business Suite writes ``Publish time`` (and the dates in its download names) on
# the US Pacific clock, whatever the account's country: checked on real Instagram files,
# where every post's permalink shortcode encodes an instant 7 h (PDT) or 8 h (PST) after
# the ``Publish time`` written beside it.
META_CLOCK = ZoneInfo("America/Los_Angeles")

MISSING_MARKERS = {"", "-", "--", "—", "undefined", "n/a", "na", "null", "none"}


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKERS


_COMPACT = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*([kKmMbB]|rb|jt)$")


class _NumberShapes:
    """How numbers are written in a file: English (1,234.5) or Indonesian (1.234,5)."""

    def __init__(self, thousands: str, decimal: str):
        self.thousands, self.decimal = thousands, decimal
        t, d = re.escape(thousands), re.escape(decimal)
        self.grouped = re.compile(rf"-?\d{{1,3}}({t}\d{{3}})+")  # 1,234,567
        self.zero_fraction = re.compile(rf"-?\d+{d}0+")  # '12.0' from spreadsheets
        self.grouped_with_fraction = re.compile(rf"-?\d{{1,3}}({t}\d{{3}})+({d}\d+)?")
        self.with_fraction = re.compile(rf"-?\d+({d}\d+)?")


_NUMBER_SHAPES = {
    False: _NumberShapes(",", "."),
    True: _NumberShapes(".", ","),
}  # keyed by decimal_comma
_PLAIN_INTEGER = re.compile(r"-?\d+")

COUNT_LIMIT = 2**53  # larger than any real count; beyond it a cell is garbage, not a number


def parse_count(value: Any, *, decimal_comma: bool = False) -> int | None:
    n = _parse_count(value, decimal_comma=decimal_comma)
    if n is not None and abs(n) >= COUNT_LIMIT:
        raise ValueError(f"not a plausible count: {value!r}")
    return n


def _parse_count(value: Any, *, decimal_comma: bool = False) -> int | None:
    """A count such as likes or views.

    ``decimal_comma`` is decided per file from its language (never per cell): in an
    Indonesian file ``1.234`` is one thousand two hundred thirty-four, in an English
    file ``1,234`` is. Compact forms ``1.2K``/``3,4 rb`` are accepted. Missing markers
    return None (unknown), never 0.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(f"not a whole number: {value!r}")
        return int(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    m = _COMPACT.match(text)
    if m:
        number = float(m.group(1).replace(",", "."))
        factor = {"k": 1e3, "rb": 1e3, "m": 1e6, "jt": 1e6, "b": 1e9}[m.group(2).lower()]
        return int(round(number * factor))
    if text.isascii() and text.isdigit():  # by far the most common cell
        return int(text)
    shapes = _NUMBER_SHAPES[decimal_comma]
    if shapes.grouped.fullmatch(text):
        return int(text.replace(shapes.thousands, ""))
    if _PLAIN_INTEGER.fullmatch(text):
        return int(text)
    if shapes.zero_fraction.fullmatch(text):
        return int(text.split(shapes.decimal)[0])
    raise ValueError(f"not a count: {value!r}")


def parse_decimal(value: Any, *, decimal_comma: bool = False) -> float | None:
    """A decimal such as watch hours: ``2275,0676`` in Indonesian files, ``2275.0676`` in English."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    shapes = _NUMBER_SHAPES[decimal_comma]
    if shapes.grouped_with_fraction.fullmatch(text):
        text = text.replace(shapes.thousands, "")
    if shapes.with_fraction.fullmatch(text):
        return float(text.replace(shapes.decimal, "."))
    raise ValueError(f"not a number: {value!r}")


def parse_duration_seconds(value: Any) -> float | None:
    """Seconds from ``47``, ``47.5``, ``0:12`` (M:SS) or ``0:16:02`` (H:MM:SS)."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, time):
        return float(value.hour * 3600 + value.minute * 60 + value.second)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})", text)
    if m:
        h = int(m.group(1) or 0)
        return float(h * 3600 + int(m.group(2)) * 60 + int(m.group(3)))
    raise ValueError(f"not a duration: {value!r}")


EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial_to_datetime(serial: float) -> datetime:
    """Excel's day count (1900 system, with its leap-year bug absorbed by the 1899-12-30 epoch)."""
    if not 1 <= serial < 2958466:
        raise ValueError(f"not an Excel date serial: {serial!r}")
    return EXCEL_EPOCH + timedelta(days=float(serial))


def parse_fixed_datetime(value: Any, formats: tuple[str, ...]) -> datetime:
    """Parse with the source's explicit formats only: no guessing that swaps day and month.

    ``datetime`` cells (XLSX) pass through; numbers are Excel serial dates.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value))
    parsed = _fixed_text(value if isinstance(value, str) else str(value), formats)
    if parsed is None:
        raise ValueError(f"not a date in the expected format ({' or '.join(formats)}): {value!r}")
    return parsed


# the same texts repeat in every office's export (a day label, a file's export time, 'March 8'
# tried for a clock per post): each is read once
@lru_cache(maxsize=65536)
def _fixed_text(value: str, formats: tuple[str, ...]) -> datetime | None:
    text = _SPACES.sub(" ", value.strip())
    if _SERIAL.fullmatch(text):
        return excel_serial_to_datetime(float(text))  # raises for a serial out of range
    return _strptime_first(text, formats)


_SPACES = re.compile(r"\s+")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")


def _strptime_first(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def to_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``tz`` (or an aware time) as a UTC instant."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(UTC)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """An aware instant as naive wall-clock time in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text.strip() != "" else None


_DAY_MONTH_MARKS = re.compile(r"[,.]")

# Month names as exports write them, English and Indonesian, full and abbreviated.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("january", "januari", "jan"),
        ("february", "februari", "feb", "peb"),
        ("march", "maret", "mar"),
        ("april", "apr"),
        ("may", "mei"),
        ("june", "juni", "jun"),
        ("july", "juli", "jul"),
        ("august", "agustus", "aug", "agu", "agt", "ags"),
        ("september", "sep", "sept"),
        ("october", "oktober", "oct", "okt"),
        ("november", "nopember", "nov", "nop"),
        ("december", "desember", "dec", "des"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number


def parse_day_month(value: Any) -> tuple[int | None, int, int]:
    """``(year or None, month, day)`` from a date written with a month name.

    Accepts ``8 Juli``, ``August 31``, ``Jan 6, 2024``, ``6 Agu 2024``, ``12 Februari``
    (English or Indonesian names, abbreviated or not); the year is None when the text
    has none. Raises ValueError otherwise.
    """
    return _day_month(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65536)  # the same day label repeats in every row and every office's file
def _day_month(value: str) -> tuple[int | None, int, int]:
    text = _DAY_MONTH_MARKS.sub(" ", value.strip().lower())
    parts = text.split()
    words = [p for p in parts if p.isalpha()]
    numbers = [p for p in parts if p.isdigit()]
    if len(words) != 1 or not 1 <= len(numbers) <= 2 or len(parts) != len(words) + len(numbers):
        raise ValueError(f"not a date like '8 Juli' or 'Jan 6, 2024': {value!r}")
    month = MONTHS.get(words[0])
    if month is None:
        raise ValueError(f"unknown month name {words[0]!r} in {value!r}")
    day = int(numbers[0])
    year = None
    if len(numbers) == 2:
        if len(numbers[1]) != 4:
            raise ValueError(f"not a four-digit year in {value!r}")
        year = int(numbers[1])
    if year is not None:
        date(year, month, day)  # raises ValueError for 31 February
    elif not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
        raise ValueError(f"no such day in {value!r}")
    return year, month, day


def infer_year(month: int, day: int, reference: date, slack_days: int = 1) -> date:
    """The date ``month``/``day`` in the year that puts it on or before ``reference``
    (plus ``slack_days``), i.e. within the year before ``reference``.

    Exports without a year (TikTok ``8 Juli``, ``February 12``) only ever list days up to
    the day they were generated.
    """
    limit = reference + timedelta(days=slack_days)
    for year in (limit.year, limit.year - 1, limit.year - 2):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if candidate <= limit:
            return candidate
    raise ValueError(f"no year puts {month:02d}-{day:02d} within a year before {reference}")


_SCIENTIFIC = re.compile(r"^-?\d+([.,]\d+)?[eE][+-]?\d+$")


def id_text(value: Any, *, digits_only: bool = True) -> str:
    """A platform id as text: surrounding space removed, never via float.

    Raises ValueError for ids that a spreadsheet has mangled (``1.22158E+17``, ``1.2e17``
    or a float cell), since their last digits are lost, and (with ``digits_only``) for
    anything that is not a run of digits.
    """
    if is_missing(value):
        raise ValueError("empty, an id is required")
    if isinstance(value, bool):
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, float):
        raise ValueError(
            f"id stored as a number ({value!r}); its digits are lost (was the file re-saved by Excel?)"
        )
    text = str(value).strip().replace("\u00a0", "")
    if _SCIENTIFIC.match(text):
        raise ValueError(
            f"id in scientific notation ({text}); its digits are lost (was the file re-saved by Excel?)"
        )
    if digits_only and not text.isdigit():
        raise ValueError(f"not an id of digits: {text!r}")
    if not digits_only and (not text or any(c.isspace() for c in text)):
        raise ValueError(f"not an id: {text!r}")
    return text


def most_common(values: list[Any]) -> Any:
    """The most frequent non-empty value (first seen wins a tie), or None."""
    counts: dict[Any, int] = {}
    for v in values:
        if v not in (None, ""):
            counts[v] = counts.get(v, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def split_delta(delta: int | None) -> tuple[int | None, int | None]:
    """A net daily change as (gained, lost); a platform that only reports the net change
    gives a lower bound of each."""
    if delta is None:
        return None, None
    return max(delta, 0), max(-delta, 0)
