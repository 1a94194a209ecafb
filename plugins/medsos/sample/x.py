"""Sample writer: X account analytics content export."""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import en_count, write_csv
from medsos.sample.model import ExportRequest

HEADER = ["Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks",
          "Shares", "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks",
          "Hashtag Clicks", "Permalink Clicks"]


def write(request: ExportRequest, folder: Path) -> list[Path]:
    rows = []
    for r in request.rows:
        p, m = r.post, r.metrics
        shares = m.shares or 0
        link_shares = shares // 4
        engagements = (m.likes or 0) + (m.comments or 0) + shares + (m.saves or 0)
        rows.append([
            p.post_id, f"{p.published_local:%a, %b} {p.published_local.day}, {p.published_local.year}",
            p.caption, p.permalink, en_count(m.impressions), en_count(m.likes), en_count(engagements),
            en_count(m.saves), en_count(link_shares), "0", en_count(m.comments), en_count(shares - link_shares),
            "0", en_count((m.impressions or 0) // 50), "0", "0", "0",
        ])
    name = f"account_analytics_content_{request.window_start:%Y-%m-%d}_{request.window_end:%Y-%m-%d}.csv"
    return [write_csv(folder / name, HEADER, rows, bom=False)]
