"""YouTube Studio, Analytics -> Advanced mode -> Export: ``Table data.csv``
(``Data tabel.csv`` with an Indonesian UI), ``Chart data.csv`` and ``Totals.csv``.

``Table data.csv``: one row per video with numbers **for the selected date range** (not
lifetime), old videos included. The columns after the first four are whatever metrics the
admin chose, in any order (a real file has 22, ``Engaged views`` first and ``Views`` much
later): columns are found by name, and ``views`` is read from ``Views`` only, never from
``Engaged views`` (a different count). The first data row is the ``Total`` row, the
channel total for the range: it is no video and is counted as a skipped row (``ParseResult
.skipped``), so rows in the file = posts + quarantined + skipped. A video id that begins with
``-`` is written with a leading space (`` -jBLlV16Dko``); the id is read without it.

``Video publish time`` is a date without a time (``Jan 6, 2024``): the day as Studio shows
it, in the channel's zone, which for an office's channel is taken to be the office's zone
(unverified: unlike X and TikTok ids, a YouTube video id encodes no time to check it
against). Such posts are placed by that local date (local midnight, precision ``day``);
some exports carry ``2024-01-06 13:18:00`` (precision ``second``, same zone).

A row with an empty ``Video publish time`` is quarantined with that reason (decided: not
skipped, not loaded). The two such rows of a real export are real videos, with a title, a
duration, views and watch time, but no thumbnail impressions, as for a video that is not
public (private or unlisted, watched through its link); that they are not public is an
inference, not checked with YouTube. Without a date a video cannot be placed in a week,
and quarantine keeps it visible with its reason instead of dropping it.

In Indonesian Studio ``Penayangan`` = views and ``Tayangan`` = impressions, the opposite
of Meta's wording; this module's alias table is its own. Indonesian files write
``1.234`` for thousands and ``2275,0676`` for decimals.

``Totals.csv`` (``Date,<one metric>``: the metric chosen in Studio, e.g. ``Views``,
``Engaged views``, ``Subscribers``, ``Watch time (hours)``): one row per day for the
channel. With ``Subscribers`` it is the channel's net subscriber change per day, loaded as
account days (``followers_gained`` / ``followers_lost`` from the net change, each a lower
bound; definition ``youtube_studio_subscribers_net``). Any other metric is recognised and
nothing is loaded; its days are counted as skipped rows with that reason. ``Date``
(``2025-03-09``) is the day as YouTube Analytics counts it; which zone its days follow is
not shown in the file (unverified), so the day is stored as written.

``Chart data.csv`` (``Date, Content, Video title, Video publish time, Duration, <metric>``:
one row per day per video, whatever the metric): recognised, nothing loaded (the week's
numbers per video come from the table); its rows are counted as skipped.

None of these files lists the channel, so posts and days carry no account handle.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from medsos.parsers.api_pull import ApiPull, ApiPullParser, api_count, api_field, parse_utc
from medsos.parsers.base import (
    CellError,
    ExportParser,
    FileContext,
    ParseResult,
    Problem,
    Row,
    build_result,
    collect_rows,
    daily_record,
    iter_rows,
    lineage,
    reject,
    require_columns,
    row_id,
    skip,
)
from medsos.parsers.sheets import RawFile, header_index, norm_header
from medsos.parsers.values import (
    is_missing,
    parse_day_month,
    parse_decimal,
    split_delta,
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
NO_PUBLISH_DATE = (
    "empty: Studio gave this video no publish date (as for a video that is not public, e.g. private "
    "or unlisted); without a date it cannot be placed in a week"
)


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
    lists_posts = True
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
        skipped: list[Problem] = []
        for row in iter_rows(sheet, idx):
            video_id = (row.text("video_id") or "").strip()
            if video_id.lower() in TOTAL_LABELS:
                skipped.append(
                    skip(raw, row, "the channel total row")
                )  # the range's total, not a video
                continue
            try:
                video_id = row_id(row, "video_id", digits_only=False)
                raw_time = row.raw("published")
                if is_missing(raw_time):
                    raise CellError(row.header("published"), raw_time, NO_PUBLISH_DATE)
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
                        "views": row.count("views", id_locale),  # 'Views', never 'Engaged views'
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
        return build_result(self.kind, self.platform, raw, records, rejected, skipped=skipped)


CHART_HEADERS = (
    ("date", "content", "video title", "video publish time"),
    ("tanggal", "konten", "judul video", "waktu publikasi video"),
)
CHART_REASON = "one day of one video (YouTube Studio Chart data); not loaded, the table export gives the week's numbers"


class YouTubeChartData:
    """'Chart data.csv': one row per day per video, whatever metric follows. Recognised;
    nothing loaded, every row counted as skipped."""

    kind = "youtube_chart_data"
    platform = "youtube"
    lists_posts = False  # not a delivery: a week with only these files is still "missing"
    description = "YouTube Studio 'Chart data.csv' (Date, Content, Video title, Video publish time, …, per day per video)"

    def matches(self, raw: RawFile) -> bool:
        return tuple(norm_header(x) for x in raw.first_sheet().header[:4]) in CHART_HEADERS

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        skipped = [skip(raw, row, CHART_REASON) for row in iter_rows(sheet, {})]
        return build_result(self.kind, self.platform, raw, [], [], skipped=skipped)


TOTALS_DATE = {"date", "tanggal"}
SUBSCRIBERS = {"subscribers", "subscriber"}  # English, Indonesian Studio
TOTALS_FORMATS = ("%Y-%m-%d", "%b %d, %Y")


def _is_day_and_number(cells: list[Any]) -> bool:
    if len(cells) < 2 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cells[0]).strip()):
        return False
    try:
        parse_decimal(cells[1], decimal_comma="," in str(cells[1]))
    except ValueError:
        return False
    return True


class YouTubeTotals:
    """'Totals.csv': ``Date,<one metric>`` for the channel per day. ``Subscribers`` (the net
    change per day) is loaded as account days; any other metric is recognised and its days
    are counted as skipped."""

    kind = "youtube_totals"
    platform = "youtube"
    lists_posts = False  # account figures only: not a delivery of the week's posts
    description = "YouTube Studio 'Totals.csv' (Date and one metric per day for the channel: Views, Subscribers, …)"

    def matches(self, raw: RawFile) -> bool:
        sheet = raw.first_sheet()
        if sheet.name is not None or sheet.preamble or len(sheet.header) != 2:
            return (
                False  # under a title: Meta's daily files ('Date','Primary'), or a workbook sheet
            )
        first, metric = (norm_header(h) for h in sheet.header)
        if first not in TOTALS_DATE or metric in ("", "primary"):
            return False
        # the header alone is any two-column list ('Tanggal,Catatan'): Studio's rows are a
        # day and a number (most of them: one bad cell is that row's error, not the file's)
        sample = sheet.rows[:20]
        return bool(sample) and 2 * sum(_is_day_and_number(cells) for _, cells in sample) >= len(
            sample
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        first, metric = (norm_header(h) for h in sheet.header)
        if metric not in SUBSCRIBERS:
            reason = (
                f"a day of the channel's '{sheet.header[1].strip()}' (YouTube Studio Totals); "
                "only a Subscribers total is loaded"
            )
            skipped = [skip(raw, row, reason) for row in iter_rows(sheet, {})]
            return build_result(self.kind, self.platform, raw, [], [], skipped=skipped)
        id_locale = first == "tanggal"
        idx = {"date": 0, "net": 1}

        def make(row: Row) -> dict[str, Any]:
            day = row.datetime("date", TOTALS_FORMATS)
            if day is None:
                raise CellError(row.header("date"), row.raw("date"), "empty, a date is required")
            gained, lost = split_delta(row.count("net", id_locale))
            return daily_record(
                self.platform,
                ctx,
                raw,
                sheet,
                row,
                day.date(),
                definition="youtube_studio_subscribers_net",
                gained=gained,
                lost=lost,
            )

        daily, rejected = collect_rows(sheet, idx, make)
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


PARSERS: list[ExportParser] = [YouTubeTableData(), YouTubeChartData(), YouTubeTotals()]


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
                    followers = (
                        None
                        if hidden
                        else api_count(stats.get("subscriberCount"), "statistics.subscriberCount")
                    )
                except ValueError as exc:
                    pull.reject(
                        resp, "statistics.subscriberCount", stats.get("subscriberCount"), str(exc)
                    )
                    continue
                pull.day(resp, followers=followers, definition="youtube_data_api_subscribers")
        for resp, where, item in pull.listed("videos", "items"):
            video_id = str(item.get("id") or "")
            try:
                if not video_id or any(c.isspace() for c in video_id):
                    raise CellError(f"{where}.id", item.get("id"), "not a YouTube video id")
                snippet, stats = item.get("snippet") or {}, item.get("statistics") or {}
                details = item.get("contentDetails") or {}
                published = api_field(
                    parse_utc, snippet.get("publishedAt"), f"{where}.snippet.publishedAt"
                )
                duration = api_field(
                    iso_duration_seconds,
                    details.get("duration"),
                    f"{where}.contentDetails.duration",
                )
                live = str(snippet.get("liveBroadcastContent") or "none") != "none"
                short = not live and is_short(duration, to_local(published, pull.ctx.tz).date())
                pull.post(
                    resp,
                    post_id=video_id,
                    published_at=published,
                    post_type="live" if live else "short" if short else "video",
                    caption=snippet.get("title"),
                    permalink=f"https://www.youtube.com/{'shorts/' if short else 'watch?v='}{video_id}",
                    views=api_field(
                        api_count, stats.get("viewCount"), f"{where}.statistics.viewCount"
                    ),
                    likes=api_field(
                        api_count, stats.get("likeCount"), f"{where}.statistics.likeCount"
                    ),
                    comments=api_field(
                        api_count, stats.get("commentCount"), f"{where}.statistics.commentCount"
                    ),
                    duration_seconds=duration,
                    metric_definition="youtube_data_api_lifetime",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, video_id or None)


PARSERS.append(YouTubeApi())
