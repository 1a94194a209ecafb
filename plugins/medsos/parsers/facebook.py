"""Meta Business Suite: Facebook Page "Content" export (Insights -> Content -> Export).

UTF-8 with BOM, header in row 1, one row per post with lifetime-to-date numbers
(``Date`` = ``Lifetime``). ``Publish time`` is US-style ``MM/DD/YYYY HH:MM`` without an
offset, read strictly (never guessed day-first) as the office's local time. The 2025+
export has ``Views``/``Reach``; the older one ``Impressions``/``People Reached``, a
different metric, kept apart as ``meta_impressions_legacy``.

Recognised by header names only: ``Post ID`` + ``Publish time`` + ``Permalink`` + a
Page column (``Page ID`` / ``Page name``). Instagram's export has ``Account ID`` /
``Account username`` instead, and never a Page column.

Also the per-metric daily files of Meta Business Suite (Insights -> Export), shared by
Facebook and Instagram: UTF-16 with ``sep=,``, a title line naming the metric
(``Facebook follows``, ``Pengikut Instagram``), then ``Date,Primary``. The follows files
give new followers per day; the other metrics are not part of the evaluation and are
refused with a message saying so.
"""

from __future__ import annotations

from typing import Any

from medsos.parsers.base import (
    META_CLOCK,
    ApiPull,
    ApiPullParser,
    CellError,
    FileContext,
    ParseError,
    ParseResult,
    RawFile,
    Row,
    api_count,
    api_field,
    api_id_check,
    build_result,
    collect_rows,
    daily_record,
    header_index,
    insight_values,
    iter_rows,
    lineage,
    norm_header,
    parse_utc,
    refuse_day_first,
    reject,
    require_columns,
    row_id,
    to_instant,
    to_local,
)

# Meta writes US-style minutes in every UI language; nothing else is accepted.
META_TIME_FORMATS = ("%m/%d/%Y %H:%M",)

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
}
ALIASES = {**ALIASES_EN, **ALIASES_ID}
INDONESIAN = set(ALIASES_ID) - set(ALIASES_EN)

# Columns that only Instagram's content export has: a file with them is not a Page export.
INSTAGRAM_ONLY = {"account id", "account username", "id akun", "nama pengguna akun"}

POST_TYPES = {
    "photos": "image", "photo": "image", "foto": "image",
    "videos": "video", "video": "video",
    "reels": "reel", "reel": "reel",
    "links": "text", "link": "text", "tautan": "text",
    "text": "text", "status": "text", "teks": "text",
    "stories": "story", "story": "story", "cerita": "story",
    "live": "live", "siaran langsung": "live",
}
REQUIRED = {"post_id": "Post ID", "published": "Publish time", "post_type": "Post type"}


def is_indonesian(headers: list[str]) -> bool:
    """Whether a Meta file carries Indonesian headers (numbers then use ``1.234``)."""
    return any(norm_header(h) in INDONESIAN for h in headers)


class FacebookContent:
    kind = "facebook_content"
    platform = "facebook"
    description = "Meta Business Suite Facebook content export (CSV with Post ID, Page ID, Publish time, Permalink)"

    def matches(self, raw: RawFile) -> bool:
        sheet = raw.first_sheet()
        if INSTAGRAM_ONLY & {norm_header(h) for h in sheet.header}:
            return False
        idx = header_index(sheet, ALIASES)
        return {"post_id", "published", "permalink"} <= idx.keys() and bool({"page_id", "page_name"} & idx.keys())

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(sheet, idx, REQUIRED, raw.relative_path, "a Facebook content export")
        refuse_day_first(raw, sheet, idx.get("published"), "Meta Business Suite")
        id_locale = is_indonesian(sheet.header)
        legacy = "views" not in idx and "impressions" in idx
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                post_id = row_id(row, "post_id")
                published = row.datetime("published", META_TIME_FORMATS)
                if published is None:
                    raise CellError(row.header("published"), None, "empty, a publish time is required")
                instant = to_instant(published, META_CLOCK)  # Meta's clock, not the office's
                label = (row.text("post_type") or "").strip().lower()
                if label not in POST_TYPES:
                    raise CellError(row.header("post_type"), row.raw("post_type"), "unknown Facebook post type")
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
                        "reach": row.count("reach_legacy" if legacy else "reach", id_locale),
                        "impressions": row.count("impressions", id_locale) if legacy else None,
                        "likes": row.count("likes" if row.has("likes") else "likes_legacy", id_locale),
                        "comments": row.count("comments", id_locale),
                        "shares": row.count("shares", id_locale),
                        "duration_seconds": row.duration("duration") or None,  # 0 / blank: not a video
                        "watch_time_hours": None if seconds is None else round(seconds / 3600, 6),
                        "metric_definition": "meta_impressions_legacy" if legacy else "meta_views_2025",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected)


# Title line of a daily follows file -> platform. Meta translates the title with the UI.
FOLLOWS_TITLES = {
    "facebook follows": "facebook",
    "instagram follows": "instagram",
    "pengikut instagram": "instagram",
    "pengikut facebook": "facebook",  # provisional: by analogy with the Instagram title
    "facebook followers": "facebook",
    "instagram followers": "instagram",
}
DAILY_ALIASES = {"date": "date", "tanggal": "date", "primary": "value"}
DAILY_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def meta_daily_title(raw: RawFile) -> str | None:
    """The metric title of a Meta daily file, or None when the file is not one."""
    sheet = raw.first_sheet()
    if [norm_header(h) for h in sheet.header] not in (["date", "primary"], ["tanggal", "primary"]):
        return None
    titles = [t for t in sheet.preamble if not t.lower().startswith("sep=")]
    return norm_header(titles[-1]) if titles else ""


class MetaDailyFollows:
    """Meta Business Suite daily follows file (one per platform): new followers per day.

    The Facebook instance also takes the other Meta daily metric files (Views, Reach,
    Tayangan, …), whose title does not say the platform, to refuse them with a clear
    reason rather than an "unknown file".
    """

    lists_posts = False
    description = "Meta Business Suite daily file ('sep=,', a title line such as 'Facebook follows', then Date,Primary)"

    def __init__(self, platform: str):
        self.platform = platform
        self.kind = f"{platform}_daily_follows"

    def matches(self, raw: RawFile) -> bool:
        title = meta_daily_title(raw)
        if title is None:
            return False
        return FOLLOWS_TITLES.get(title, "facebook") == self.platform

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        title = meta_daily_title(raw)
        if title not in FOLLOWS_TITLES:
            raise ParseError(
                f"{raw.relative_path}: a Meta Business Suite daily file for '{title or 'an untitled metric'}'. "
                "medsos reads only the daily follows files (Facebook follows, Instagram follows, "
                "Pengikut Instagram) from these; this metric is not part of the weekly evaluation, "
                "so the file need not be sent."
            )
        sheet = raw.first_sheet()

        def make(row: Row) -> dict[str, Any]:
            day = row.datetime("date", DAILY_FORMATS)
            if day is None:
                raise CellError(row.header("date"), None, "empty, a date is required")
            return daily_record(self.platform, ctx, raw, sheet, row, day.date(),
                                definition="meta_daily_follows", gained=row.count("value"))

        daily, rejected = collect_rows(sheet, header_index(sheet, DAILY_ALIASES), make)
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


PARSERS = [FacebookContent(), MetaDailyFollows("facebook")]


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
            pull.followers(resp, resp.body.get("followers_count"), "followers_count", "facebook_graph_api_followers")
        insights = pull.latest_for("post_insights")
        for resp, where, item in pull.listed("posts", key=lambda item: str(item.get("id") or "").rsplit("_", 1)[-1]):
            api_id = str(item.get("id") or "")
            post_id = api_id.rsplit("_", 1)[-1] if api_id else None
            try:
                api_id_check(post_id, item.get("id"), f"{where}.id", "a Graph API post id")
                published = api_field(parse_utc, item.get("created_time"), f"{where}.created_time")
                numbers = {
                    "likes": api_field(api_count, ((item.get("reactions") or {}).get("summary") or {}).get("total_count"),
                                        f"{where}.reactions.summary.total_count"),
                    "comments": api_field(api_count, ((item.get("comments") or {}).get("summary") or {}).get("total_count"),
                                           f"{where}.comments.summary.total_count"),
                    "shares": api_field(api_count, (item.get("shares") or {"count": 0}).get("count"),
                                         f"{where}.shares.count"),
                }
                snapshot = resp.fetched_at
                found = insights.get(api_id)
                if found is not None:
                    values = insight_values(found.body)
                    snapshot = max(snapshot, found.fetched_at)
                    for metric, column in (("post_media_view", "views"), ("post_total_media_view_unique", "reach"),
                                           ("post_impressions_unique", "reach"), ("post_impressions", "impressions")):
                        if metric in values and numbers.get(column) is None:
                            numbers[column] = api_field(api_count, values[metric], f"insights {metric}")
                permalink = item.get("permalink_url")
                pull.post(resp, post_id=post_id, published_at=published, snapshot_at=snapshot,
                          post_type=fb_post_type(item.get("status_type"), permalink), caption=item.get("message"),
                          permalink=permalink, metric_definition="facebook_graph_api_media_views", **numbers)
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, post_id)


PARSERS.append(FacebookApi())
