"""Sample writer: YouTube Studio advanced-mode ``Table data.csv`` (``Data tabel.csv`` in
Bahasa Indonesia): numbers for the selected range, the ``Total`` row first.

English numbers are plain (``504631``, ``42600.6525``) as in the real export; Indonesian
ones use ``1.234`` and ``"2275,0676"``. ``Video publish time`` is a date only:
``"Jan 6, 2024"`` (English) or ``6 Jan 2024`` (Indonesian; the real Indonesian form is
unconfirmed, platform-exports.md 3.3). Video ids that begin with ``-`` get the leading
space Studio gives them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from medsos.sample._common import MONTHS_ID_SHORT, id_count, write_csv
from medsos.sample.model import ExportRequest

HEADER_EN = [
    "Content",
    "Video title",
    "Video publish time",
    "Duration",
    "Views",
    "Watch time (hours)",
    "Likes",
    "Comments added",
    "Shares",
    "Thumbnail impressions",
]
HEADER_ID = [
    "Konten",
    "Judul video",
    "Waktu publikasi video",
    "Durasi",
    "Penayangan",
    "Waktu tonton (jam)",
    "Suka",
    "Komentar ditambahkan",
    "Dibagikan",
    "Tayangan",
]
METRICS = ("views", "watch_time_hours", "likes", "comments", "shares", "impressions")


def write(request: ExportRequest, folder: Path) -> list[Path]:
    """``<folder>/Table data.csv`` (English UI) or ``<folder>/Data tabel.csv`` (Indonesian)."""
    indonesian = request.language == "id"

    def count(v: int | None) -> str:
        if v is None:
            return ""
        return id_count(v) if indonesian else str(v)

    def hours(v: float | None) -> str:
        if v is None:
            return ""
        text = f"{v:.4f}"
        return text.replace(".", ",") if indonesian else text

    def day(d: date) -> str:
        return (
            f"{d.day} {MONTHS_ID_SHORT[d.month - 1]} {d.year}"
            if indonesian
            else f"{d:%b} {d.day}, {d.year}"
        )

    def cells(values: dict) -> list[str]:
        return [
            count(values["views"]),
            hours(values["watch_time_hours"]),
            count(values["likes"]),
            count(values["comments"]),
            count(values["shares"]),
            count(values["impressions"]),
        ]

    rows = []
    for r in request.rows:
        p, m = r.post, r.metrics
        video_id = f" {p.post_id}" if p.post_id.startswith("-") else p.post_id
        duration = "" if p.duration_seconds is None else f"{p.duration_seconds:g}"
        rows.append(
            [
                video_id,
                p.caption,
                day(p.published_local),
                duration,
                *cells({k: getattr(m, k) for k in METRICS}),
            ]
        )

    totals = {}
    for k in METRICS:
        present = [getattr(r.metrics, k) for r in request.rows if getattr(r.metrics, k) is not None]
        totals[k] = (
            None
            if not present
            else (round(sum(present), 4) if k == "watch_time_hours" else sum(present))
        )
    if not request.rows:
        totals = {k: 0 for k in METRICS}  # Studio shows a zero total for an empty range
    total_row = ["Total", "", "", "", *cells(totals)]

    name = "Data tabel.csv" if indonesian else "Table data.csv"
    header = HEADER_ID if indonesian else HEADER_EN
    return [write_csv(folder / name, header, [total_row, *rows], bom=False, crlf=False)]
