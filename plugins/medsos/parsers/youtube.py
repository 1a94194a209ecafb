"""YouTube Studio, Analytics -> Advanced mode -> Export: ``Table data.csv``
(``Data tabel.csv`` with an Indonesian UI).

One row per video with numbers **for the selected date range** (not lifetime), old videos
included; row 2 is the ``Total`` row, which is not a video. ``Video publish time`` is a
date without a time (``Jan 6, 2024``), so those posts are placed by local date only.
In Indonesian Studio ``Penayangan`` = views and ``Tayangan`` = impressions, the opposite
of Meta's wording; this module's alias table is its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from medsos.parsers.base import (
    CellError,
    FileContext,
    ParseResult,
    RawFile,
    build_result,
    header_index,
    iter_rows,
    norm_header,
    reject,
    require_columns,
    to_instant,
)

ALIASES = {
    # English
    "content": "video_id",
    "video title": "title",
    "video publish time": "published",
    "duration": "duration",
    "views": "views",
    "watch time (hours)": "watch_hours",
    "likes": "likes",
    "comments added": "comments",
    "shares": "shares",
    "impressions": "impressions",
    "thumbnail impressions": "impressions",
    # Indonesian
    "konten": "video_id",
    "judul video": "title",
    "waktu publikasi video": "published",
    "durasi": "duration",
    "penayangan": "views",
    "waktu tonton (jam)": "watch_hours",
    "suka": "likes",
    "komentar ditambahkan": "comments",
    "pembagian": "shares",
    "dibagikan": "shares",
    "tayangan": "impressions",
    "tayangan thumbnail": "impressions",
}
INDONESIAN = {"konten", "judul video", "waktu publikasi video", "penayangan"}
TOTAL_LABELS = {"total", "jumlah"}
MONTHS_ID = {"Mei": "May", "Agu": "Aug", "Agt": "Aug", "Okt": "Oct", "Des": "Dec"}
DATE_FORMATS = ("%b %d, %Y", "%d %b %Y")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
SHORT_MAX_SECONDS = 60


def _publish(value: Any) -> tuple[datetime, str]:
    if isinstance(value, datetime):
        return value, "second"
    text = " ".join(str(value).split())
    for id_name, en_name in MONTHS_ID.items():
        text = text.replace(id_name, en_name)
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt), "second"
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt), "day"
        except ValueError:
            pass
    raise ValueError(f"not a publish date like 'Jan 6, 2024': {value!r}")


class YouTubeTableData:
    kind = "youtube_table_data"
    platform = "youtube"
    description = "YouTube Studio advanced-mode export 'Table data.csv' (Content, Video title, Video publish time)"

    def matches(self, raw: RawFile) -> bool:
        idx = header_index(raw.first_sheet(), ALIASES)
        return {"video_id", "title", "published"} <= idx.keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(
            sheet, idx, {"video_id": "Content", "published": "Video publish time"},
            raw.relative_path, "a YouTube table export",
        )
        id_locale = bool(INDONESIAN & {norm_header(h) for h in sheet.header})
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row in iter_rows(sheet, idx):
            video_id = (row.text("video_id") or "").strip()
            if video_id.lower() in TOTAL_LABELS:
                continue  # the channel total for the range, not a video
            try:
                if not video_id:
                    raise CellError(row.header("video_id"), None, "empty, a video id is required")
                raw_time = row.raw("published")
                try:
                    published, precision = _publish(raw_time)
                except ValueError as exc:
                    raise CellError(row.header("published"), raw_time, str(exc)) from exc
                duration = row.duration("duration")
                short = duration is not None and duration <= SHORT_MAX_SECONDS
                records.append(
                    {
                        "platform": self.platform,
                        "office_code": ctx.office_code,
                        "post_id": video_id,
                        "published_at": to_instant(published, ctx.tz),
                        "published_local": published,
                        "publish_time_precision": precision,
                        "post_type": "short" if short else "video",
                        "caption": row.text("title"),
                        "permalink": f"https://www.youtube.com/watch?v={video_id}",
                        "views": row.count("views", id_locale),
                        "impressions": row.count("impressions", id_locale),
                        "likes": row.count("likes", id_locale),
                        "comments": row.count("comments", id_locale),
                        "shares": row.count("shares", id_locale),
                        "duration_seconds": duration,
                        "watch_time_hours": row.decimal("watch_hours", id_locale),
                        "metric_definition": "youtube_studio_window",
                        "snapshot_at": ctx.snapshot_at,
                        "source_file": raw.relative_path,
                        "source_sheet": sheet.name,
                        "source_row": row.number,
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, video_id or None))
        return build_result(self.kind, self.platform, raw, records, rejected)


PARSERS = [YouTubeTableData()]
