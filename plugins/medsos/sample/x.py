"""Sample writer: X (2024+) account analytics content export,
``account_analytics_content_<YYYY-MM-DD>_<YYYY-MM-DD>.csv``.

English headers whatever the UI language (as in the real file), UTF-8 without BOM,
``Date`` as ``"Tue, Jul 14, 2026"`` (day only; the parser takes the time from the post
id), ``Post Link`` ``https://x.com/<handle>/status/<id>``, counts with thousands commas.
The plan's ``shares`` are split between ``Reposts`` and ``Shares``; the parser adds them
back together.
"""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import en_count, write_csv
from medsos.sample.model import ExportRequest, ExportRow

HEADER = [
    "Post id",
    "Date",
    "Post text",
    "Post Link",
    "Impressions",
    "Likes",
    "Engagements",
    "Bookmarks",
    "Shares",
    "New follows",
    "Replies",
    "Reposts",
    "Profile visits",
    "Detail Expands",
    "URL Clicks",
    "Hashtag Clicks",
    "Permalink Clicks",
]


def _row(request: ExportRequest, r: ExportRow) -> list[str]:
    p, m = r.post, r.metrics
    link_shares = None if m.shares is None else m.shares // 4
    reposts = None if m.shares is None or link_shares is None else m.shares - link_shares
    engagements = (m.likes or 0) + (m.comments or 0) + (m.shares or 0) + (m.saves or 0)
    expands = None if m.impressions is None else m.impressions // 50
    day = p.published_local
    link = p.permalink or f"https://x.com/{request.account.handle}/status/{p.post_id}"
    return [
        p.post_id,
        f"{day:%a, %b} {day.day}, {day.year}",
        p.caption,
        link,
        en_count(m.impressions),
        en_count(m.likes),
        en_count(engagements),
        en_count(m.saves),
        en_count(link_shares),
        "0",
        en_count(m.comments),
        en_count(reposts),
        "0",
        en_count(expands),
        "0",
        "0",
        "0",
    ]


def write(request: ExportRequest, folder: Path) -> list[Path]:
    """``<folder>/account_analytics_content_<from>_<to>.csv`` for the request's window."""
    rows = [_row(request, r) for r in request.rows]
    name = f"account_analytics_content_{request.window_start:%Y-%m-%d}_{request.window_end:%Y-%m-%d}.csv"
    return [write_csv(folder / name, HEADER, rows, bom=False, crlf=False)]
