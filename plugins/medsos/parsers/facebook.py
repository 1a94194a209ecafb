"""Meta Business Suite: Facebook Page "Content" export (Insights -> Content -> Export).

UTF-8 with BOM, header in row 1, one row per post with lifetime-to-date numbers
(``Date`` = ``Lifetime``). ``Publish time`` is US-style ``MM/DD/YYYY HH:MM`` without an
offset, read in the office's zone. The 2025+ export has ``Views``/``Reach``; the older
one ``Impressions``/``People Reached``, a different metric, kept apart as
``meta_impressions_legacy``.
"""

from __future__ import annotations

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

META_TIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")

ALIASES = {
    # English
    "post id": "post_id",
    "page id": "page_id",
    "page name": "page_name",
    "title": "title",
    "description": "description",
    "duration (sec)": "duration",
    "publish time": "published",
    "permalink": "permalink",
    "post type": "post_type",
    "date": "date_scope",
    "views": "views",
    "reach": "reach",
    "impressions": "impressions",
    "people reached": "reach_legacy",
    "reactions": "likes",
    "likes": "likes_legacy",
    "comments": "comments",
    "shares": "shares",
    "seconds viewed": "seconds_viewed",
    # Indonesian (provisional: no real ID-locale Facebook export seen yet, see
    # platform-exports.md 1.2; the first real one becomes the fixture)
    "id postingan": "post_id",
    "id halaman": "page_id",
    "nama halaman": "page_name",
    "judul": "title",
    "deskripsi": "description",
    "durasi (detik)": "duration",
    "waktu penerbitan": "published",
    "jenis postingan": "post_type",
    "tanggal": "date_scope",
    "tayangan": "views",
    "jangkauan": "reach",
    "tanggapan": "likes",
    "komentar": "comments",
    "frekuensi dibagikan": "shares",
    "detik ditonton": "seconds_viewed",
}
INDONESIAN = {"id postingan", "id halaman", "waktu penerbitan", "jenis postingan"}

POST_TYPES = {
    "photos": "image", "photo": "image", "foto": "image",
    "videos": "video", "video": "video",
    "reels": "reel", "reel": "reel",
    "links": "text", "link": "text", "tautan": "text",
    "text": "text", "status": "text", "teks": "text",
    "stories": "story", "story": "story", "cerita": "story",
    "live": "live", "siaran langsung": "live",
}


class FacebookContent:
    kind = "facebook_content"
    platform = "facebook"
    description = "Meta Business Suite Facebook content export (CSV with Post ID, Page ID, Publish time, Permalink)"

    def matches(self, raw: RawFile) -> bool:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        return {"post_id", "page_id", "published", "permalink"} <= idx.keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(
            sheet, idx,
            {"post_id": "Post ID", "published": "Publish time", "post_type": "Post type"},
            raw.relative_path, "a Facebook content export",
        )
        id_locale = bool(INDONESIAN & {norm_header(h) for h in sheet.header})
        legacy = "views" not in idx and "impressions" in idx
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                post_id = row.required_text("post_id")
                published = row.datetime("published", META_TIME_FORMATS)
                if published is None:
                    raise CellError(row.header("published"), None, "empty, a publish time is required")
                label = (row.text("post_type") or "").strip().lower()
                if label not in POST_TYPES:
                    raise CellError(row.header("post_type"), row.raw("post_type"), "unknown Facebook post type")
                title, desc = row.text("title") or "", row.text("description") or ""
                seconds = row.count("seconds_viewed")
                records.append(
                    {
                        "platform": self.platform,
                        "office_code": ctx.office_code,
                        "account_handle": row.text("page_name"),
                        "account_id": row.text("page_id"),
                        "post_id": post_id,
                        "published_at": to_instant(published, ctx.tz),
                        "published_local": published.replace(tzinfo=None),
                        "publish_time_precision": "minute",
                        "post_type": POST_TYPES[label],
                        "caption": (title if len(title) >= len(desc) else desc) or None,
                        "permalink": row.text("permalink"),
                        "views": None if legacy else row.count("views", id_locale),
                        "reach": row.count("reach_legacy" if legacy else "reach", id_locale),
                        "impressions": row.count("impressions", id_locale) if legacy else None,
                        "likes": row.count("likes" if row.has("likes") else "likes_legacy", id_locale),
                        "comments": row.count("comments", id_locale),
                        "shares": row.count("shares", id_locale),
                        "duration_seconds": row.duration("duration"),
                        "watch_time_hours": None if seconds is None else round(seconds / 3600, 6),
                        "metric_definition": "meta_impressions_legacy" if legacy else "meta_views_2025",
                        "snapshot_at": ctx.snapshot_at,
                        "source_file": raw.relative_path,
                        "source_sheet": sheet.name,
                        "source_row": row.number,
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected)


PARSERS = [FacebookContent()]
