"""TikTok Studio analytics exports.

``tiktok_content``: the per-video "Content" export, as a workbook (``Content.xlsx``, sheet
``Content``, possibly with a ``FollowerHistory`` sheet) or as CSV (UTF-8 with BOM)::

    Time,Video title,Video link,Post time,Total likes,Total comments,Total shares,Total views

- There is no video-id column: the id comes from ``Video link`` (``/video/<id>``, or
  ``/photo/<id>`` for photo carousels), and so does the account handle (``/@<handle>/``).
- The id's top 32 bits are the creation time in unix seconds: the exact publish instant.
  ``Post time`` is a day, often without a year (``8 Juli``, ``August 31``, ``2024/02/12``
  or a date cell); it is only cross-checked, and a disagreement of more than a day is
  reported while the id's time is kept.
- ``Time`` is when the report was generated (office local time): the snapshot time.
- Counts may be ``"18,400"`` or ``1.2K``; ``undefined`` is unknown, never 0.

``tiktok_follower_history``: a ``FollowerHistory`` file on its own
(``Date,Followers,Difference in followers from previous day``), as in the legacy ZIP.
Follower days carry no year either: it is the one that puts the day within the year
before the snapshot.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from medsos.parsers.base import (
    AcknowledgedExport,
    ApiPull,
    ApiPullParser,
    CellError,
    FileContext,
    ParseResult,
    Problem,
    RawFile,
    RawSheet,
    Row,
    api_count,
    api_field,
    api_id_check,
    build_result,
    collect_rows,
    daily_record,
    excel_serial_to_datetime,
    header_index,
    infer_year,
    is_missing,
    iter_rows,
    lineage,
    most_common,
    parse_day_month,
    parse_fixed_datetime,
    reject,
    require_columns,
    split_delta,
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
    # PROVISIONAL Indonesian labels: the one real data point (platform-exports.md 4.3)
    # says headers stay English in an Indonesian UI; these are Studio's UI words.
    "waktu": "generated",
    "judul video": "title",
    "tautan video": "link",
    "waktu posting": "published",
    "total suka": "likes",
    "total komentar": "comments",
    "total bagikan": "shares",
    "total tayangan": "views",
}
CONTENT_REQUIRED = {"link", "published", "views"}
FOLLOWER_ALIASES = {
    "date": "date",
    "tanggal": "date",
    "followers": "followers",
    "pengikut": "followers",
    "difference in followers from previous day": "difference",
    "selisih pengikut dari hari sebelumnya": "difference",  # provisional
}
FOLLOWER_REQUIRED = {"date", "followers", "difference"}
LINK = re.compile(r"tiktok\.com/@([^/?#]+)/(video|photo)/(\d+)")
GENERATED_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def id_instant(video_id: str) -> datetime:
    """Creation instant stored in a TikTok id's top 32 bits."""
    return datetime.fromtimestamp(int(video_id) >> 32, tz=UTC)


def day_of(value: Any, reference: date) -> date:
    """A TikTok day: ``8 Juli`` / ``August 31`` (year inferred from ``reference``, the
    export date), ``2024/02/12``, ``2024-02-12`` or a date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value)).date()
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    year, month, day = parse_day_month(text)
    return date(year, month, day) if year else infer_year(month, day, reference)


def _find_sheet(raw: RawFile, aliases: dict[str, str], required: set[str]) -> RawSheet | None:
    for sheet in raw.sheets:
        if required <= header_index(sheet, aliases).keys():
            return sheet
    return None


def _followers(
    raw: RawFile, sheet: RawSheet, ctx: FileContext, snapshot_at: datetime, handle: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reference = to_local(snapshot_at, ctx.tz).date()

    def make(row: Row) -> dict[str, Any]:
        gained, lost = split_delta(row.count("difference"))
        return daily_record("tiktok", ctx, raw, sheet, row, _row_day(row, reference), definition="tiktok_follower_history",
                            followers=row.count("followers"), gained=gained, lost=lost,
                            handle=handle, snapshot_at=snapshot_at)

    return collect_rows(sheet, header_index(sheet, FOLLOWER_ALIASES), make)


def _row_day(row: Row, reference: date) -> date:
    value = row.raw("date")
    try:
        return day_of(value, reference)
    except ValueError as exc:
        raise CellError(row.header("date"), value, str(exc)) from exc


class TikTokContent:
    kind = "tiktok_content"
    platform = "tiktok"
    description = (
        "TikTok Studio content export (Content.xlsx or CSV with Time, Video title, Video link, "
        "Post time, Total views)"
    )

    def matches(self, raw: RawFile) -> bool:
        return _find_sheet(raw, ALIASES, CONTENT_REQUIRED) is not None

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = _find_sheet(raw, ALIASES, CONTENT_REQUIRED) or raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(
            sheet, idx, {"link": "Video link", "published": "Post time", "views": "Total views"},
            raw.relative_path, "a TikTok content export",
        )
        file_snapshot = self._file_snapshot(sheet, idx, ctx)
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        notes: list[Problem] = []
        for row in iter_rows(sheet, idx):
            video_id = None
            try:
                link = row.required_text("link")
                m = LINK.search(link)
                if not m:
                    raise CellError(row.header("link"), link, "not a TikTok video or photo link")
                handle, media, video_id = m.group(1), m.group(2), m.group(3)
                generated = row.datetime("generated", GENERATED_FORMATS)
                snapshot_at = to_instant(generated, ctx.tz) if generated else file_snapshot
                try:
                    instant = id_instant(video_id)
                except (ValueError, OverflowError, OSError) as exc:
                    raise CellError(row.header("link"), link, f"the video id holds no valid creation time ({exc})") from exc
                local = to_local(instant, ctx.tz)
                note = self._check_post_time(row, raw, local, to_local(snapshot_at, ctx.tz).date())
                play = row.duration("play_time")
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": handle,
                        "post_id": video_id,
                        "published_at": instant,
                        "published_local": local,
                        "publish_time_precision": "second",
                        "post_type": "carousel" if media == "photo" else "video",
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
                        "snapshot_at": snapshot_at,
                    }
                )
                if note:
                    notes.append(note)
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, video_id))
        daily: list[dict[str, Any]] = []
        follower_sheet = _find_sheet(raw, FOLLOWER_ALIASES, FOLLOWER_REQUIRED)
        if follower_sheet is not None and follower_sheet is not sheet:
            handle = most_common([r["account_handle"] for r in records])
            daily, bad = _followers(raw, follower_sheet, ctx, file_snapshot, handle)
            rejected += bad
        return build_result(self.kind, self.platform, raw, records, rejected, daily, notes)

    @staticmethod
    def _file_snapshot(sheet: RawSheet, idx: dict[str, int], ctx: FileContext) -> datetime:
        """The latest readable ``Time`` in the sheet (when the report was generated), else
        the delivery's snapshot time."""
        times = []
        for row in iter_rows(sheet, idx):
            value = row.raw("generated")
            if is_missing(value):
                continue
            try:
                times.append(parse_fixed_datetime(value, GENERATED_FORMATS))
            except ValueError:
                continue  # reported on the row itself
        return to_instant(max(times), ctx.tz) if times else ctx.snapshot_at

    @staticmethod
    def _check_post_time(row: Row, raw: RawFile, local: datetime, reference: date) -> Problem | None:
        value = row.raw("published")
        if is_missing(value):
            return None
        try:
            day = day_of(value, reference)
        except ValueError as exc:
            raise CellError(row.header("published"), value, str(exc)) from exc
        if abs((day - local.date()).days) > 1:
            return Problem(
                raw.relative_path, row.number, row.header("published"), str(value),
                f"differs from the day in the video id ({local.date()}); the id's time is used",
            )
        return None


class TikTokFollowerHistory:
    kind = "tiktok_follower_history"
    platform = "tiktok"
    lists_posts = False  # account figures only: not a delivery of the week's posts
    description = "TikTok FollowerHistory export (Date, Followers, Difference in followers from previous day)"

    def matches(self, raw: RawFile) -> bool:
        return (
            _find_sheet(raw, ALIASES, CONTENT_REQUIRED) is None
            and _find_sheet(raw, FOLLOWER_ALIASES, FOLLOWER_REQUIRED) is not None
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = _find_sheet(raw, FOLLOWER_ALIASES, FOLLOWER_REQUIRED)
        if sheet is None:
            sheet = raw.first_sheet()
            require_columns(
                sheet, header_index(sheet, FOLLOWER_ALIASES),
                {"date": "Date", "followers": "Followers", "difference": "Difference in followers from previous day"},
                raw.relative_path, "a TikTok follower history",
            )
        daily, rejected = _followers(raw, sheet, ctx, ctx.snapshot_at, None)
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


OVERVIEW_ALIASES = {
    "date": "date",
    "tanggal": "date",
    "video views": "views",
    "new followers": "gained",
    "lost followers": "lost",
    "net growth": "net",
    "pengikut baru": "gained",  # provisional Studio UI words
    "pengikut hilang": "lost",
}


class TikTokStudioOverview:
    """TikTok Studio Overview (CSV with BOM or ``Overview.xlsx``): one row per day with
    ``New followers`` / ``Lost followers``; dates ``2026/05/10``."""

    kind = "tiktok_overview"
    platform = "tiktok"
    lists_posts = False
    description = "TikTok Studio Overview export (Date, Video views, …, Net growth, New followers, Lost followers)"

    def _sheet(self, raw: RawFile) -> RawSheet | None:
        return _find_sheet(raw, OVERVIEW_ALIASES, {"date", "views", "gained", "lost"})

    def matches(self, raw: RawFile) -> bool:
        return _find_sheet(raw, ALIASES, CONTENT_REQUIRED) is None and self._sheet(raw) is not None

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = self._sheet(raw) or raw.first_sheet()
        reference = to_local(ctx.snapshot_at, ctx.tz).date()
        daily, rejected = collect_rows(sheet, header_index(sheet, OVERVIEW_ALIASES), lambda row: daily_record(
            self.platform, ctx, raw, sheet, row, _row_day(row, reference), definition="tiktok_studio_overview",
            gained=row.count("gained"), lost=row.count("lost")))
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


def _legacy(kind: str, headers: tuple[str, ...], what: str) -> AcknowledgedExport:
    parser = AcknowledgedExport()
    parser.kind, parser.platform, parser.headers = kind, "tiktok", headers
    parser.description = f"TikTok legacy analytics '{what}' (inside the downloaded ZIP)"
    # Meta's demographic files share these headers but are UTF-16; TikTok's are UTF-8.
    parser.encodings = ("utf-8", "utf-8-sig", "xlsx")
    return parser


# The legacy ZIP's other files: account-level views and audience shares, which the weekly
# evaluation does not use. Recognised so that a whole ZIP loads without rejections.
LEGACY_ACKNOWLEDGED = [
    _legacy("tiktok_legacy_overview", ("date", "video views", "profile views", "likes", "comments", "shares"), "Overview.csv"),
    _legacy("tiktok_legacy_viewers", ("date", "total viewers", "new viewers", "returning viewers"), "Viewers.csv"),
    _legacy("tiktok_legacy_follower_gender", ("gender", "distribution"), "FollowerGender.csv"),
    _legacy("tiktok_legacy_follower_territories", ("top territories", "distribution"), "FollowerTopTerritories.csv"),
]

PARSERS = [TikTokContent(), TikTokFollowerHistory(), TikTokStudioOverview(), *LEGACY_ACKNOWLEDGED]


class TikTokApi(ApiPullParser):
    """A Display API v2 pull (``medsos.api.tiktok``): the week's public videos with
    lifetime views, likes, comments and shares, and the follower count. The API has no
    reach, impressions or watch time: those stay NULL. Videos older than the week (the
    last page reaches back) are left out."""

    kind = "tiktok_api"
    platform = "tiktok"
    description = "TikTok Display API pull (medsos JSON lines, api/tiktok/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("user_info"):
            user = (resp.body.get("data") or {}).get("user") or {}
            pull.handle = user.get("username") or pull.handle
            pull.followers(resp, user.get("follower_count"), "data.user.follower_count", "tiktok_display_api_followers")
        start, end = pull.window()
        for resp, where, video in pull.listed("video_list", "data.videos"):
            video_id = str(video.get("id") or "")
            try:
                api_id_check(video_id, video.get("id"), f"{where}.id", "a TikTok video id")
                created = api_field(api_count, video.get("create_time"), f"{where}.create_time")
                if created is None:
                    raise CellError(f"{where}.create_time", None, "missing, a publish time is required")
                published = datetime.fromtimestamp(created, tz=UTC)
                if not start <= published < end:
                    continue
                pull.post(
                    resp, post_id=video_id, published_at=published, post_type="video",
                    caption=video.get("video_description") or video.get("title"),
                    permalink=video.get("share_url"),
                    views=api_field(api_count, video.get("view_count"), f"{where}.view_count"),
                    likes=api_field(api_count, video.get("like_count"), f"{where}.like_count"),
                    comments=api_field(api_count, video.get("comment_count"), f"{where}.comment_count"),
                    shares=api_field(api_count, video.get("share_count"), f"{where}.share_count"),
                    duration_seconds=api_field(api_count, video.get("duration"), f"{where}.duration"),
                    metric_definition="tiktok_display_api_lifetime",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, video_id or None)


PARSERS.append(TikTokApi())
