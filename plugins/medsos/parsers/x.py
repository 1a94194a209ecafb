"""X analytics exports.

- ``account_analytics_content_<from>_<to>.csv`` (2024+): one row per post. X changed its
  header at least twice and both generations are read, by column name:

  - early 2025: ``Post id,Date,Post text,Link,Impressions,…,Share,…``, ``Date`` =
    ``Mon Feb 17 2025``;
  - later: ``Post id,Date,Post text,Post Link,Impressions,…,Shares,…``, ``Date`` =
    ``"Sun, Nov 9, 2025"``.

  ``Date`` is a day without a time, in the zone of whoever downloaded the file (on the real
  early-2025 file of a Brazilian account every row fits UTC-10 … UTC-3 and two posts made
  between 00:00 and 03:00 UTC carry the previous day: not UTC). The exact instant comes from
  the post id, a snowflake: ``(id >> 22) + 1288834974657`` ms since 1970 UTC (to the second);
  ``Date`` is only the fallback, used (to the day, with a note) when the id's day is more
  than a day away from it. An id that holds no time at all (longer than X's 64 bits) is no
  X id: the row is quarantined. An empty ``Date`` costs nothing: the id has the time.

  The newer export also writes phantom rows, a ``…/status/undefined`` link, no post id and
  nothing but zeros: they are no post; they are skipped and counted
  (``ParseResult.skipped``), never loaded nor quarantined. Such a row with counts that are
  not zero is quarantined instead (it cannot be keyed to a post).
- The classic tweet-activity export of analytics.twitter.com (``Tweet id, Tweet permalink,
  Tweet text, time, impressions, …``, with ``promoted …`` twins written ``-``; counts can be
  written ``1938.0``), found in old backfills. ``time`` is UTC (``2021-06-07 18:51 +0000``):
  on every row of the real files it is the post id's instant cut to the minute. The
  instant is the id's (to the second) when ``time`` agrees with it within a minute; else
  ``time`` is kept (precision ``minute``) and the disagreement is noted.
- The classic *daily* tweet-activity export (``Date,Tweets published,impressions,…``):
  the account's day totals of tweet activity. It has no follower count (its ``follows``
  column counts follows made from a tweet, not the account's followers or unfollows), so
  nothing in it is loaded: it is recognised, lists no posts, and each of its days is
  counted as a skipped row with that reason.
- ``account_overview_analytics.csv``: one row per day, newest first, with ``New follows``
  and ``Unfollows`` (only this export has them; X revises its last days, so the latest
  export wins per day when the tables are built).

Counts: Replies -> comments; Bookmarks -> saves; shares = Reposts + Shares (``Share`` in
the early-2025 header) when both columns are present (X splits re-posting from sharing a
link or DM; both spread the post), else whichever one the file has.

Views: X's impressions are its views. Since 2023 X labels a post's impression count
"Views" in its apps (the eye icon under a post), and the analytics exports and the API's
``impression_count`` are that same number. So ``views`` is filled from impressions in every
X source (content export, classic tweet activity, API pull) and ``impressions`` keeps it
too; ``metric_definition`` tells the sources apart. The classic export predates the
"Views" label: its impressions counted the same thing (times the tweet was seen), so
they are read as views as well, for one cross-platform views column over the whole
history; a comparison that must exclude pre-2023 numbers can filter on
``metric_definition = 'x_tweet_activity_legacy'``.

Recognised by header names only; the handle comes from the link
(``https://x.com/<handle>/status/<id>``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from medsos.parsers.api_pull import (
    ApiPull,
    ApiPullParser,
    api_count,
    api_field,
    api_id_check,
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
    reject,
    require_columns,
    row_id,
    skip,
)
from medsos.parsers.sheets import RawFile, header_index, norm_header
from medsos.parsers.values import is_missing, parse_count, to_instant, to_local

if TYPE_CHECKING:
    import pandas as pd

    from medsos.parsers.columns import Columns

TWITTER_EPOCH_MS = 1288834974657
HANDLE = re.compile(r"(?:x|twitter)\.com/([^/]+)/status/(\d+)")
PHANTOM_LINK = re.compile(r"/status/undefined/?$", re.IGNORECASE)
PHANTOM_REASON = "X wrote a row for no post (status/undefined)"

CONTENT_ALIASES = {
    "post id": "post_id",
    "date": "date",
    "post text": "text",
    "post link": "link",  # later 2025 header
    "link": "link",  # early-2025 header
    "impressions": "impressions",
    "likes": "likes",
    "engagements": "engagements",
    "bookmarks": "saves",
    "shares": "shares",  # later 2025 header
    "share": "shares",  # early-2025 header
    "replies": "comments",
    "reposts": "reposts",
}
# Fields a content row is read from; every other column of a phantom row must be zero.
_CONTENT_WORDS = ("post_id", "date", "text", "link")
CONTENT_DAY_FORMATS = ("%a, %b %d, %Y", "%a %b %d %Y", "%b %d, %Y", "%Y-%m-%d")
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
ACTIVITY_TIME_FORMATS = ("%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S %z")


def snowflake_instant(post_id: str) -> datetime:
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC).replace(
        microsecond=0
    )


def _id_instant(post_id: str) -> datetime | None:
    """The instant in the post id, or None when the id holds no valid time."""
    try:
        return snowflake_instant(post_id)
    except (ValueError, OverflowError, OSError):
        return None


def _sum(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _is_zero(value: Any) -> bool:
    if is_missing(value):
        return True
    try:
        return parse_count(value) == 0
    except ValueError:
        return False


def _phantom(row: Row) -> bool | None:
    """Whether the row is one of X's rows for no post: True for a ``status/undefined``
    link without a post id and nothing but zeros; None for such a link and no id but
    some count that is not zero (no post, yet numbers: quarantined); False otherwise."""
    if not PHANTOM_LINK.search(row.text("link") or ""):
        return False
    post_id = (row.text("post_id") or "").strip()
    if post_id.isdigit():
        return False  # a real post with a broken link: read it
    words = {row.index[name] for name in _CONTENT_WORDS if name in row.index}
    cells = [v for i, v in enumerate(row.cells) if i not in words]
    return True if all(_is_zero(v) for v in cells) else None


class XAccountContent:
    kind = "x_account_content"
    platform = "x"
    lists_posts = True
    column_aliases = CONTENT_ALIASES  # the columns read_columns reads
    description = (
        "X account analytics content export (account_analytics_content_….csv: Post id, Date, Post text, "
        "Post Link or Link)"
    )

    def matches(self, raw: RawFile) -> bool:
        return {"post_id", "date", "link", "impressions"} <= header_index(
            raw.first_sheet(), CONTENT_ALIASES
        ).keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, CONTENT_ALIASES)
        require_columns(
            sheet,
            idx,
            {"post_id": "Post id", "date": "Date"},
            raw.relative_path,
            "an X content export",
        )
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        skipped: list[Problem] = []
        notes: list[Problem] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                phantom = _phantom(row)
                if phantom:
                    skipped.append(skip(raw, row, PHANTOM_REASON))
                    continue
                if phantom is None:
                    raise CellError(
                        row.header("post_id"),
                        row.raw("post_id"),
                        "a row for no post (status/undefined link, no post id) that has counts "
                        "other than zero: it cannot be keyed to a post",
                    )
                post_id = row_id(row, "post_id")
                day = row.datetime("date", CONTENT_DAY_FORMATS)
                instant = _id_instant(post_id)
                if instant is None:  # no X id: more than 64 bits
                    raise CellError(
                        row.header("post_id"), post_id, "the post id holds no valid creation time"
                    )
                local, precision = to_local(instant, ctx.tz), "second"
                if day is not None and abs((local.date() - day.date()).days) > 1:
                    notes.append(
                        Problem(
                            raw.relative_path,
                            row.number,
                            row.header("date"),
                            str(row.raw("date")),
                            f"the post id says {local.date()}; the Date column is used",
                        )
                    )
                    local, instant, precision = day, to_instant(day, ctx.tz), "day"
                link = row.text("link")
                m = HANDLE.search(link or "")
                impressions = row.count("impressions")
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
                        "views": impressions,  # X's impressions are its views (module docstring)
                        "impressions": impressions,
                        "likes": row.count("likes"),
                        "comments": row.count("comments"),
                        "shares": _sum(row.count("reposts"), row.count("shares")),
                        "saves": row.count("saves"),
                        "metric_definition": "x_analytics_content",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(
            self.kind, self.platform, raw, records, rejected, notes=notes, skipped=skipped
        )

    def read_columns(self, cols: Columns) -> pd.DataFrame | None:
        """``parse`` a column at a time for a header group DuckDB read
        (``medsos.parsers.csv_groups``); a row ``parse`` would quarantine, skip or note
        is marked bad instead, and its file is read by ``parse``."""
        import pandas as pd

        idx = cols.use(CONTENT_ALIASES)
        if not {"post_id", "date"} <= idx.keys():
            return None
        link = cols.text("link")
        # X's rows for no post (status/undefined) are skipped or held back by parse
        cols.mark_bad(link.str.contains(PHANTOM_LINK).fillna(False).to_numpy(dtype=bool))
        post_id = cols.ids("post_id")
        # the instant in the id, as snowflake_instant reads it (Python ints: no overflow)
        seconds = post_id.map(
            lambda v: None if v is None else ((int(v) >> 22) + TWITTER_EPOCH_MS) // 1000
        )
        # an id whose time falls outside what a datetime holds: parse refuses it
        outside = seconds.map(lambda v: v is not None and not 0 <= v < 253402300800)
        cols.mark_bad(outside.to_numpy(dtype=bool))
        seconds = seconds.where(~outside & seconds.notna(), 0).astype("int64")
        instant = pd.Series(pd.to_datetime(seconds, unit="s", utc=True)).astype(
            "datetime64[us, UTC]"
        )
        local = cols.local_times(instant)
        day = cols.datetimes("date", CONTENT_DAY_FORMATS)
        gap = (local.dt.normalize() - day.dt.normalize()).dt.days.abs()
        cols.mark_bad((day.notna() & (gap > 1)).to_numpy())  # parse notes it and uses Date
        handle = link.str.extract(HANDLE.pattern, expand=False)[0] if len(link) else link
        impressions = cols.count("impressions")
        present = [cols.count(n) for n in ("reposts", "shares") if cols.has(n)]
        shares = (
            pd.Series(pd.NA, index=range(cols.n), dtype="Int64")
            if not present
            else present[0]
            if len(present) == 1
            else present[0].fillna(0) + present[1].fillna(0)
        )
        if len(present) == 2:
            shares = shares.where(present[0].notna() | present[1].notna(), pd.NA)
        return cols.posts(
            self.platform,
            {
                "account_handle": handle.astype(object).where(handle.notna(), None),
                "post_id": post_id,
                "published_at": instant,
                "published_local": local,
                "publish_time_precision": "second",
                "post_type": "text",
                "caption": cols.text("text"),
                "permalink": link,
                "views": impressions,  # X's impressions are its views (module docstring)
                "impressions": impressions,
                "likes": cols.count("likes"),
                "comments": cols.count("comments"),
                "shares": shares,
                "saves": cols.count("saves"),
                "metric_definition": "x_analytics_content",
            },
        )


class XTweetActivity:
    kind = "x_tweet_activity"
    platform = "x"
    lists_posts = True
    description = (
        "classic X/Twitter tweet activity export (Tweet id, Tweet permalink, Tweet text, time)"
    )

    def matches(self, raw: RawFile) -> bool:
        return {"post_id", "link", "time"} <= header_index(
            raw.first_sheet(), ACTIVITY_ALIASES
        ).keys()

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        idx = header_index(sheet, ACTIVITY_ALIASES)
        require_columns(
            sheet,
            idx,
            {"post_id": "Tweet id", "time": "time"},
            raw.relative_path,
            "a tweet activity export",
        )
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        notes: list[Problem] = []
        for row in iter_rows(sheet, idx):
            post_id = None
            try:
                post_id = row_id(row, "post_id")
                when = row.datetime("time", ACTIVITY_TIME_FORMATS)
                if when is None:
                    raise CellError(row.header("time"), None, "empty, a time is required")
                instant, precision = when.astimezone(UTC), "minute"
                from_id = _id_instant(post_id)
                if from_id is not None and abs((from_id - instant).total_seconds()) < 60:
                    instant, precision = from_id, "second"  # the same minute: the id's second
                else:
                    notes.append(
                        Problem(
                            raw.relative_path,
                            row.number,
                            row.header("time"),
                            str(row.raw("time")),
                            f"the post id says {from_id:%Y-%m-%d %H:%M:%S} UTC; the time column is used"
                            if from_id
                            else "the post id holds no valid time; the time column is used",
                        )
                    )
                link = row.text("link")
                m = HANDLE.search(link or "")
                impressions = row.count("impressions")
                records.append(
                    {
                        **lineage(self.platform, ctx, raw, sheet, row),
                        "account_handle": m.group(1) if m else None,
                        "post_id": post_id,
                        "published_at": instant,
                        "published_local": to_local(instant, ctx.tz),
                        "publish_time_precision": precision,
                        "post_type": "text",
                        "caption": row.text("text"),
                        "permalink": link,
                        "views": impressions,  # X's impressions are its views (module docstring)
                        "impressions": impressions,
                        "likes": row.count("likes"),
                        "comments": row.count("comments"),
                        "shares": row.count("reposts"),
                        "metric_definition": "x_tweet_activity_legacy",
                    }
                )
            except CellError as exc:
                rejected.append(reject(row, sheet.name, exc, post_id))
        return build_result(self.kind, self.platform, raw, records, rejected, notes=notes)


DAILY_ACTIVITY_HEADERS = {"date", "tweets published", "impressions", "engagements"}
DAILY_ACTIVITY_REASON = (
    "a day of X's classic daily tweet activity (account totals: tweets published, impressions, "
    "engagements); no follower count in it, so nothing is loaded"
)


class XDailyTweetActivity:
    """The classic daily tweet-activity export: recognised, nothing loaded (module docstring)."""

    kind = "x_daily_tweet_activity"
    platform = "x"
    lists_posts = False
    description = (
        "classic X/Twitter daily tweet activity export (Date, Tweets published, impressions, …)"
    )

    def matches(self, raw: RawFile) -> bool:
        headers = {norm_header(h) for h in raw.first_sheet().header}
        return DAILY_ACTIVITY_HEADERS <= headers and "tweet id" not in headers

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = raw.first_sheet()
        skipped = [skip(raw, row, DAILY_ACTIVITY_REASON) for row in iter_rows(sheet, {})]
        return build_result(self.kind, self.platform, raw, [], [], skipped=skipped)


OVERVIEW_ALIASES = {
    "date": "date",
    "impressions": "impressions",
    "new follows": "gained",
    "unfollows": "lost",
    "create post": "create_post",
}
X_DAY_FORMATS = ("%a, %b %d, %Y", "%a %b %d %Y", "%b %d, %Y", "%Y-%m-%d")


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
            return daily_record(
                self.platform,
                ctx,
                raw,
                sheet,
                row,
                day.date(),
                definition="x_account_overview",
                gained=row.count("gained"),
                lost=row.count("lost"),
            )

        daily, rejected = collect_rows(sheet, header_index(sheet, OVERVIEW_ALIASES), make)
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


PARSERS: list[ExportParser] = [
    XAccountContent(),
    XTweetActivity(),
    XDailyTweetActivity(),
    XAccountOverview(),
]


class XApi(ApiPullParser):
    """An API v2 pull (``medsos.api.x``): the week's posts (reposts excluded) with public
    metrics, and the follower count. Reposts and quotes together are the shares, as in
    the account-analytics export; bookmarks are the saves; ``impression_count`` is the
    post's views (and its impressions), as in the exports."""

    kind = "x_api"
    platform = "x"
    description = "X API v2 pull (medsos JSON lines, api/x/…)"

    def normalise(self, pull: ApiPull) -> None:
        for resp in pull.of("user"):
            user = resp.body.get("data") or {}
            pull.handle = user.get("username") or pull.handle
            pull.account_id = user.get("id") or pull.account_id
            metrics = user.get("public_metrics") or {}
            pull.followers(
                resp,
                metrics.get("followers_count"),
                "data.public_metrics.followers_count",
                "x_api_followers",
            )
        for resp, where, item in pull.listed("tweets"):
            post_id = str(item.get("id") or "")
            try:
                api_id_check(post_id, item.get("id"), f"{where}.id", "an X post id")
                published = api_field(parse_utc, item.get("created_at"), f"{where}.created_at")
                m = item.get("public_metrics") or {}
                n = {
                    name: api_field(api_count, m.get(name), f"{where}.public_metrics.{name}")
                    for name in (
                        "impression_count",
                        "like_count",
                        "reply_count",
                        "retweet_count",
                        "quote_count",
                        "bookmark_count",
                    )
                }
                pull.post(
                    resp,
                    post_id=post_id,
                    published_at=published,
                    post_type="text",
                    caption=item.get("text"),
                    permalink=f"https://x.com/{pull.handle}/status/{post_id}"
                    if pull.handle
                    else None,
                    views=n["impression_count"],
                    impressions=n["impression_count"],
                    likes=n["like_count"],
                    comments=n["reply_count"],
                    shares=_sum(n["retweet_count"], n["quote_count"]),
                    saves=n["bookmark_count"],
                    metric_definition="x_api_v2_public_metrics",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, post_id or None)


PARSERS.append(XApi())
