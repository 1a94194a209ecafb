"""TikTok Studio analytics, per-video "Content" export, as XLSX (with a follower sheet)
or CSV.

The export has no video-id column: the id is taken from ``Video link``
(``/video/<id>`` or ``/photo/<id>`` for photo carousels). The id's top 32 bits are the
creation time in unix seconds, which gives an exact publish instant even where
``Post time`` is a day without a year (``8 Juli``, ``August 31``). ``Time`` is when the
report was generated: the snapshot time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from medsos.parsers.base import (
    CellError,
    FileContext,
    ParseResult,
    RawFile,
    RawSheet,
    Row,
    build_result,
    header_index,
    iter_rows,
    reject,
    require_columns,
    to_instant,
    to_local,
)

ALIASES = {
    "time": "generated",
    "video title": "title",
    "video link": "link",
    "post time": "published",
    "total likes": "likes",
    "total comments": "comments",
    "total shares": "shares",
    "total views": "views",
    "total play time": "play_time",
    "add to favorites": "saves",
    "total bookmarks": "saves",
    "reach": "reach",
    # Indonesian UI labels (provisional)
    "waktu": "generated",
    "judul video": "title",
    "tautan video": "link",
    "waktu posting": "published",
    "total suka": "likes",
    "total komentar": "comments",
    "total bagikan": "shares",
    "total tayangan": "views",
}
FOLLOWER_ALIASES = {
    "date": "date",
    "tanggal": "date",
    "followers": "followers",
    "pengikut": "followers",
    "difference in followers from previous day": "difference",
    "selisih pengikut dari hari sebelumnya": "difference",
}
LINK = re.compile(r"tiktok\.com/@([^/?#]+)/(video|photo)/(\d+)")
MONTHS = {
    "january": 1, "januari": 1, "february": 2, "februari": 2, "march": 3, "maret": 3,
    "april": 4, "may": 5, "mei": 5, "june": 6, "juni": 6, "july": 7, "juli": 7,
    "august": 8, "agustus": 8, "september": 9, "october": 10, "oktober": 10,
    "november": 11, "december": 12, "desember": 12,
}
GENERATED_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S")


def id_instant(video_id: str) -> datetime:
    """Creation instant stored in a TikTok id's top 32 bits."""
    return datetime.fromtimestamp(int(video_id) >> 32, tz=UTC)


def day_without_year(value: Any, reference: date) -> date:
    """``8 Juli`` / ``August 31`` / ``2024/02/12`` / a date cell; a missing year is the one
    that puts the day on or before ``reference`` (the export date) and within a year."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).strip().lower().replace(",", " ").split())
    m = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{1,2}) ([a-z]+)", text) or re.fullmatch(r"([a-z]+) (\d{1,2})", text)
    if not m:
        raise ValueError(f"not a day like '8 Juli' or 'August 31': {value!r}")
    day_s, month_s = (m.group(1), m.group(2)) if m.group(1).isdigit() else (m.group(2), m.group(1))
    if month_s not in MONTHS:
        raise ValueError(f"unknown month name in {value!r}")
    for year in (reference.year, reference.year - 1):
        try:
            d = date(year, MONTHS[month_s], int(day_s))
        except ValueError:
            continue
        if d <= reference + timedelta(days=1):
            return d
    raise ValueError(f"{value!r} does not fall in the year before the export date {reference}")


def _sheet(raw: RawFile, aliases: dict[str, str], required: set[str]) -> RawSheet | None:
    for sheet in raw.sheets:
        if required <= header_index(sheet, aliases).keys():
            return sheet
    return None


class TikTokContent:
    kind = "tiktok_content"
    platform = "tiktok"
    description = "TikTok Studio content export (XLSX or CSV with Video title, Video link, Post time, Total views)"

    def matches(self, raw: RawFile) -> bool:
        return _sheet(raw, ALIASES, {"link", "published", "views"}) is not None

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = _sheet(raw, ALIASES, {"link", "published", "views"})
        assert sheet is not None
        idx = header_index(sheet, ALIASES)
        require_columns(sheet, idx, {"link": "Video link"}, raw.relative_path, "a TikTok content export")
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        notes = []
        snapshot_at = ctx.snapshot_at
        for row in iter_rows(sheet, idx):
            video_id = None
            try:
                link = row.required_text("link")
                m = LINK.search(link)
                if not m:
                    raise CellError(row.header("link"), link, "not a TikTok video or photo link")
                handle, kind, video_id = m.group(1), m.group(2), m.group(3)
                generated = row.datetime("generated", GENERATED_FORMATS)
                row_snapshot = to_instant(generated, ctx.tz) if generated else snapshot_at
                instant = id_instant(video_id)
                local = to_local(instant, ctx.tz)
                self._check_post_time(row, local, row_snapshot, ctx, raw, notes)
                play = row.duration("play_time")
                records.append(
                    {
                        "platform": self.platform,
                        "office_code": ctx.office_code,
                        "account_handle": handle,
                        "post_id": video_id,
                        "published_at": instant,
                        "published_local": local,
                        "publish_time_precision": "second",
                        "post_type": "carousel" if kind == "photo" else "video",
                        "caption": row.text("title"),
                        "permalink": link,
                        "views": row.count("views"),
                        "reach": row.count("reach"),
                        "likes": row.count("likes"),
                        "comments": row.count("comments"),
                        "shares": row.count("shares"),
                        "saves": row.count("saves"),
                        "watch_time_hours": None if play is None else round(play / 3600, 6),
                        "metric_definition": "tiktok_studio_lifetime",
                        "snapshot_at": row_snapshot,
                        "source_file": raw.relative_path,
                        "source_sheet": sheet.name,
                        "source_row": row.number,
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, video_id))
        daily = self._followers(raw, ctx, snapshot_at, rejected)
        return build_result(self.kind, self.platform, raw, records, rejected, daily, notes)

    @staticmethod
    def _check_post_time(row: Row, local: datetime, snapshot: datetime, ctx, raw, notes) -> None:
        from medsos.parsers.base import Problem

        value = row.raw("published")
        if value in (None, ""):
            return
        try:
            day = day_without_year(value, to_local(snapshot, ctx.tz).date())
        except ValueError as exc:
            raise CellError(row.header("published"), value, str(exc)) from exc
        if abs((day - local.date()).days) > 1:
            notes.append(
                Problem(raw.relative_path, row.number, row.header("published"), str(value),
                        f"differs from the date in the video id ({local.date()}); the id is used")
            )

    @staticmethod
    def _followers(raw: RawFile, ctx: FileContext, snapshot_at: datetime, rejected: list) -> list[dict[str, Any]]:
        sheet = _sheet(raw, FOLLOWER_ALIASES, {"date", "followers"})
        if sheet is None:
            return []
        idx = header_index(sheet, FOLLOWER_ALIASES)
        reference = to_local(snapshot_at, ctx.tz).date()
        out = []
        for row in iter_rows(sheet, idx):
            try:
                raw_day = row.raw("date")
                try:
                    day = day_without_year(raw_day, reference)
                except ValueError as exc:
                    raise CellError(row.header("date"), raw_day, str(exc)) from exc
                diff = row.count("difference")
                out.append(
                    {
                        "platform": "tiktok",
                        "office_code": ctx.office_code,
                        "metric_date": datetime.combine(day, datetime.min.time()),
                        "followers": row.count("followers"),
                        "followers_gained": None if diff is None else max(diff, 0),
                        "followers_lost": None if diff is None else max(-diff, 0),
                        "metric_definition": "tiktok_follower_history",
                        "snapshot_at": snapshot_at,
                        "source_file": raw.relative_path,
                        "source_sheet": sheet.name,
                        "source_row": row.number,
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc))
        return out


PARSERS = [TikTokContent()]
