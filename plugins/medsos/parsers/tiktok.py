"""TikTok Studio analytics exports.

The export shapes
-----------------

``tiktok_content``: the per-video "Content" export, as a workbook (``Content.xlsx``, sheet
``Content``, possibly with a ``FollowerHistory`` sheet) or as CSV (UTF-8 with BOM, every
cell quoted)::

    Time,Video title,Video link,Post time,Total likes,Total comments,Total shares,Total views

``tiktok_video_list``: a per-video export without the ``Time`` column, with views and
saves under other names and a ``Post time`` that has a clock (``2025/10/31 18:19:10``)::

    Video title,Video link,Post time,Video views,Likes,Comments,Shares,Add to Favorites

In both:

- There is no video-id column: the id comes from ``Video link`` (``/video/<id>``, or
  ``/photo/<id>`` for photo carousels), and so does the account handle (``/@<handle>/``).
- The id's top 32 bits are the creation time in unix seconds: the exact publish instant,
  used for every post. ``Post time`` is only a cross-check; a disagreement is reported
  (a note on the file) while the id's time is kept.
- Counts may be ``"18,400"`` or ``1.2K``; ``undefined`` is unknown, never 0.
- A post-level problem (a bad link, an unreadable count) quarantines that post only.

``tiktok_follower_history``: a ``FollowerHistory`` file on its own
(``Date,Followers,Difference in followers from previous day``), as in the legacy ZIP: one
row per day, oldest first, up to a year of days (365 rows from ``February 28`` to
``February 27``), ``Followers`` = ``undefined`` on the early days.

``tiktok_overview``: TikTok Studio's Overview (CSV or XLSX): one row per day with
``New followers`` / ``Lost followers``; dates ``2024/02/12``.

The legacy ZIP's other files (``Overview.csv`` / ``Overview.xlsx``, ``Viewers.csv``,
``FollowerGender.csv``, ``FollowerTopTerritories.csv``, ``FollowerActivity.csv``) hold
account-level figures the weekly evaluation does not use: recognised, nothing loaded,
every row counted as skipped with the reason.

Which clock each column is in
-----------------------------

- ``Video link`` id: an instant (unix seconds, UTC). ``published_at`` is this instant,
  ``published_local`` its wall-clock time in the office's zone.
- ``Post time`` with a clock (``2025/10/31 18:19:10``, the video list): **UTC**. On every
  one of the 51 rows of a real file (a Bulgarian account, UTC+2/+3) it is 2 to 8 seconds
  after the id's instant, in summer and winter alike. Read as UTC and cross-checked
  against the id to a quarter of an hour.
- ``Post time`` as a day (``July 16``, ``8 Juli``, ``2024/02/12``, a date cell): the day in
  the account owner's clock, not UTC and not necessarily the office's. In a real US file
  the video made at 01:08 UTC on 4 September is ``September 3`` (and 01:22 UTC on 22
  November is ``November 21``): a zone at least 2 h 40 behind UTC. Compared with the
  id's day in the office zone with a day's tolerance either way. A day without a year
  gets the year that puts it on or before the export day, never after it.
- ``Time``: when the export was made. Either a timestamp (``2024-09-10 08:00:00``, taken
  as office local time) or only the day (``February 28``, no year, no clock). It is
  metadata: it never costs a row. A timestamp is the snapshot time of the numbers. A day
  gets the year that puts it on or before the end of the delivery week (an export is
  never from after the week it was delivered for), and the numbers are taken as of the
  end of that day in the office zone: the same convention as the delivery week's own
  snapshot (Monday 00:00 after the week), and never later than it. When ``Time`` is
  missing, unreadable, or its day contradicts the videos (a year-less day that would
  put the export before its newest video), the numbers are taken as of the end of the
  delivery week (``ctx.snapshot_at``) and the file carries a note saying so.
- Follower and overview ``Date``: days in the account's clock, often without a year. Rows
  run in time order (oldest first; a newest-first file is read as such). The last day is
  on or before the export day (or the delivery week's end when the export day is not
  known), and every earlier row lies before the row after it: years are given walking
  back from the last row. A row that breaks the order (a day that goes back, or repeats)
  cannot be given a year without guessing: it is quarantined with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast

from medsos.parsers.api_pull import ApiPull, ApiPullParser, api_count, api_field, api_id_check
from medsos.parsers.base import (
    AcknowledgedExport,
    CellError,
    ExportParser,
    FileContext,
    ParseResult,
    Problem,
    Row,
    build_result,
    daily_record,
    iter_rows,
    lineage,
    reject,
    require_columns,
)
from medsos.parsers.sheets import RawFile, RawSheet, header_index
from medsos.parsers.values import (
    excel_serial_to_datetime,
    is_missing,
    most_common,
    parse_day_month,
    parse_fixed_datetime,
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
    # the video list's names for the same lifetime counts
    "video views": "views",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
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
POST_CLOCK_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
# A Post time with a clock is UTC and follows the id's instant by seconds; anything
# further apart than this is another clock or another video, worth a note.
POST_CLOCK_TOLERANCE = timedelta(minutes=15)
# Days in a follower or overview file follow each other; a step of more than half a year
# forward is read as a step back (or a repeat), which breaks the file's order.
LONGEST_STEP_DAYS = 183
# An export made more than this long before its delivery week ends is worth a note:
# either an old file was delivered, or the year of a year-less day was misread.
OLD_EXPORT_DAYS = 7


def id_instant(video_id: str) -> datetime:
    """Creation instant stored in a TikTok id's top 32 bits."""
    return datetime.fromtimestamp(int(video_id) >> 32, tz=UTC)


def week_end_day(ctx: FileContext) -> date:
    """The delivery week's last day in the office zone (its snapshot is 00:00 the day after)."""
    return (to_local(ctx.snapshot_at, ctx.tz) - timedelta(microseconds=1)).date()


@lru_cache(maxsize=65536)  # a day label is resolved for every video and every follower day
def latest_on_or_before(month: int, day: int, limit: date) -> date:
    """``month``/``day`` in the latest year that puts it on or before ``limit``."""
    for year in range(limit.year, limit.year - 9, -1):  # 29 February: up to 8 years back
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= limit:
            return candidate
    raise ValueError(f"no year puts {month:02d}-{day:02d} on or before {limit}")


_YEAR_MONTH_DAY = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")


def read_day(value: Any) -> date | tuple[int, int]:
    """A TikTok day as written: a date when it has a year (``2024/02/12``, ``2024-02-12``,
    ``Jan 6, 2024``, a date cell), else ``(month, day)`` (``8 Juli``, ``August 31``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value)).date()
    text = str(value).strip()
    m = _YEAR_MONTH_DAY.fullmatch(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    year, month, day = parse_day_month(text)
    return date(year, month, day) if year else (month, day)


def day_of(value: Any, reference: date) -> date:
    """A TikTok day; without a year, the year that puts it on or before ``reference``."""
    day = read_day(value)
    return day if isinstance(day, date) else latest_on_or_before(*day, reference)


# --------------------------------------------------------------------------- days in order


@lru_cache(maxsize=65536)  # compared for every pair of neighbouring days of every file
def _steps_forward(earlier: tuple[int, int], later: tuple[int, int]) -> int:
    """Days from ``earlier`` to ``later`` going forward in time (0 when the same day);
    counted in a leap year, so a day off around 29 February, which does not matter for
    telling a step forward from a step back."""
    return (date(2000, *later) - date(2000, *earlier)).days % 366


def _follows(earlier: tuple[int, int], later: tuple[int, int]) -> bool:
    return 1 <= _steps_forward(earlier, later) <= LONGEST_STEP_DAYS


def days_in_order(rows: list[Row], reference: date, name: str = "date") -> list[date | CellError]:
    """The day of every row (or why it has none), for a file of days in time order.

    Days with a year are taken as written. Year-less days get theirs from their order: the
    last day is on or before ``reference`` and each earlier one lies before the one after
    it. A newest-first file is recognised by most of its steps going back. A row that
    breaks the order gets an error; the one-row look-ahead decides which of two rows
    that disagree is the stray (the one its other neighbour does not follow either).
    """
    out: list[date | CellError | None] = [None] * len(rows)
    year_less: list[tuple[int, tuple[int, int]]] = []  # (position in rows, (month, day))
    for i, row in enumerate(rows):
        value = row.raw(name)
        try:
            day = read_day(value)
        except ValueError as exc:
            out[i] = CellError(row.header(name), value, str(exc))
            continue
        if isinstance(day, date):
            out[i] = day
        else:
            year_less.append((i, day))
    if not year_less:
        return cast(list[date | CellError], out)  # every row was a day or an error

    forward = sum(_follows(a, b) for (_, a), (_, b) in zip(year_less, year_less[1:], strict=False))
    backward = sum(_follows(b, a) for (_, a), (_, b) in zip(year_less, year_less[1:], strict=False))
    newest_first = backward > forward
    seq = year_less[::-1] if newest_first else year_less  # oldest first from here on

    kept: list[int] = []  # positions in seq that keep the order
    stray: dict[int, int] = {}  # position in seq -> the kept position it conflicts with
    k = 0
    while k < len(seq):
        if not kept or _follows(seq[kept[-1]][1], seq[k][1]):
            kept.append(k)
            k += 1
            continue
        last = kept[-1]
        after = k + 1
        last_is_stray = (
            after < len(seq)
            and _follows(seq[k][1], seq[after][1])
            and not _follows(seq[last][1], seq[after][1])
            and (len(kept) == 1 or _follows(seq[kept[-2]][1], seq[k][1]))
        )
        if last_is_stray:
            stray[kept.pop()] = k
            continue  # row k is checked again against the row kept before the stray one
        stray[k] = last
        k += 1

    years_after_first = [0]
    for before, now in zip(kept, kept[1:], strict=False):
        wraps = seq[now][1] <= seq[before][1]  # went past 31 December
        years_after_first.append(years_after_first[-1] + wraps)
    try:
        last_year = latest_on_or_before(*seq[kept[-1]][1], reference).year
    except ValueError as exc:  # only 29 February, with no leap year for 8 years
        last_year, why = None, f"the file's last day: {exc}"
    for position, extra in zip(kept, years_after_first, strict=True):
        i, (month, day_of_month) = seq[position]
        row = rows[i]
        if last_year is None:
            out[i] = CellError(row.header(name), row.raw(name), why)
            continue
        year = last_year - years_after_first[-1] + extra
        try:
            out[i] = date(year, month, day_of_month)
        except ValueError:
            out[i] = CellError(
                row.header(name),
                row.raw(name),
                f"29 February in {year}, which has none: the days around it are out of order",
            )
    order = "newest first" if newest_first else "oldest first"
    for position, other in stray.items():
        i = seq[position][0]
        row, neighbour = rows[i], rows[seq[other][0]]
        out[i] = CellError(
            row.header(name),
            row.raw(name),
            f"out of order: the days in this file run {order}, and this day does not fit there "
            f"next to {neighbour.raw(name)!r} (row {neighbour.number}); without a year in the file "
            "its year cannot be told, so the row is set aside rather than guessed",
        )
    assert all(day is not None for day in out)  # every row has its day or its reason
    return out  # type: ignore[return-value]


def _daily(
    raw: RawFile, sheet: RawSheet, idx: dict[str, int], reference: date, make
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``make(row, day)`` for every row whose day is known; the others quarantined."""
    rows = list(iter_rows(sheet, idx))
    records, rejected = [], []
    for row, day in zip(rows, days_in_order(rows, reference), strict=True):
        try:
            if isinstance(day, CellError):
                raise day
            records.append(make(row, day))
        except CellError as exc:
            rejected.append(reject(row, sheet.name, exc))
    return records, rejected


def _find_sheet(raw: RawFile, aliases: dict[str, str], required: set[str]) -> RawSheet | None:
    for sheet in raw.sheets:
        if required <= header_index(sheet, aliases).keys():
            return sheet
    return None


def _followers(
    raw: RawFile,
    sheet: RawSheet,
    ctx: FileContext,
    snapshot_at: datetime,
    reference: date,
    handle: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def make(row: Row, day: date) -> dict[str, Any]:
        gained, lost = split_delta(row.count("difference"))
        return daily_record(
            "tiktok",
            ctx,
            raw,
            sheet,
            row,
            day,
            definition="tiktok_follower_history",
            followers=row.count("followers"),
            gained=gained,
            lost=lost,
            handle=handle,
            snapshot_at=snapshot_at,
        )

    return _daily(raw, sheet, header_index(sheet, FOLLOWER_ALIASES), reference, make)


# --------------------------------------------------------------------------- export time


@dataclass
class ExportTime:
    """When a content export was made, as far as its ``Time`` column tells."""

    snapshot_at: datetime  # when the file's numbers were true (UTC)
    day: date  # the export day: no day in the file lies after it
    by_row: dict[int, datetime] = field(default_factory=dict)  # rows with their own timestamp
    notes: list[Problem] = field(default_factory=list)


def _newest_video_day(rows: list[Row], ctx: FileContext) -> date | None:
    days = []
    for row in rows:
        m = LINK.search(str(row.raw("link") or ""))
        if m:
            try:
                days.append(to_local(id_instant(m.group(3)), ctx.tz).date())
            except (ValueError, OverflowError, OSError):
                continue  # reported on the row itself
    return max(days, default=None)


def export_time(raw: RawFile, idx: dict[str, int], rows: list[Row], ctx: FileContext) -> ExportTime:
    """The snapshot time and export day of a content export (see the module docstring)."""
    week_end = week_end_day(ctx)
    as_of_week_end = f"the numbers are taken as of the end of the delivery week ({week_end})"
    if "generated" not in idx:
        return ExportTime(
            ctx.snapshot_at,
            week_end,
            notes=[
                Problem(
                    raw.relative_path,
                    None,
                    None,
                    None,
                    f"no 'Time' column telling when TikTok made the export: {as_of_week_end}",
                )
            ],
        )
    header = rows[0].header("generated") if rows else "Time"
    by_row: dict[int, datetime] = {}
    days: dict[str, tuple[date | tuple[int, int], int]] = {}  # text -> (day, first row)
    unreadable: dict[str, int] = {}
    instants: dict[tuple[type, Any], datetime] = {}  # a file's rows mostly repeat one time
    for row in rows:
        value = row.raw("generated")
        if is_missing(value):
            continue
        try:
            seen = (type(value), value)  # by type too: 1 and True are equal keys
            instant = instants.get(seen)
            if instant is None:
                instant = instants[seen] = to_instant(
                    parse_fixed_datetime(value, GENERATED_FORMATS), ctx.tz
                )
            by_row[row.number] = instant
            continue
        except ValueError:
            pass
        try:
            days.setdefault(str(value), (read_day(value), row.number))
        except ValueError:
            unreadable.setdefault(str(value), row.number)
    notes = [
        Problem(
            raw.relative_path,
            number,
            header,
            text,
            "neither a time nor a day medsos can read; it costs no row, the rows take the export's time",
        )
        for text, number in unreadable.items()
    ]
    if by_row:
        latest = max(by_row.values())
        return ExportTime(latest, to_local(latest, ctx.tz).date(), by_row, notes)

    resolved: list[tuple[date, str, int, bool]] = []  # (day, text, first row, year given)
    for text, (day, number) in days.items():
        try:
            if isinstance(day, date):
                resolved.append((day, text, number, True))
            else:
                resolved.append((latest_on_or_before(*day, week_end), text, number, False))
        except ValueError as exc:
            notes.append(Problem(raw.relative_path, number, header, text, str(exc)))
    if resolved:
        export_day, text, number, year_given = max(resolved)
        read_as = f"read as {export_day}" + (
            ""
            if year_given
            else " (no year given: the latest such day on or before the delivery week's end)"
        )
        newest = _newest_video_day(rows, ctx)
        # the export day is in the owner's clock, the video's in the office's: a day apart at most
        if newest is not None and export_day < newest - timedelta(days=1):
            notes.append(
                Problem(
                    raw.relative_path,
                    number,
                    header,
                    text,
                    f"{read_as}, which is before the newest video ({newest}): the export day is unknown, "
                    f"{as_of_week_end}",
                )
            )
            return ExportTime(ctx.snapshot_at, week_end, notes=notes)
        end_of_day = to_instant(datetime.combine(export_day + timedelta(days=1), time()), ctx.tz)
        if export_day < week_end - timedelta(days=OLD_EXPORT_DAYS):
            notes.append(
                Problem(
                    raw.relative_path,
                    number,
                    header,
                    text,
                    f"the export was made on {export_day}, {(week_end - export_day).days} days before the "
                    "delivery week ended: its numbers are that old (an old file delivered again?)",
                )
            )
        return ExportTime(min(end_of_day, ctx.snapshot_at), export_day, notes=notes)

    if not rows:  # a week without videos: nothing whose time is in question
        return ExportTime(ctx.snapshot_at, week_end)
    why = "is empty on every row" if not days and not unreadable else "has no readable time or day"
    notes.append(
        Problem(raw.relative_path, None, header, None, f"'{header}' {why}: {as_of_week_end}")
    )
    return ExportTime(ctx.snapshot_at, week_end, notes=notes)


# --------------------------------------------------------------------------- content


def _content_sheet(raw: RawFile) -> RawSheet | None:
    return _find_sheet(raw, ALIASES, CONTENT_REQUIRED)


class TikTokContent:
    kind = "tiktok_content"
    platform = "tiktok"
    lists_posts = True
    description = (
        "TikTok Studio content export (Content.xlsx or CSV with Time, Video title, Video link, "
        "Post time, Total views)"
    )

    def matches(self, raw: RawFile) -> bool:
        sheet = _content_sheet(raw)
        return sheet is not None and "generated" in header_index(sheet, ALIASES)

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = _content_sheet(raw) or raw.first_sheet()
        idx = header_index(sheet, ALIASES)
        require_columns(
            sheet,
            idx,
            {"link": "Video link", "published": "Post time", "views": "Total views"},
            raw.relative_path,
            "a TikTok content export",
        )
        rows = list(iter_rows(sheet, idx))
        export = export_time(raw, idx, rows, ctx)
        records: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        notes: list[Problem] = list(export.notes)
        for row in rows:
            video_id = None
            try:
                link = row.required_text("link")
                m = LINK.search(link)
                if not m:
                    raise CellError(row.header("link"), link, "not a TikTok video or photo link")
                handle, media, video_id = m.group(1), m.group(2), m.group(3)
                try:
                    instant = id_instant(video_id)
                except (ValueError, OverflowError, OSError) as exc:
                    raise CellError(
                        row.header("link"),
                        link,
                        f"the video id holds no valid creation time ({exc})",
                    ) from exc
                local = to_local(instant, ctx.tz)
                note = self._check_post_time(row, raw, instant, local, export.day)
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
                        "snapshot_at": export.by_row.get(row.number, export.snapshot_at),
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
            daily, bad = _followers(
                raw, follower_sheet, ctx, export.snapshot_at, export.day, handle
            )
            rejected += bad
        return build_result(self.kind, self.platform, raw, records, rejected, daily, notes)

    @staticmethod
    def _check_post_time(
        row: Row, raw: RawFile, instant: datetime, local: datetime, export_day: date
    ) -> Problem | None:
        """A note when ``Post time`` disagrees with the id; the id's time stays."""
        value = row.raw("published")
        if is_missing(value):
            return None
        if isinstance(value, str):
            try:
                written = parse_fixed_datetime(value, POST_CLOCK_FORMATS).replace(tzinfo=UTC)
            except ValueError:
                written = None
            if written is not None:
                if abs(written - instant) > POST_CLOCK_TOLERANCE:
                    return Problem(
                        raw.relative_path,
                        row.number,
                        row.header("published"),
                        value,
                        f"read as UTC, differs from the time in the video id ({instant:%Y-%m-%d %H:%M:%S} UTC); "
                        "the id's time is used",
                    )
                return None
        try:
            day = day_of(value, export_day)
        except ValueError as exc:
            raise CellError(row.header("published"), value, str(exc)) from exc
        if abs((day - local.date()).days) > 1:
            return Problem(
                raw.relative_path,
                row.number,
                row.header("published"),
                str(value),
                f"differs from the day in the video id ({local.date()}); the id's time is used",
            )
        return None


class TikTokVideoList(TikTokContent):
    """The per-video export without ``Time``: read like the content export; its numbers
    are taken as of the delivery week's end."""

    kind = "tiktok_video_list"
    description = (
        "TikTok per-video export without a Time column (Video title, Video link, Post time, "
        "Video views, Likes, Comments, Shares, Add to Favorites)"
    )

    def matches(self, raw: RawFile) -> bool:
        sheet = _content_sheet(raw)
        return sheet is not None and "generated" not in header_index(sheet, ALIASES)


# --------------------------------------------------------------------------- account days


class TikTokFollowerHistory:
    kind = "tiktok_follower_history"
    platform = "tiktok"
    lists_posts = False  # account figures only: not a delivery of the week's posts
    description = (
        "TikTok FollowerHistory export (Date, Followers, Difference in followers from previous day)"
    )

    def matches(self, raw: RawFile) -> bool:
        return (
            _content_sheet(raw) is None
            and _find_sheet(raw, FOLLOWER_ALIASES, FOLLOWER_REQUIRED) is not None
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = _find_sheet(raw, FOLLOWER_ALIASES, FOLLOWER_REQUIRED)
        if sheet is None:
            sheet = raw.first_sheet()
            require_columns(
                sheet,
                header_index(sheet, FOLLOWER_ALIASES),
                {
                    "date": "Date",
                    "followers": "Followers",
                    "difference": "Difference in followers from previous day",
                },
                raw.relative_path,
                "a TikTok follower history",
            )
        # no export day in this file: its last day is on or before the delivery week's end
        daily, rejected = _followers(raw, sheet, ctx, ctx.snapshot_at, week_end_day(ctx), None)
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
        return _content_sheet(raw) is None and self._sheet(raw) is not None

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        sheet = self._sheet(raw) or raw.first_sheet()
        daily, rejected = _daily(
            raw,
            sheet,
            header_index(sheet, OVERVIEW_ALIASES),
            week_end_day(ctx),
            lambda row, day: daily_record(
                self.platform,
                ctx,
                raw,
                sheet,
                row,
                day,
                definition="tiktok_studio_overview",
                gained=row.count("gained"),
                lost=row.count("lost"),
            ),
        )
        return build_result(self.kind, self.platform, raw, [], rejected, daily)


# --------------------------------------------------------------------------- legacy ZIP


class TikTokLegacyFile(AcknowledgedExport):
    """One of the legacy ZIP's files that medsos does not evaluate, recognised by its exact
    headers (its rows are counted as skipped, with the reason)."""

    def __init__(self, kind: str, headers: tuple[str, ...], what: str, holds: str):
        self.kind, self.platform, self.headers = kind, "tiktok", headers
        self.description = (
            f"TikTok legacy analytics '{what}' ({holds}; CSV or XLSX inside the downloaded ZIP)"
        )
        # Meta's demographic files share these headers but are UTF-16; TikTok's are UTF-8.
        self.encodings = ("utf-8", "utf-8-sig", "xlsx")


# The legacy ZIP's other files: account-level views, viewers, audience shares and hours,
# which the weekly evaluation does not use. Recognised so that a whole ZIP loads without
# rejections.
LEGACY_ACKNOWLEDGED = [
    TikTokLegacyFile(
        "tiktok_legacy_overview",
        ("date", "video views", "profile views", "likes", "comments", "shares"),
        "Overview",
        "account views and interactions per day",
    ),
    TikTokLegacyFile(
        "tiktok_legacy_viewers",
        ("date", "total viewers", "new viewers", "returning viewers"),
        "Viewers",
        "viewers per day",
    ),
    TikTokLegacyFile(
        "tiktok_legacy_follower_gender",
        ("gender", "distribution"),
        "FollowerGender",
        "followers' gender shares",
    ),
    TikTokLegacyFile(
        "tiktok_legacy_follower_territories",
        ("top territories", "distribution"),
        "FollowerTopTerritories",
        "followers' country shares",
    ),
    TikTokLegacyFile(
        "tiktok_legacy_follower_activity",
        ("date", "hour", "active followers"),
        "FollowerActivity",
        "followers online per hour over the last seven days",
    ),
]

PARSERS: list[ExportParser] = [
    TikTokContent(),
    TikTokVideoList(),
    TikTokFollowerHistory(),
    TikTokStudioOverview(),
    *LEGACY_ACKNOWLEDGED,
]


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
            pull.followers(
                resp,
                user.get("follower_count"),
                "data.user.follower_count",
                "tiktok_display_api_followers",
            )
        start, end = pull.window()
        for resp, where, video in pull.listed("video_list", "data.videos"):
            video_id = str(video.get("id") or "")
            try:
                api_id_check(video_id, video.get("id"), f"{where}.id", "a TikTok video id")
                created = api_field(api_count, video.get("create_time"), f"{where}.create_time")
                if created is None:
                    raise CellError(
                        f"{where}.create_time", None, "missing, a publish time is required"
                    )
                published = datetime.fromtimestamp(created, tz=UTC)
                if not start <= published < end:
                    continue
                pull.post(
                    resp,
                    post_id=video_id,
                    published_at=published,
                    post_type="video",
                    caption=video.get("video_description") or video.get("title"),
                    permalink=video.get("share_url"),
                    views=api_field(api_count, video.get("view_count"), f"{where}.view_count"),
                    likes=api_field(api_count, video.get("like_count"), f"{where}.like_count"),
                    comments=api_field(
                        api_count, video.get("comment_count"), f"{where}.comment_count"
                    ),
                    shares=api_field(api_count, video.get("share_count"), f"{where}.share_count"),
                    duration_seconds=api_field(
                        api_count, video.get("duration"), f"{where}.duration"
                    ),
                    metric_definition="tiktok_display_api_lifetime",
                )
            except CellError as exc:
                pull.reject(resp, exc.column, exc.value, exc.message, video_id or None)


PARSERS.append(TikTokApi())
