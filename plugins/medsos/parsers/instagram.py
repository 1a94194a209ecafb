"""Meta Business Suite: Instagram "Content" export, English or Indonesian UI.

Column order differs between accounts and exports, so columns are found by name through
this module's own alias tables (Meta's Indonesian ``Tayangan`` means views here; on
YouTube the same word means impressions). ``Date`` holds ``Lifetime`` / ``Sepanjang
Masa``. ``Publish time`` / ``Waktu penerbitan`` is US-style ``MM/DD/YYYY HH:MM`` in both
languages, on the US Pacific clock (``META_CLOCK``; proved by the permalink shortcodes of
real files), turned into the instant and then the office's wall clock. Since 2025-04-21 Instagram reports ``Views``; older exports have
``Impressions`` (and ``Plays`` for reels), kept apart as ``meta_impressions_legacy``.

Collaboration posts owned by another account (another ``Account ID`` than the file's
most frequent one) are kept, with that account's handle as written: both accounts
published them, and they count for the office (validation accepts a post of another
account when the file also lists the office's own account).

A copy whose owner removed the account and permalink columns is still recognised by its
Instagram post types (``IG reel``, ``IG carousel``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    build_result,
    iter_rows,
    lineage,
    refuse_day_first,
    reject,
    require_columns,
    row_id,
    skip,
)
from medsos.parsers.facebook import (
    META_ERROR_ROW,
    META_TIME_FORMATS,
    MetaDaily,
    meta_error_row,
    meta_post_columns,
)
from medsos.parsers.sheets import RawFile, header_index, norm_header
from medsos.parsers.values import META_CLOCK, to_instant, to_local

if TYPE_CHECKING:
    import pandas as pd

    from medsos.parsers.columns import Columns

ALIASES_EN = {
    "post id": "post_id",
    "account id": "account_id",
    "account username": "username",
    "account name": "account_name",
    "description": "description",
    "duration (sec)": "duration",
    "publish time": "published",
    "permalink": "permalink",
    "post type": "post_type",
    "date": "date_scope",
    "views": "views",
    "reach": "reach",
    "likes": "likes",
    "shares": "shares",
    "comments": "comments",
    "saves": "saves",
    "impressions": "impressions",  # pre-2025 export
    "plays": "plays",  # pre-2025 export, reels
    "data comment": "data_comment",
}
# From real Indonesian exports (platform-exports.md 2.2).
ALIASES_ID = {
    "id postingan": "post_id",
    "id akun": "account_id",
    "nama pengguna akun": "username",
    "nama akun": "account_name",
    "deskripsi": "description",
    "durasi (detik)": "duration",
    "waktu penerbitan": "published",
    "permalink": "permalink",
    "jenis postingan": "post_type",
    "tanggal": "date_scope",
    "tayangan": "views",  # Meta's Tayangan = views (YouTube's is impressions)
    "jangkauan": "reach",
    "suka": "likes",
    "frekuensi dibagikan": "shares",
    "komentar": "comments",
    "frekuensi disimpan": "saves",
    "disimpan": "saves",
    "komentar data": "data_comment",
}
ALIASES = {**ALIASES_EN, **ALIASES_ID}
INDONESIAN = set(ALIASES_ID) - set(ALIASES_EN)

# Columns only a Facebook Page export has.
FACEBOOK_ONLY = {"page id", "page name", "id halaman", "nama halaman"}

POST_TYPES = {
    "ig image": "image",
    "gambar ig": "image",
    "ig carousel": "carousel",
    "carousel ig": "carousel",
    "ig reel": "reel",
    "reel ig": "reel",
    "ig video": "video",
    "video ig": "video",
    "ig story": "story",
    "cerita ig": "story",
    "ig live": "live",
    "siaran langsung ig": "live",
}
REQUIRED = {"post_id": "Post ID", "published": "Publish time", "post_type": "Post type"}


class InstagramContent:
    kind = "instagram_content"
    platform = "instagram"
    lists_posts = True
    column_aliases = ALIASES  # the columns read_columns reads
    description = (
        "Meta Business Suite Instagram content export (CSV with Post ID, Account ID or "
        "Account username, Publish time, Post type; English or Indonesian headers)"
    )

    def matches(self, raw: RawFile) -> bool:
        sheet = raw.first_sheet()
        if FACEBOOK_ONLY & {norm_header(h) for h in sheet.header}:
            return False
        idx = header_index(sheet, ALIASES)
        if not {"post_id", "published", "post_type"} <= idx.keys():
            return False
        if {"account_id", "username"} & idx.keys():
            return True
        # A copy whose owner removed the account columns: its post types still say Instagram.
        labels = {
            str(cells[idx["post_type"]]).strip().lower()
            for _, cells in sheet.rows[:50]
            if idx["post_type"] < len(cells)
        }
        return bool(labels) and labels <= set(POST_TYPES)

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(sheet, idx, REQUIRED, raw.relative_path, "an Instagram content export")
        refuse_day_first(raw, sheet, idx.get("published"), "Meta Business Suite")
        id_locale = any(norm_header(h) in INDONESIAN for h in sheet.header)
        legacy = "views" not in idx and ("impressions" in idx or "plays" in idx)
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
                        row.header("post_type"), row.raw("post_type"), "unknown Instagram post type"
                    )
                impressions = None
                if legacy:
                    impressions = row.count("impressions", id_locale)
                    if impressions is None:
                        impressions = row.count("plays", id_locale)
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": row.text("username"),
                        "account_id": row_id(row, "account_id") if row.text("account_id") else None,
                        "post_id": post_id,
                        "published_at": instant,
                        "published_local": to_local(instant, ctx.tz),
                        "publish_time_precision": "minute",
                        "post_type": POST_TYPES[label],
                        "caption": row.text("description"),
                        "permalink": row.text("permalink"),
                        "views": None if legacy else row.count("views", id_locale),
                        "reach": row.count("reach", id_locale),
                        "impressions": impressions,
                        "likes": row.count("likes", id_locale),
                        "comments": row.count("comments", id_locale),
                        "shares": row.count("shares", id_locale),
                        "saves": row.count("saves", id_locale),
                        # images and carousels say 0 seconds: no duration, not a zero-length video
                        "duration_seconds": row.duration("duration") or None,
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
        id_locale = any(norm_header(h) in INDONESIAN for h in cols.header)
        legacy = "views" not in idx and ("impressions" in idx or "plays" in idx)
        post_id, instant, label = meta_post_columns(cols, POST_TYPES)
        account = cols.text("account_id")
        impressions = None
        if legacy:
            impressions = cols.count("impressions", id_locale)
            impressions = impressions.fillna(cols.count("plays", id_locale))
        duration = cols.duration("duration")
        return cols.posts(
            self.platform,
            {
                "account_handle": cols.text("username"),
                "account_id": cols.ids("account_id", where=account.notna()),
                "post_id": post_id,
                "published_at": instant,
                "published_local": cols.local_times(instant),
                "publish_time_precision": "minute",
                "post_type": label.map(POST_TYPES),
                "caption": cols.text("description"),
                "permalink": cols.text("permalink"),
                "views": None if legacy else cols.count("views", id_locale),
                "reach": cols.count("reach", id_locale),
                "impressions": impressions,
                "likes": cols.count("likes", id_locale),
                "comments": cols.count("comments", id_locale),
                "shares": cols.count("shares", id_locale),
                "saves": cols.count("saves", id_locale),
                # images and carousels say 0 seconds: no duration, not a zero-length video
                "duration_seconds": duration.where(duration != 0, None),
                "metric_definition": "meta_impressions_legacy" if legacy else "meta_views_2025",
            },
        )


PARSERS: list[ExportParser] = [InstagramContent(), MetaDaily("instagram")]


def ig_post_type(media_type: Any, product_type: Any) -> str:
    product, media = str(product_type or "").upper(), str(media_type or "").upper()
    if product == "REELS":
        return "reel"
    if product == "STORY":
        return "story"
    return {"CAROUSEL_ALBUM": "carousel", "VIDEO": "video"}.get(media, "image")


class InstagramApi(ApiPullParser):
    """A Graph API pull of an Instagram account (``medsos.api.instagram``): media of the
    week with likes and comments, their lifetime insights (views, reach, saves, shares)
    and the follower count. Media older than the week (the last page of ``/media``
    reaches back) are left out: they carry no insights, and a snapshot without views
    must not replace one that has them."""

    kind = "instagram_api"
    platform = "instagram"
    description = "Instagram Graph API pull (medsos JSON lines, api/instagram/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("user"):
            pull.handle = resp.body.get("username") or pull.handle
            pull.followers(
                resp,
                resp.body.get("followers_count"),
                "followers_count",
                "instagram_graph_api_followers",
            )
        start, end = pull.window()
        insights = pull.latest_for("media_insights")
        for resp, where, item in pull.listed("media"):
            post_id = str(item.get("id") or "")
            try:
                api_id_check(post_id, item.get("id"), f"{where}.id", "an Instagram media id")
                published = api_field(parse_utc, item.get("timestamp"), f"{where}.timestamp")
                if not start <= published < end:
                    continue
                numbers = {
                    "likes": api_field(api_count, item.get("like_count"), f"{where}.like_count"),
                    "comments": api_field(
                        api_count, item.get("comments_count"), f"{where}.comments_count"
                    ),
                }
                snapshot = resp.fetched_at
                found = insights.get(post_id)
                if found is not None:
                    values = insight_values(found.body)
                    snapshot = max(snapshot, found.fetched_at)
                    for metric, column in (
                        ("views", "views"),
                        ("reach", "reach"),
                        ("saved", "saves"),
                        ("shares", "shares"),
                        ("impressions", "impressions"),
                    ):
                        if metric in values:
                            numbers[column] = api_field(
                                api_count, values[metric], f"insights {metric}"
                            )
                pull.post(
                    resp,
                    post_id=post_id,
                    published_at=published,
                    snapshot_at=snapshot,
                    post_type=ig_post_type(item.get("media_type"), item.get("media_product_type")),
                    caption=item.get("caption"),
                    permalink=item.get("permalink"),
                    metric_definition="instagram_graph_api_views",
                    **numbers,
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, post_id or None)


PARSERS.append(InstagramApi())
