"""Sample writer: Meta Business Suite Facebook content export (English UI)."""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import en_count, meta_file_name, write_csv
from medsos.sample.model import ExportRequest

HEADER = [
    "Post ID", "Page ID", "Page name", "Title", "Description", "Duration (sec)", "Publish time",
    "Caption type", "Permalink", "Is crosspost", "Is share", "Post type", "Languages",
    "Custom labels", "Funded content status", "Data comment", "Date", "Views", "Reach",
    "Reactions, Comments and Shares", "Reactions", "Comments", "Shares", "Total clicks",
    "Other Clicks", "Link Clicks", "Seconds viewed", "Average Seconds viewed",
]
LABELS = {"image": "Photos", "video": "Videos", "reel": "Reels", "text": "Links", "story": "Stories", "live": "Live"}


def write(request: ExportRequest, folder: Path) -> list[Path]:
    rows = []
    for r in request.rows:
        p, m = r.post, r.metrics
        seconds = None if m.watch_time_hours is None else round(m.watch_time_hours * 3600)
        rows.append(
            [
                p.post_id, request.account.account_id or "", request.account.display_name,
                p.caption, "", "" if p.duration_seconds is None else f"{p.duration_seconds:g}",
                f"{p.published_local:%m/%d/%Y %H:%M}", "", p.permalink, "No", "No", LABELS[p.post_type],
                "", "", "", "", "Lifetime", en_count(m.views), en_count(m.reach),
                en_count((m.likes or 0) + (m.comments or 0) + (m.shares or 0)),
                en_count(m.likes), en_count(m.comments), en_count(m.shares),
                en_count((m.views or 0) // 20), en_count((m.views or 0) // 30), en_count((m.views or 0) // 60),
                en_count(seconds), "" if not seconds or not m.views else f"{seconds / m.views:.1f}",
            ]
        )
    name = meta_file_name(request.window_start, request.window_end, request.account.handle, "facebook")
    return [write_csv(folder / name, HEADER, rows, bom=True)]
