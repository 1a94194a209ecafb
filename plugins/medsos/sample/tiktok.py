"""Sample writer: TikTok Studio ``Content.xlsx``: a ``Content`` sheet (one row per video,
lifetime numbers at the ``Time`` the report was generated) and a ``FollowerHistory``
sheet (one row per day of the window).

Headers are English whatever the UI language; day names follow the UI: ``12 Februari``
(Indonesian) or ``February 12`` (English), without a year, as TikTok writes them.
Counts are number cells, except large ones that come as text with thousands commas
(``"18,400"``). Followers are derived from the handle (a base that grows a few a day,
with small deterministic ups and downs, so a day can lose followers).

The workbook is written with fixed zip and document timestamps, so the same request
gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from medsos.sample._common import MONTHS_ID, digits
from medsos.sample.model import ExportRequest

CONTENT = [
    "Time",
    "Video title",
    "Video link",
    "Post time",
    "Total likes",
    "Total comments",
    "Total shares",
    "Total views",
]
FOLLOWERS = ["Date", "Followers", "Difference in followers from previous day"]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
TEXT_FROM = 10_000  # counts from here on are written as text '18,400'


def day_label(d: date, indonesian: bool) -> str:
    return (
        f"{d.day} {MONTHS_ID[d.month - 1]}" if indonesian else f"{MONTHS_EN[d.month - 1]} {d.day}"
    )


def _count(v: int | None) -> int | str | None:
    if v is None:
        return None
    return f"{v:,}" if v >= TEXT_FROM else v


def followers_on(handle: str, d: date) -> int:
    """Deterministic follower count of an account at the end of day ``d``."""
    base = 1500 + int(digits(4, "tiktok-followers", handle))
    growth = 2 + int(digits(1, "tiktok-growth", handle)) % 5
    wobble = int(digits(2, "tiktok-wobble", handle, d)) % 13 - 6
    return base + growth * (d - date(2020, 1, 1)).days + wobble


def write(request: ExportRequest, folder: Path) -> list[Path]:
    """``<folder>/Content.xlsx``."""
    from openpyxl import Workbook

    indonesian = request.language == "id"
    handle = request.account.handle
    wb = Workbook()
    ws = wb.active
    ws.title = "Content"
    ws.append(CONTENT)
    generated = f"{request.snapshot_local:%Y-%m-%d %H:%M:%S}"
    for r in request.rows:
        p, m = r.post, r.metrics
        link = p.permalink or (
            f"https://www.tiktok.com/@{handle}/{'photo' if p.post_type == 'carousel' else 'video'}/{p.post_id}"
        )
        ws.append(
            [
                generated,
                p.caption,
                link,
                day_label(p.published_local.date(), indonesian),
                _count(m.likes),
                _count(m.comments),
                _count(m.shares),
                _count(m.views),
            ]
        )
    fs = wb.create_sheet("FollowerHistory")
    fs.append(FOLLOWERS)
    day = request.window_start
    while day <= request.window_end:
        followers = followers_on(handle, day)
        fs.append(
            [
                day_label(day, indonesian),
                followers,
                followers - followers_on(handle, day - timedelta(days=1)),
            ]
        )
        day += timedelta(days=1)

    buffer = io.BytesIO()
    wb.save(buffer)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "Content.xlsx"
    path.write_bytes(_pin_times(buffer.getvalue(), request.snapshot_local))
    return [path]


def _pin_times(data: bytes, stamp: datetime) -> bytes:
    """openpyxl stamps the current time into the zip entries and docProps/core.xml; pin
    both to ``stamp`` so the same request writes identical bytes."""
    iso = f"{stamp:%Y-%m-%dT%H:%M:%S}Z".encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + iso + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
