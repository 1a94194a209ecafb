"""Sample writer: YouTube Studio advanced-mode ``Table data.csv`` (``Data tabel.csv`` in
Bahasa Indonesia), numbers for the selected range, ``Total`` row first."""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import MONTHS_ID_SHORT, en_count, id_count, write_csv
from medsos.sample.model import ExportRequest

HEADER_EN = ["Content", "Video title", "Video publish time", "Duration", "Views", "Watch time (hours)",
             "Likes", "Comments added", "Shares", "Thumbnail impressions"]
HEADER_ID = ["Konten", "Judul video", "Waktu publikasi video", "Durasi", "Penayangan", "Waktu tonton (jam)",
             "Suka", "Komentar ditambahkan", "Dibagikan", "Tayangan"]


def write(request: ExportRequest, folder: Path) -> list[Path]:
    indonesian = request.language == "id"
    count = id_count if indonesian else en_count

    def hours(v: float | None) -> str:
        if v is None:
            return ""
        text = f"{v:.4f}"
        return text.replace(".", ",") if indonesian else text

    def day(d) -> str:
        return f"{d.day} {MONTHS_ID_SHORT[d.month - 1]} {d.year}" if indonesian else f"{d:%b} {d.day}, {d.year}"

    rows = []
    for r in request.rows:
        p, m = r.post, r.metrics
        rows.append([
            p.post_id, p.caption, day(p.published_local), f"{p.duration_seconds:g}" if p.duration_seconds else "",
            count(m.views), hours(m.watch_time_hours), count(m.likes), count(m.comments), count(m.shares),
            count(m.impressions),
        ])

    total_row = [
        "Total", "", "", "",
        count(sum(r.metrics.views or 0 for r in request.rows)),
        hours(sum(r.metrics.watch_time_hours or 0 for r in request.rows)),
        count(sum(r.metrics.likes or 0 for r in request.rows)),
        count(sum(r.metrics.comments or 0 for r in request.rows)),
        count(sum(r.metrics.shares or 0 for r in request.rows)),
        count(sum(r.metrics.impressions or 0 for r in request.rows)),
    ]
    name = "Data tabel.csv" if indonesian else "Table data.csv"
    return [write_csv(folder / name, HEADER_ID if indonesian else HEADER_EN, [total_row, *rows], bom=False)]
