"""Meta Business Suite exports of a Facebook Page, and the daily and Audience files that
Facebook and Instagram share.

``facebook_content`` (Insights -> Content -> Export): UTF-8 with BOM, header in row 1,
one row per post with lifetime-to-date numbers (``Date`` = ``Lifetime``, which only
describes the export and is not read). ``Publish time`` is US-style ``MM/DD/YYYY HH:MM``
on the **US Pacific clock** (America/Los_Angeles), whatever the Page's country (proved on
real files, see ``META_CLOCK``): it is turned into the instant, then into the office's
wall clock for its week. The 2025+ export has ``Views``/``Reach``; the pre-2025 one
``Impressions`` and ``Reach`` (older still: ``People reached``), impressions being a
different metric, kept apart as ``meta_impressions_legacy``. Meta writes its own rows
for posts it could not compute ("An error occurred while computing metadata for content
with ID …", no Post ID, no publish time): they are skipped and counted.

``facebook_videos`` (the Page's Videos export): ``Video asset ID`` instead of ``Post ID``,
no permalink or post type, ``3-second video views`` as its views. Its ``Publish time`` is
read on the same Pacific clock as the content export [assumed: no real Videos file with an
independent clock has been seen]. A video is keyed by its video asset id, which is not
the id the content export gives the same post (that one is in its ``/reel/<id>``
permalink), so a Page that sends both exports lists such a video twice.

Recognised by header names only: ``Post ID`` + ``Publish time`` + ``Permalink`` + a
Page column (``Page ID`` / ``Page name``). Instagram's export has ``Account ID`` /
``Account username`` instead, and never a Page column.

The per-metric daily files (Insights -> Export), UTF-16 with ``sep=,``: one or more
series, each a title line naming the metric (``Follows`` = Facebook follows, ``Facebook
follows``, ``Instagram follows``, ``Pengikut Instagram``, ``Views``, ``Facebook reach``)
then ``Date,Primary``, series separated by a blank line. The follows series give new
followers per day, on the platform their title names; the other series are not part of
the evaluation and their rows are counted as skipped. ``Date`` is ``2025-01-01T00:00:00``
(sometimes ``T01:00:00``): only the day is read.

The Audience file (``sep=,``, titled tables: age and gender, top countries and cities,
and sometimes ``Facebook followers`` / ``Instagram followers`` totals): the follower
totals are loaded as the Page's and account's followers on the delivery week's last day
(the file carries no date); the shares by age, country and city are not evaluated.

Files a person might drop by mistake that are not account exports (Ads Manager reports,
Google Analytics reports) are refused with a reason saying what they are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from medsos.parsers.api_pull import (
    ApiPull,
    ApiPullParser,
    api_count,
    api_field,
    api_id_check,
    insight_values,
    parse_utc,
)
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
    refuse_day_first,
    reject,
    require_columns,
    row_id,
    skip,
)
from medsos.parsers.sheets import ParseError, RawFile, RawSheet, header_index, norm_header
from medsos.parsers.values import META_CLOCK, to_instant, to_local

if TYPE_CHECKING:
    import pandas as pd

    from medsos.parsers.columns import Columns

# Meta writes US-style minutes in every UI language; nothing else is accepted.
META_TIME_FORMATS = ("%m/%d/%Y %H:%M",)
# The form nearly every cell has, read vectorised by the column reader (regex, format).
META_TIME_PLAIN = (r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", "%m/%d/%Y %H:%M")

ALIASES_EN = {
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
    "impressions": "impressions",  # pre-2025 export
    "people reached": "reach_legacy",  # pre-2025 export
    "reactions": "likes",
    "likes": "likes_legacy",  # pre-2025 export
    "comments": "comments",
    "shares": "shares",
    "seconds viewed": "seconds_viewed",
    "data comment": "data_comment",
}
# PROVISIONAL Indonesian aliases (platform-exports.md 1.2): no real ID-locale Facebook
# content export has been seen yet. These are the tokens Indonesian parsers look for and
# the Page columns by analogy with Instagram's; the first real office file replaces them.
ALIASES_ID = {
    "id postingan": "post_id",
    "id halaman": "page_id",
    "nama halaman": "page_name",
    "judul": "title",
    "deskripsi": "description",
    "durasi (detik)": "duration",
    "waktu penerbitan": "published",
    "permalink": "permalink",
    "jenis postingan": "post_type",
    "tanggal": "date_scope",
    "tayangan": "views",  # Meta's Tayangan = views (YouTube's is impressions)
    "jangkauan": "reach",
    "tanggapan": "likes",
    "komentar": "comments",
    "frekuensi dibagikan": "shares",
    "detik ditonton": "seconds_viewed",
    "komentar data": "data_comment",
}
ALIASES = {**ALIASES_EN, **ALIASES_ID}
INDONESIAN = set(ALIASES_ID) - set(ALIASES_EN)

# Columns that only Instagram's content export has: a file with them is not a Page export.
INSTAGRAM_ONLY = {"account id", "account username", "id akun", "nama pengguna akun"}

POST_TYPES = {
    "photos": "image",
    "photo": "image",
    "foto": "image",
    "videos": "video",
    "video": "video",
    "reels": "reel",
    "reel": "reel",
    "links": "text",
    "link": "text",
    "tautan": "text",
    "text": "text",
    "status": "text",
    "teks": "text",
    "stories": "story",
    "story": "story",
    "cerita": "story",
    "live": "live",
    "siaran langsung": "live",
}
REQUIRED = {"post_id": "Post ID", "published": "Publish time", "post_type": "Post type"}


def is_indonesian(headers: list[str]) -> bool:
    """Whether a Meta file carries Indonesian headers (numbers then use ``1.234``)."""
    return any(norm_header(h) in INDONESIAN for h in headers)


class FacebookContent:
    kind = "facebook_content"
    platform = "facebook"
    lists_posts = True
    column_aliases = ALIASES  # the columns read_columns reads
    description = "Meta Business Suite Facebook content export (CSV with Post ID, Page ID, Publish time, Permalink)"

    def matches(self, raw: RawFile) -> bool:
        sheet = raw.first_sheet()
        if INSTAGRAM_ONLY & {norm_header(h) for h in sheet.header}:
            return False
        idx = header_index(sheet, ALIASES)
        return {"post_id", "published", "permalink"} <= idx.keys() and bool(
            {"page_id", "page_name"} & idx.keys()
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(sheet, idx, REQUIRED, raw.relative_path, "a Facebook content export")
        refuse_day_first(raw, sheet, idx.get("published"), "Meta Business Suite")
        id_locale = is_indonesian(sheet.header)
        legacy = "views" not in idx and "impressions" in idx
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        skipped: list[Problem] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            if meta_error_row(row):
                skipped.append(skip(raw, row, META_ERROR_ROW))
                continue
            try:
                post_id = row_id(row, "post_id")
                published = row.datetime("published", META_TIME_FORMATS)
                if published is None:
                    raise CellError(
                        row.header("published"), None, "empty, a publish time is required"
                    )
                instant = to_instant(published, META_CLOCK)  # Meta's clock, not the office's
                label = (row.text("post_type") or "").strip().lower()
                if label not in POST_TYPES:
                    raise CellError(
                        row.header("post_type"), row.raw("post_type"), "unknown Facebook post type"
                    )
                title, desc = row.text("title") or "", row.text("description") or ""
                seconds = row.decimal("seconds_viewed", id_locale)
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": None,  # the export names the Page, not its handle
                        "account_id": row_id(row, "page_id") if row.text("page_id") else None,
                        "post_id": post_id,
                        "published_at": instant,
                        "published_local": to_local(instant, ctx.tz),
                        "publish_time_precision": "minute",
                        "post_type": POST_TYPES[label],
                        "caption": (title if len(title) >= len(desc) else desc) or None,
                        "permalink": row.text("permalink"),
                        "views": None if legacy else row.count("views", id_locale),
                        "reach": row.count(
                            "reach" if row.has("reach") else "reach_legacy", id_locale
                        ),
                        "impressions": row.count("impressions", id_locale) if legacy else None,
                        "likes": row.count(
                            "likes" if row.has("likes") else "likes_legacy", id_locale
                        ),
                        "comments": row.count("comments", id_locale),
                        "shares": row.count("shares", id_locale),
                        "duration_seconds": row.duration("duration")
                        or None,  # 0 / blank: not a video
                        "watch_time_hours": None if seconds is None else round(seconds / 3600, 6),
                        "metric_definition": "meta_impressions_legacy"
                        if legacy
                        else "meta_views_2025",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected, skipped=skipped)

    def read_columns(self, cols: Columns) -> pd.DataFrame | None:
        """``parse`` a column at a time for a header group DuckDB read
        (``medsos.parsers.csv_groups``); a row ``parse`` would quarantine or skip is
        marked bad instead, and its file is read by ``parse``."""
        idx = cols.use(ALIASES)
        if not REQUIRED.keys() <= idx.keys():
            return None
        id_locale = is_indonesian(cols.header)
        legacy = "views" not in idx and "impressions" in idx
        post_id, instant, label = meta_post_columns(cols, POST_TYPES)
        title, desc = cols.text("title").fillna(""), cols.text("description").fillna("")
        caption = title.where(title.str.len() >= desc.str.len(), desc)
        seconds = cols.decimal("seconds_viewed", id_locale)
        duration = cols.duration("duration")
        page = cols.text("page_id")
        return cols.posts(
            self.platform,
            {
                "account_handle": None,  # the export names the Page, not its handle
                "account_id": cols.ids("page_id", where=page.notna().to_numpy()),
                "post_id": post_id,
                "published_at": instant,
                "published_local": cols.local_times(instant),
                "publish_time_precision": "minute",
                "post_type": label.map(POST_TYPES),
                "caption": caption.where(caption != "", None),
                "permalink": cols.text("permalink"),
                "views": None if legacy else cols.count("views", id_locale),
                "reach": cols.count("reach" if cols.has("reach") else "reach_legacy", id_locale),
                "impressions": cols.count("impressions", id_locale) if legacy else None,
                "likes": cols.count("likes" if cols.has("likes") else "likes_legacy", id_locale),
                "comments": cols.count("comments", id_locale),
                "shares": cols.count("shares", id_locale),
                "duration_seconds": duration.where(duration != 0, None),  # 0 / blank: not a video
                "watch_time_hours": seconds.map(
                    lambda v: None if v is None else round(v / 3600, 6)
                ),
                "metric_definition": "meta_impressions_legacy" if legacy else "meta_views_2025",
            },
        )


def meta_post_columns(
    cols: Columns, post_types: dict[str, str]
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """What both Meta content exports' column readers read alike: the post id (an empty
    one, Meta's error row too, is bad), the publish instant (``Publish time`` on Meta's
    clock, required) and the post type label (one of ``post_types``)."""
    post_id = cols.ids("post_id")
    published = cols.datetimes("published", META_TIME_FORMATS, META_TIME_PLAIN)
    cols.mark_bad(published.isna())
    label = cols.lowered("post_type")
    cols.mark_bad(~label.isin(list(post_types)))
    return post_id, cols.instants(published, META_CLOCK), label


META_ERROR_ROW = "Meta's own row for a post it could not compute ('An error occurred while computing metadata'): no post id, no publish time"


def meta_error_row(row: Row) -> bool:
    """Meta's row for content it could not compute: no id, no time, only a comment."""
    return not row.text("post_id") and not row.text("published") and bool(row.text("data_comment"))


# The Videos export names its columns as the content export does, but for the id and
# its views; the Page's own columns come from ALIASES_EN.
VIDEO_ALIASES = {
    **{
        k: v
        for k, v in ALIASES_EN.items()
        if v
        in (
            "page_id",
            "page_name",
            "title",
            "description",
            "duration",
            "published",
            "permalink",
            "data_comment",
            "date_scope",
            "reach",
            "seconds_viewed",
            "likes",
            "comments",
            "shares",
        )
    },
    "video asset id": "post_id",
    "3-second video views": "views",
}


class FacebookVideos:
    """The Page's Videos export: one row per video, lifetime numbers."""

    kind = "facebook_videos"
    platform = "facebook"
    lists_posts = True
    description = "Meta Business Suite Facebook Videos export (CSV with Video asset ID, Page ID, Publish time)"

    def matches(self, raw: RawFile) -> bool:
        idx = header_index(raw.first_sheet(), VIDEO_ALIASES)
        return {"post_id", "published", "views"} <= idx.keys() and bool(
            {"page_id", "page_name"} & idx.keys()
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, VIDEO_ALIASES)
        refuse_day_first(raw, sheet, idx.get("published"), "Meta Business Suite")
        skipped: list[Problem] = []

        def make(row: Row) -> dict[str, Any]:
            post_id = row_id(row, "post_id")
            published = row.datetime("published", META_TIME_FORMATS)
            if published is None:
                raise CellError(row.header("published"), None, "empty, a publish time is required")
            instant = to_instant(published, META_CLOCK)
            seconds = row.decimal("seconds_viewed")
            title, desc = row.text("title") or "", row.text("description") or ""
            return {
                **lineage(self.platform, ctx, raw, sheet, row),
                "account_id": row_id(row, "page_id") if row.text("page_id") else None,
                "post_id": post_id,
                "published_at": instant,
                "published_local": to_local(instant, ctx.tz),
                "publish_time_precision": "minute",
                "post_type": "video",
                "caption": (title if len(title) >= len(desc) else desc) or None,
                "permalink": row.text("permalink")
                or f"https://www.facebook.com/watch/?v={post_id}",
                "views": row.count("views"),
                "reach": row.count("reach"),
                "likes": row.count("likes"),
                "comments": row.count("comments"),
                "shares": row.count("shares"),
                "duration_seconds": row.duration("duration") or None,
                "watch_time_hours": None if seconds is None else round(seconds / 3600, 6),
                "metric_definition": "meta_video_3s_views",
            }

        records, rejected = [], []
        for row in iter_rows(sheet, idx):
            if meta_error_row(row):
                skipped.append(skip(raw, row, META_ERROR_ROW))
                continue
            try:
                records.append(make(row))
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, row.text("post_id")))
        return build_result(self.kind, self.platform, raw, records, rejected, skipped=skipped)


# Title line of a daily follows series -> platform. Meta translates the title with the UI;
# a bare "Follows" is Facebook's own title (2023-2025 downloads).
FOLLOWS_TITLES = {
    "follows": "facebook",
    "facebook follows": "facebook",
    "instagram follows": "instagram",
    "pengikut instagram": "instagram",
    "pengikut facebook": "facebook",  # provisional: by analogy with the Instagram title
    "facebook followers": "facebook",
    "instagram followers": "instagram",
}
DAILY_ALIASES = {"date": "date", "tanggal": "date", "primary": "value"}
DAILY_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def title_platform(title: str) -> str:
    """The platform a Meta series title names; a title without one is Facebook's."""
    return FOLLOWS_TITLES.get(title) or ("instagram" if "instagram" in title else "facebook")


def meta_daily_series(raw: RawFile) -> list[tuple[str, RawSheet]] | None:
    """``(normalised title, sheet)`` of every series of a Meta daily file, or None when
    the file is not one (every table must be ``Date,Primary``)."""
    if raw.encoding == "xlsx":
        return None
    series = []
    for sheet in raw.sheets:
        if [norm_header(h) for h in sheet.header] not in (
            ["date", "primary"],
            ["tanggal", "primary"],
        ):
            return None
        titles = [t for t in sheet.preamble if not t.lower().startswith("sep=")]
        series.append((norm_header(titles[-1]) if titles else "", sheet))
    return series


class MetaDaily:
    """A Meta Business Suite daily file: the follows series load as new followers per day
    on the platform their title names; the other series (views, reach, visits) are
    recognised and their rows counted as skipped, since the evaluation does not use them.

    The file belongs to the platform of its first follows series (else of its first
    series), so one instance per platform, each taking the files that are its own.
    """

    lists_posts = False
    description = "Meta Business Suite daily file ('sep=,', a title line such as 'Facebook follows', then Date,Primary)"

    def __init__(self, platform: str):
        self.platform = platform
        self.kind = f"{platform}_daily_follows"

    def matches(self, raw: RawFile) -> bool:
        series = meta_daily_series(raw)
        if not series:
            return False
        follows = [title for title, _ in series if title in FOLLOWS_TITLES]
        return title_platform((follows or [series[0][0]])[0]) == self.platform

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        daily: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        skipped: list[Problem] = []
        for title, sheet in meta_daily_series(raw) or []:
            if title not in FOLLOWS_TITLES:
                reason = (
                    f"daily '{sheet.name or 'untitled'}' figures, not part of the weekly evaluation"
                )
                skipped += [
                    Problem(raw.relative_path, number, None, None, reason)
                    for number, _ in sheet.rows
                ]
                continue
            platform = FOLLOWS_TITLES[title]

            def make(row: Row, platform: str = platform, sheet: RawSheet = sheet) -> dict[str, Any]:
                day = row.datetime("date", DAILY_FORMATS)
                if day is None:
                    raise CellError(row.header("date"), None, "empty, a date is required")
                return daily_record(
                    platform,
                    ctx,
                    raw,
                    sheet,
                    row,
                    day.date(),
                    definition="meta_daily_follows",
                    gained=row.count("value"),
                )

            got, bad = collect_rows(sheet, header_index(sheet, DAILY_ALIASES), make)
            daily += got
            rejected += bad
        kind = self.kind if daily or rejected else f"{self.platform}_daily_other"
        return build_result(kind, self.platform, raw, [], rejected, daily, skipped=skipped)


# Audience tables whose one number is an account's follower total, by title.
AUDIENCE_TOTALS = {"facebook followers": "facebook", "instagram followers": "instagram"}
AUDIENCE_TITLE_WORDS = (
    "age",
    "gender",
    "countries",
    "cities",
    "followers",
    "umur",
    "usia",
    "negara",
    "kota",
)


class MetaAudience:
    """The Audience file: titled tables of shares by age and gender, country and city, and
    sometimes the follower totals of the Page and the Instagram account."""

    kind = "facebook_audience"
    platform = "facebook"
    lists_posts = False
    description = "Meta Business Suite Audience file ('sep=,', titled tables such as 'Age & gender', 'Top cities')"

    def matches(self, raw: RawFile) -> bool:
        if raw.encoding == "xlsx" or meta_daily_series(raw) is not None:
            return False
        titles = [norm_header(s.name or "") for s in raw.sheets]
        return bool(titles) and all(t and any(w in t for w in AUDIENCE_TITLE_WORDS) for t in titles)

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        daily: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        skipped: list[Problem] = []
        notes: list[Problem] = []
        day = to_local(ctx.snapshot_at, ctx.tz).date() - timedelta(
            days=1
        )  # the delivery week's Sunday
        for sheet in raw.sheets:
            platform = AUDIENCE_TOTALS.get(norm_header(sheet.name or ""))
            if platform is None or len(sheet.rows) != 1:
                reason = f"audience shares ('{sheet.name}'), not part of the weekly evaluation"
                skipped += [
                    Problem(raw.relative_path, number, None, None, reason)
                    for number, _ in sheet.rows
                ]
                continue
            got, bad = collect_rows(
                sheet,
                {"value": 0},
                lambda row, platform=platform, sheet=sheet: daily_record(
                    platform,
                    ctx,
                    raw,
                    sheet,
                    row,
                    day,
                    definition="meta_audience_followers",
                    followers=row.count("value"),
                ),
            )
            daily += got
            rejected += bad
            notes.append(
                Problem(
                    raw.relative_path,
                    sheet.rows[0][0],
                    sheet.name,
                    None,
                    f"the file carries no date: this follower total is counted on {day}, "
                    "the last day of the week it was delivered for",
                )
            )
        return build_result(
            self.kind, self.platform, raw, [], rejected, daily, notes=notes, skipped=skipped
        )


class NotAnAccountExport:
    """A file people download next to the exports that is no account export: recognised
    only to refuse it with a reason that says what it is."""

    platform = "facebook"
    lists_posts = False

    def __init__(self, kind: str, description: str, reason: str, looks_like):
        self.kind, self.description, self.reason, self.looks_like = (
            kind,
            description,
            reason,
            looks_like,
        )

    def matches(self, raw: RawFile) -> bool:
        return self.looks_like([norm_header(h) for h in raw.first_sheet().header])

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        raise ParseError(f"{raw.relative_path}: {self.reason}")


NOT_EXPORTS = [
    NotAnAccountExport(
        "meta_ads_report",
        "Meta Ads Manager report (refused)",
        "a Meta Ads Manager report (money spent on paid ads), not an export of the office's Page or "
        "account; medsos evaluates the accounts' own posts, so this file is not needed",
        lambda headers: (
            {"reporting starts", "reporting ends"} <= set(headers)
            or any(h.startswith("amount spent (") for h in headers)
        ),
    ),
    NotAnAccountExport(
        "google_analytics_report",
        "Google Analytics report (refused)",
        "a Google Analytics report (a website's visits; its first line is '# ----'), not a "
        "social-media platform export; this file is not needed",
        lambda headers: bool(headers) and headers[0].startswith("# ---"),
    ),
]


PARSERS: list[ExportParser] = [
    FacebookContent(),
    FacebookVideos(),
    MetaDaily("facebook"),
    MetaAudience(),
    *NOT_EXPORTS,
]


FB_STATUS_TYPES = {"added_photos": "image", "added_video": "video"}


def fb_post_type(status_type: Any, permalink: str | None) -> str:
    if permalink and "/reel/" in permalink:
        return "reel"
    if permalink and "/videos/" in permalink:
        return "video"
    return FB_STATUS_TYPES.get(str(status_type or ""), "text")


class FacebookApi(ApiPullParser):
    """A Graph API pull of a Page (``medsos.api.facebook``): posts with reactions,
    comments and shares, their lifetime insights, and the Page's follower count.

    The API id is ``<page id>_<post id>``; the post id is the part after ``_``, as in the
    export, so a post seen in both is one post. ``shares`` is absent when nobody shared:
    that is 0, the API's own convention, not a guess.
    """

    kind = "facebook_api"
    platform = "facebook"
    description = "Facebook Graph API pull (medsos JSON lines, api/facebook/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("page"):
            pull.followers(
                resp,
                resp.body.get("followers_count"),
                "followers_count",
                "facebook_graph_api_followers",
            )
        insights = pull.latest_for("post_insights")
        for resp, where, item in pull.listed(
            "posts", key=lambda item: str(item.get("id") or "").rsplit("_", 1)[-1]
        ):
            api_id = str(item.get("id") or "")
            post_id = api_id.rsplit("_", 1)[-1] if api_id else None
            try:
                api_id_check(post_id, item.get("id"), f"{where}.id", "a Graph API post id")
                published = api_field(parse_utc, item.get("created_time"), f"{where}.created_time")
                numbers = {
                    "likes": api_field(
                        api_count,
                        ((item.get("reactions") or {}).get("summary") or {}).get("total_count"),
                        f"{where}.reactions.summary.total_count",
                    ),
                    "comments": api_field(
                        api_count,
                        ((item.get("comments") or {}).get("summary") or {}).get("total_count"),
                        f"{where}.comments.summary.total_count",
                    ),
                    "shares": api_field(
                        api_count,
                        (item.get("shares") or {"count": 0}).get("count"),
                        f"{where}.shares.count",
                    ),
                }
                snapshot = resp.fetched_at
                found = insights.get(api_id)
                if found is not None:
                    values = insight_values(found.body)
                    snapshot = max(snapshot, found.fetched_at)
                    for metric, column in (
                        ("post_media_view", "views"),
                        ("post_total_media_view_unique", "reach"),
                        ("post_impressions_unique", "reach"),
                        ("post_impressions", "impressions"),
                    ):
                        if metric in values and numbers.get(column) is None:
                            numbers[column] = api_field(
                                api_count, values[metric], f"insights {metric}"
                            )
                permalink = item.get("permalink_url")
                # api_id_check above refused a missing id
                pull.post(
                    resp,
                    post_id=cast(str, post_id),
                    published_at=published,
                    snapshot_at=snapshot,
                    post_type=fb_post_type(item.get("status_type"), permalink),
                    caption=item.get("message"),
                    permalink=permalink,
                    metric_definition="facebook_graph_api_media_views",
                    **numbers,
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, post_id)


PARSERS.append(FacebookApi())
