"""YouTube Studio, Analytics -> Advanced mode -> Export: ``Table data.csv``
(``Data tabel.csv`` with an Indonesian UI).

One row per video with numbers **for the selected date range** (not lifetime), old videos
included; the first data row is the ``Total`` row, which is not a video and is skipped
silently. ``Video publish time`` is a date without a time (``Jan 6, 2024``), so those
posts are placed by local date only (precision ``day``); some exports carry
``2024-01-06 13:18:00`` (precision ``second``).

In Indonesian Studio ``Penayangan`` = views and ``Tayangan`` = impressions, the opposite
of Meta's wording; this module's alias table is its own. Indonesian files write
``1.234`` for thousands and ``2275,0676`` for decimals.

``Chart data.csv`` (one row per day per video) and ``Totals.csv`` (one row per day) are
not read yet: they carry a ``Date`` column, and a file with one is not a table export.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from medsos.parsers.base import (
    ApiPull,
    ApiPullParser,
    CellError,
    FileContext,
    ParseResult,
    RawFile,
    api_count,
    api_field,
    build_result,
    header_index,
    iter_rows,
    lineage,
    norm_header,
    parse_day_month,
    parse_utc,
    reject,
    require_columns,
    row_id,
    to_instant,
    to_local,
)

ALIASES_EN = {
    "content": "video_id",
    "video title": "title",
    "video publish time": "published",
    "duration": "duration",
    "views": "views",
    "watch time (hours)": "watch_hours",
    "likes": "likes",
    "comments added": "comments",
    "shares": "shares",
    "impressions": "impressions",  # older name
    "thumbnail impressions": "impressions",
    "date": "date",  # only in Chart data / Totals
}
ALIASES_ID = {
    "konten": "video_id",
    "judul video": "title",
    "waktu publikasi video": "published",
    "durasi": "duration",
    "penayangan": "views",  # YouTube's Penayangan = views
    "waktu tonton (jam)": "watch_hours",
    "suka": "likes",
    "komentar ditambahkan": "comments",
    "pembagian": "shares",
    "dibagikan": "shares",
    "tayangan": "impressions",  # YouTube's Tayangan = impressions (Meta's is views)
    "tayangan thumbnail": "impressions",
    "tanggal": "date",
}
ALIASES = {**ALIASES_EN, **ALIASES_ID}
INDONESIAN = set(ALIASES_ID) - set(ALIASES_EN)
TOTAL_LABELS = {"total", "jumlah", "totals"}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
# YouTube has no Shorts flag in exports or the API: a vertical video up to 60 s was a
# Short, and since 2024-10-15 up to 3 minutes. The rule is an inference, applied alike to
# Studio exports and API pulls.
SHORT_MAX_SECONDS = 60
SHORT_MAX_SECONDS_SINCE = (date(2024, 10, 15), 180)


def is_short(duration: float | None, published: date) -> bool:
    if duration is None:
        return False
    since, longer = SHORT_MAX_SECONDS_SINCE
    return duration <= (longer if published >= since else SHORT_MAX_SECONDS)
REQUIRED = {"video_id": "Content", "published": "Video publish time"}


def publish_time(value: Any) -> tuple[datetime, str]:
    """``(local time, precision)`` from ``Video publish time``."""
    if isinstance(value, datetime):
        precision = "day" if (value.hour, value.minute, value.second) == (0, 0, 0) else "second"
        return value.replace(tzinfo=None), precision
    text = " ".join(str(value).split())
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt), "second"
        except ValueError:
            pass
    try:
        year, month, day = parse_day_month(text)  # 'Jan 6, 2024' (also '6 Jan 2024', '6 Agu 2024')
    except ValueError:
        year = None
    if year is None:
        raise ValueError(f"not a publish date like 'Jan 6, 2024': {value!r}")
    return datetime(year, month, day), "day"


class YouTubeTableData:
    kind = "youtube_table_data"
    platform = "youtube"
    description = (
        "YouTube Studio advanced-mode export 'Table data.csv' / 'Data tabel.csv' "
        "(Content, Video title, Video publish time, one row per video)"
    )

    def matches(self, raw: RawFile) -> bool:
        idx = header_index(raw.first_sheet(), ALIASES)
        return {"video_id", "title", "published"} <= idx.keys() and "date" not in idx

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(sheet, idx, REQUIRED, raw.relative_path, "a YouTube table export")
        id_locale = any(norm_header(h) in INDONESIAN for h in sheet.header)
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row in iter_rows(sheet, idx):
            video_id = (row.text("video_id") or "").strip()
            if video_id.lower() in TOTAL_LABELS:
                continue  # the channel total for the range, not a video
            try:
                video_id = row_id(row, "video_id", digits_only=False)
                raw_time = row.raw("published")
                try:
                    published, precision = publish_time(raw_time)
                except ValueError as exc:
                    raise CellError(row.header("published"), raw_time, str(exc)) from exc
                duration = row.duration("duration")
                short = is_short(duration, published.date())
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
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
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, video_id or None))
        return build_result(self.kind, self.platform, raw, records, rejected)


class _YouTubeAcknowledged:
    """A YouTube Studio export recognised but carrying nothing loaded yet: empty result."""

    kind = ""
    platform = "youtube"
    description = ""
    lists_posts = False  # not a delivery: a week with only these files is still "missing"
    _exact: tuple[str, ...] = ()

    def matches(self, raw: RawFile) -> bool:
        return tuple(norm_header(h) for h in raw.first_sheet().header) == self._exact

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        return build_result(self.kind, self.platform, raw, [], [])


class YouTubeChartData(_YouTubeAcknowledged):
    """'Chart data.csv': one row per day per video. Recognised; not loaded for now."""

    kind = "youtube_chart_data"
    description = "YouTube Studio 'Chart data.csv' (Date, Content, Video title, …, per day per video)"
    _exact = ("date", "content", "video title", "video publish time", "duration", "views")

    def matches(self, raw: RawFile) -> bool:
        h = tuple(norm_header(x) for x in raw.first_sheet().header)
        return h[:4] == self._exact[:4]


class YouTubeTotals(_YouTubeAcknowledged):
    """'Totals.csv': channel views per day. Not followers, so nothing is loaded."""

    kind = "youtube_totals"
    description = "YouTube Studio 'Totals.csv' (Date, Views per day for the channel)"
    _exact = ("date", "views")


PARSERS = [YouTubeTableData(), YouTubeChartData(), YouTubeTotals()]


_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def iso_duration_seconds(value: Any, name: str = "duration") -> float | None:
    """``PT4M7S``, ``PT1H2M3S``, ``P1DT2H``; ``P0D`` (an upcoming live) is unknown."""
    if value is None:
        return None
    m = _ISO_DURATION.match(str(value).strip())
    if not m or str(value).strip() in ("P", "PT"):
        raise ValueError(f"{name} is not an ISO-8601 duration: {value!r}")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    return total or None


class YouTubeApi(ApiPullParser):
    """A Data API v3 pull of a channel (``medsos.api.youtube``): the week's uploads with
    lifetime views, likes and comments (strings in the API; absent when the channel
    hides likes or closed comments, which stays NULL), and the subscriber count.

    The API has no Shorts flag: ``is_short`` decides by duration, the same rule as for
    Studio exports."""

    kind = "youtube_api"
    platform = "youtube"
    description = "YouTube Data API pull (medsos JSON lines, api/youtube/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("channels"):
            for item in resp.body.get("items") or []:
                stats = item.get("statistics") or {}
                pull.account_id = item.get("id") or pull.account_id
                hidden = bool(stats.get("hiddenSubscriberCount"))
                try:
                    followers = None if hidden else api_count(stats.get("subscriberCount"), "statistics.subscriberCount")
                except ValueError as exc:
                    pull.reject(resp, "statistics.subscriberCount", stats.get("subscriberCount"), str(exc))
                    continue
                pull.day(resp, followers=followers, definition="youtube_data_api_subscribers")
        for resp, where, item in pull.listed("videos", "items"):
            video_id = str(item.get("id") or "")
            try:
                if not video_id or any(c.isspace() for c in video_id):
                    raise CellError(f"{where}.id", item.get("id"), "not a YouTube video id")
                snippet, stats = item.get("snippet") or {}, item.get("statistics") or {}
                details = item.get("contentDetails") or {}
                published = api_field(parse_utc, snippet.get("publishedAt"), f"{where}.snippet.publishedAt")
                duration = api_field(iso_duration_seconds, details.get("duration"), f"{where}.contentDetails.duration")
                live = str(snippet.get("liveBroadcastContent") or "none") != "none"
                short = not live and is_short(duration, to_local(published, pull.ctx.tz).date())
                pull.post(
                    resp, post_id=video_id, published_at=published,
                    post_type="live" if live else "short" if short else "video",
                    caption=snippet.get("title"),
                    permalink=f"https://www.youtube.com/{'shorts/' if short else 'watch?v='}{video_id}",
                    views=api_field(api_count, stats.get("viewCount"), f"{where}.statistics.viewCount"),
                    likes=api_field(api_count, stats.get("likeCount"), f"{where}.statistics.likeCount"),
                    comments=api_field(api_count, stats.get("commentCount"), f"{where}.statistics.commentCount"),
                    duration_seconds=duration,
                    metric_definition="youtube_data_api_lifetime",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, video_id or None)


PARSERS.append(YouTubeApi())
