"""Sample writer: Meta Business Suite Facebook Page "Content" export.

Always the English UI (no real Indonesian Facebook header has been seen, see
platform-exports.md 1.2). UTF-8 with BOM, CRLF rows with ``\\n`` inside quoted captions,
the 35 columns of the 2025+ export, ``Lifetime`` in ``Date``, counts with thousands
commas (``"1,204"``), US-style ``Publish time`` on the US Pacific clock. Videos and reels carry a short
``Title`` (first caption line) and the whole caption in ``Description``, as real ones do;
the parser takes the longer of the two.
"""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import digits, en_count, meta_file_name, meta_publish_time, write_csv
from medsos.sample.model import ExportRequest, ExportRow

HEADER = [
    "Post ID",
    "Page ID",
    "Page name",
    "Title",
    "Description",
    "Duration (sec)",
    "Publish time",
    "Caption type",
    "Permalink",
    "Is crosspost",
    "Is share",
    "Post type",
    "Languages",
    "Custom labels",
    "Funded content status",
    "Data comment",
    "Date",
    "Views",
    "Reach",
    "Reactions, Comments and Shares",
    "Reactions",
    "Comments",
    "Shares",
    "Total clicks",
    "Matched Audience Targeting Consumption (Photo Click)",
    "Other Clicks",
    "Link Clicks",
    "Matched Audience Targeting Consumption (Video Click)",
    "Negative feedback from users: Hide all",
    "Seconds viewed",
    "Average Seconds viewed",
    "Estimated earnings (USD)",
    "Ad CPM (USD)",
    "Ad impressions",
]
LABELS = {
    "image": "Photos",
    "carousel": "Photos",
    "video": "Videos",
    "reel": "Reels",
    "short": "Reels",
    "story": "Stories",
    "live": "Live",
}


def _label(post_type: str, caption: str) -> str:
    if post_type == "text":
        return "Links" if "http" in caption or ".go.id" in caption else "Text"
    return LABELS[post_type]


def _row(request: ExportRequest, r: ExportRow, page_id: str) -> list[str]:
    p, m = r.post, r.metrics
    if p.post_type in ("video", "reel", "live", "short") and "\n" in p.caption:
        title, description = p.caption.split("\n", 1)[0], p.caption
    else:
        title, description = p.caption, ""
    seconds = None if m.watch_time_hours is None else round(m.watch_time_hours * 3600)
    average = "" if not seconds or not m.views else f"{seconds / m.views:.1f}"
    interactions = None
    if any(v is not None for v in (m.likes, m.comments, m.shares)):
        interactions = (m.likes or 0) + (m.comments or 0) + (m.shares or 0)
    clicks = None if m.views is None else m.views // 20
    photo = p.post_type in ("image", "carousel")
    return [
        p.post_id,
        page_id,
        request.account.display_name,
        title,
        description,
        "" if p.duration_seconds is None else f"{p.duration_seconds:g}",
        meta_publish_time(p.published_local, p.office_code),
        "",
        p.permalink,
        "No",
        "No",
        _label(p.post_type, p.caption),
        "",
        "",
        "",
        "",
        "Lifetime",
        en_count(m.views),
        en_count(m.reach),
        en_count(interactions),
        en_count(m.likes),
        en_count(m.comments),
        en_count(m.shares),
        en_count(clicks),
        en_count(clicks // 2 if clicks is not None and photo else None),
        en_count(None if clicks is None else clicks // 3),
        en_count(None if clicks is None else clicks // 6),
        en_count(clicks // 2 if clicks is not None and not photo else None),
        "",
        en_count(seconds),
        average,
        "",
        "",
        "",
    ]


def write(request: ExportRequest, folder: Path) -> list[Path]:
    """``<folder>/Mon-DD-YYYY_Mon-DD-YYYY_<16 digits>.csv`` for the request's window."""
    a = request.account
    page_id = a.account_id or "1000" + digits(11, "facebook-page", a.handle)
    rows = [_row(request, r, page_id) for r in request.rows]
    name = meta_file_name(request.window_start, request.window_end, a.handle, "facebook")
    return [write_csv(folder / name, HEADER, rows, bom=True, crlf=True)]
