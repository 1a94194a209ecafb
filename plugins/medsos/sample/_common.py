"""Small helpers shared by the sample writers."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
MONTHS_ID_SHORT = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Mei",
    "Jun",
    "Jul",
    "Agu",
    "Sep",
    "Okt",
    "Nov",
    "Des",
]


def digits(n: int, *parts: object) -> str:
    h = int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(h % 10**n).zfill(n)


def meta_publish_time(published_local: datetime, office_code: str) -> str:
    """``Publish time`` as Meta writes it: the instant on the US Pacific clock
    (``MM/DD/YYYY HH:MM``), whatever the office's zone."""
    from medsos.parsers.base import META_CLOCK
    from medsos.registry import load_offices

    office_zone = ZoneInfo(load_offices()[office_code].timezone)
    return f"{published_local.replace(tzinfo=office_zone).astimezone(META_CLOCK):%m/%d/%Y %H:%M}"


def meta_file_name(start: date, end: date, handle: str, platform: str) -> str:
    """Meta's download name: ``Feb-08-2024_Feb-18-2024_<16 digits>.csv``."""
    return f"{start:%b-%d-%Y}_{end:%b-%d-%Y}_{digits(16, platform, handle, start)}.csv"


def en_count(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


def id_count(n: int | None) -> str:
    return "" if n is None else f"{n:,}".replace(",", ".")


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], bom: bool = True, crlf: bool = False
) -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path
