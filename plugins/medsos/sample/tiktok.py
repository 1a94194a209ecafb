"""Sample writer: TikTok Studio ``Content.xlsx`` with a ``Content`` sheet and a
``FollowerHistory`` sheet (days without a year, Indonesian month names)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from medsos.sample._common import MONTHS_ID, digits
from medsos.sample.model import ExportRequest

CONTENT = ["Time", "Video title", "Video link", "Post time", "Total likes", "Total comments",
           "Total shares", "Total views"]
FOLLOWERS = ["Date", "Followers", "Difference in followers from previous day"]


def _day(d) -> str:
    return f"{d.day} {MONTHS_ID[d.month - 1]}"


def write(request: ExportRequest, folder: Path) -> list[Path]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Content"
    ws.append(CONTENT)
    generated = f"{request.snapshot_local:%Y-%m-%d %H:%M:%S}"
    for r in request.rows:
        p, m = r.post, r.metrics
        ws.append([generated, p.caption, p.permalink, _day(p.published_local), m.likes, m.comments, m.shares, m.views])
    fs = wb.create_sheet("FollowerHistory")
    fs.append(FOLLOWERS)
    base = 1500 + int(digits(4, request.account.handle))
    day = request.window_start
    previous = None
    while day <= request.window_end:
        followers = base + (day - request.window_start.replace(month=1, day=1)).days * 3 + int(digits(1, request.account.handle, day))
        fs.append([_day(day), followers, 0 if previous is None else followers - previous])
        previous = followers
        day += timedelta(days=1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "Content.xlsx"
    wb.save(path)
    _fix_zip_times(path)
    return [path]


def _fix_zip_times(path: Path) -> None:
    """openpyxl stamps the current time into the zip and docProps; pin both so the same
    plan writes identical bytes."""
    import zipfile

    entries = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            data = zf.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2024-01-01T00:00:00Z<", data)
            entries.append((info.filename, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
