"""X analytics exports.

- ``account_analytics_content_<from>_<to>.csv`` (2024+): one row per post; ``Date`` is a
  day without a time (``Tue, Jul 14, 2026``). The exact instant comes from the post id
  (a snowflake: ``(id >> 22) + 1288834974657`` ms since the epoch).
- The classic tweet-activity export (``Tweet id, …, time``) with UTC times
  (``2024-03-15 18:42 +0000``), found in old backfills.
- ``account_overview_analytics.csv``: one row per day, newest first, with ``New follows``
  and ``Unfollows`` (only this export has them; X revises its last days, so the latest
  export wins per day when the tables are built).

Counts: Replies -> comments; Bookmarks -> saves; shares = Reposts + Shares when both
columns are present (X splits re-posting from sharing a link or DM; both spread the
post), else whichever one the file has. X reports impressions, not views (None).
Recognised by header names only; the handle comes from ``Post Link``
(``https://x.com/<handle>/status/<id>``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from medsos.parsers.base import (
    ApiPull,
    ApiPullParser,
    CellError,
    FileContext,
    ParseResult,
    Problem,
    RawFile,
    Row,
    api_count,
    api_field,
    api_id_check,
    build_result,
    collect_rows,
    daily_record,
    header_index,
    iter_rows,
    lineage,
    parse_utc,
    reject,
    require_columns,
    row_id,
    to_instant,
    to_local,
)

TWITTER_EPOCH_MS = 1288834974657
HANDLE = re.compile(r"(?:x|twitter)\.com/([^/]+)/status/(\d+)")

CONTENT_ALIASES = {
    "post id": "post_id",
    "date": "date",
    "post text": "text",
    "post link": "link",
    "impressions": "impressions",
    "likes": "likes",
    "engagements": "engagements",
    "bookmarks": "saves",
    "shares": "shares",
    "replies": "comments",
    "reposts": "reposts",
}
ACTIVITY_ALIASES = {
    "tweet id": "post_id",
    "tweet permalink": "link",
    "tweet text": "text",
    "time": "time",
    "impressions": "impressions",
    "retweets": "reposts",
    "replies": "comments",
    "likes": "likes",
}


def snowflake_instant(post_id: str) -> datetime:
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC).replace(microsecond=0)


def _sum(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


class XAccountContent:
    kind = "x_account_content"
    platform = "x"
    description = "X account analytics content export (account_analytics_content_….csv: Post id, Date, Post text, Post Link)"

    def matches(self, raw: RawFile) -> bool:
        return {"post_id", "date", "link", "impressions"} <= header_index(raw.first_sheet(), CONTENT_ALIASES).keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, CONTENT_ALIASES)
        require_columns(sheet, idx, {"post_id": "Post id", "date": "Date"}, raw.relative_path, "an X content export")
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        notes: list[Problem] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                post_id = row_id(row, "post_id")
                day = row.datetime("date", ("%a, %b %d, %Y", "%b %d, %Y", "%Y-%m-%d"))
                if day is None:
                    raise CellError(row.header("date"), None, "empty, a date is required")
                try:
                    instant = snowflake_instant(post_id)
                except (ValueError, OverflowError, OSError) as exc:
                    raise CellError(row.header("post_id"), post_id, f"the post id holds no valid creation time ({exc})") from exc
                local = to_local(instant, ctx.tz)
                precision = "second"
                if abs((local.date() - day.date()).days) > 1:
                    notes.append(Problem(raw.relative_path, row.number, row.header("date"), str(row.raw("date")),
                                         f"the post id says {local.date()}; the Date column is used"))
                    local, instant, precision = day, to_instant(day, ctx.tz), "day"
                link = row.text("link")
                m = HANDLE.search(link or "")
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": m.group(1) if m else None,
                        "post_id": post_id,
                        "published_at": instant,
                        "published_local": local,
                        "publish_time_precision": precision,
                        "post_type": "text",
                        "caption": row.text("text"),
                        "permalink": link,
                        "impressions": row.count("impressions"),
                        "likes": row.count("likes"),
                        "comments": row.count("comments"),
                        "shares": _sum(row.count("reposts"), row.count("shares")),
                        "saves": row.count("saves"),
                        "metric_definition": "x_analytics_content",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected, notes=notes)


class XTweetActivity:
    kind = "x_tweet_activity"
    platform = "x"
    description = "classic X/Twitter tweet activity export (Tweet id, Tweet permalink, Tweet text, time)"

    def matches(self, raw: RawFile) -> bool:
        return {"post_id", "link", "time"} <= header_index(raw.first_sheet(), ACTIVITY_ALIASES).keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ACTIVITY_ALIASES)
        require_columns(sheet, idx, {"post_id": "Tweet id", "time": "time"}, raw.relative_path, "a tweet activity export")
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                post_id = row_id(row, "post_id")
                when = row.datetime("time", ("%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S %z"))
                if when is None:
                    raise CellError(row.header("time"), None, "empty, a time is required")
                instant = when.astimezone(UTC)
                link = row.text("link")
                m = HANDLE.search(link or "")
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": m.group(1) if m else None,
                        "post_id": post_id,
                        "published_at": instant,
                        "published_local": to_local(instant, ctx.tz),
                        "publish_time_precision": "minute",
                        "post_type": "text",
                        "caption": row.text("text"),
                        "permalink": link,
                        "impressions": row.count("impressions"),
                        "likes": row.count("likes"),
                        "comments": row.count("comments"),
                        "shares": row.count("reposts"),
                        "metric_definition": "x_tweet_activity_legacy",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected)


OVERVIEW_ALIASES = {
    "date": "date",
    "impressions": "impressions",
    "new follows": "gained",
    "unfollows": "lost",
    "create post": "create_post",
}
X_DAY_FORMATS = ("%a, %b %d, %Y", "%b %d, %Y", "%Y-%m-%d")


class XAccountOverview:
    kind = "x_account_overview"
    platform = "x"
    lists_posts = False
    description = "X account overview export (account_overview_analytics.csv: Date, Impressions, …, New follows, Unfollows)"

    def matches(self, raw: RawFile) -> bool:
        idx = header_index(raw.first_sheet(), OVERVIEW_ALIASES)
        return {"date", "gained", "lost", "create_post"} <= idx.keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()

        def make(row: Row) -> dict[str, Any]:
            day = row.datetime("date", X_DAY_FORMATS)
            if day is None:
                raise CellError(row.header("date"), None, "empty, a date is required")
            return daily_record(self.platform, ctx, raw, sheet, row, day.date(), definition="x_account_overview",
                                gained=row.count("gained"), lost=row.count("lost"))

        daily, rejected = collect_rows(sheet, header_index(sheet, OVERVIEW_ALIASES), make)
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


PARSERS = [XAccountContent(), XTweetActivity(), XAccountOverview()]


class XApi(ApiPullParser):
    """An API v2 pull (``medsos.api.x``): the week's posts (reposts excluded) with public
    metrics, and the follower count. Reposts and quotes together are the shares, as in
    the account-analytics export; bookmarks are the saves."""

    kind = "x_api"
    platform = "x"
    description = "X API v2 pull (medsos JSON lines, api/x/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("user"):
            user = resp.body.get("data") or {}
            pull.handle = user.get("username") or pull.handle
            pull.account_id = user.get("id") or pull.account_id
            metrics = user.get("public_metrics") or {}
            pull.followers(resp, metrics.get("followers_count"), "data.public_metrics.followers_count", "x_api_followers")
        for resp, where, item in pull.listed("tweets"):
            post_id = str(item.get("id") or "")
            try:
                api_id_check(post_id, item.get("id"), f"{where}.id", "an X post id")
                published = api_field(parse_utc, item.get("created_at"), f"{where}.created_at")
                m = item.get("public_metrics") or {}
                n = {name: api_field(api_count, m.get(name), f"{where}.public_metrics.{name}")
                     for name in ("impression_count", "like_count", "reply_count", "retweet_count",
                                  "quote_count", "bookmark_count")}
                pull.post(
                    resp, post_id=post_id, published_at=published, post_type="text",
                    caption=item.get("text"),
                    permalink=f"https://x.com/{pull.handle}/status/{post_id}" if pull.handle else None,
                    impressions=n["impression_count"], likes=n["like_count"], comments=n["reply_count"],
                    shares=_sum(n["retweet_count"], n["quote_count"]), saves=n["bookmark_count"],
                    metric_definition="x_api_v2_public_metrics",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, post_id or None)


PARSERS.append(XApi())
