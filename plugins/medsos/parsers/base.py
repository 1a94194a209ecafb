"""The one small interface every platform parser implements, the column contract and the record builder.

A landing file goes through three steps:

1. ``read_raw(path)`` (in ``medsos.parsers.sheets``) decodes the bytes into ``RawFile``:
   sheets of header + rows, each row carrying the line or row number it came from, so
   every later error can name file, row and column.
2. ``detect(raw)`` (in ``medsos.parsers``) asks every registered parser whether it
   recognises the headers; the platform comes from content, never from the file name.
3. ``parser.parse(raw, ctx)`` returns a ``ParseResult``: normalised post snapshots
   (``POST_COLUMNS``), account-level daily figures (``ACCOUNT_DAILY_COLUMNS``) and the
   problems found (a bad cell never silently becomes NULL or zero: the row goes to
   quarantine with the reason, the rest of the file still loads).

This module holds step 3's shared parts: ``ExportParser``, ``FileContext``,
``ParseResult``, ``Problem``, the column contract, ``Row`` (a row seen through a
parser's column names) and the helpers that build records with their lineage. Cell
values are read by ``medsos.parsers.values``. The names of both other modules that
callers use are re-exported here.

Metrics are NULL where a platform has none; never a made-up zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pandas as pd

# The "X as X" names are re-exported: callers and tests import them from here, as before
from medsos.parsers.sheets import CUT_ROW as CUT_ROW
from medsos.parsers.sheets import ParseError, RawFile, RawSheet, norm_header
from medsos.parsers.sheets import read_raw as read_raw
from medsos.parsers.values import (
    COUNT_LIMIT,
    cell_text,
    id_text,
    is_missing,
    parse_count,
    parse_decimal,
    parse_duration_seconds,
    parse_fixed_datetime,
)
from medsos.parsers.values import META_CLOCK as META_CLOCK
from medsos.parsers.values import MISSING_MARKERS as MISSING_MARKERS

PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok")
POST_TYPES = ("image", "video", "carousel", "reel", "short", "story", "text", "live")

# Normalised post snapshot: one row per post per file it appeared in.
POST_COLUMNS: dict[str, str] = {
    "platform": "string",
    "office_code": "string",
    "account_handle": "string",  # as written in the file, when the file says it
    "account_id": "string",
    "post_id": "string",  # always text: platform ids exceed 2**53
    "published_at": "datetime64[us, UTC]",  # the instant; for day precision: local midnight
    "published_local": "datetime64[us]",  # wall-clock time in the office's zone
    "publish_time_precision": "string",  # 'minute' | 'second' | 'day'
    "post_type": "string",
    "caption": "string",
    "permalink": "string",
    "views": "Int64",
    "reach": "Int64",
    "impressions": "Int64",
    "likes": "Int64",
    "comments": "Int64",
    "shares": "Int64",
    "saves": "Int64",
    "duration_seconds": "Float64",
    "watch_time_hours": "Float64",
    "metric_definition": "string",  # which platform definition the numbers follow
    "snapshot_at": "datetime64[us, UTC]",  # when the numbers were true
    "source_file": "string",  # path relative to the landing root
    "source_sheet": "string",
    "source_row": "Int64",  # line (CSV) or row (XLSX) number, header = 1
}

ACCOUNT_DAILY_COLUMNS: dict[str, str] = {
    "platform": "string",
    "office_code": "string",
    "account_handle": "string",
    "metric_date": "datetime64[us]",
    "followers": "Int64",
    "followers_gained": "Int64",
    "followers_lost": "Int64",
    "metric_definition": "string",
    "snapshot_at": "datetime64[us, UTC]",
    "source_file": "string",
    "source_sheet": "string",
    "source_row": "Int64",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell or row; the row is quarantined, not dropped."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.message}{shown}"


@dataclass(frozen=True)
class FileContext:
    """What the landing layout tells about a file: who delivered it, for which week."""

    relative_path: str
    office_code: str
    office_timezone: str
    delivery_week: str  # 'YYYY-Www'
    snapshot_at: datetime  # UTC; end of the delivery week unless the file says otherwise

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_timezone)


@dataclass
class ParseResult:
    kind: str
    platform: str
    # normalised rows as plain records: the pipeline gathers those of every file and
    # builds one frame per batch (building a typed frame per file cost more than parsing)
    post_records: list[dict[str, Any]]
    daily_records: list[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)
    # rows that could not be normalised: {source_row, source_sheet, column, value, message}
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    # what the reader noticed without rejecting a row (a date column overruled by the
    # post id, a metric an API retired): kept in the manifest's status_reason
    notes: list[Problem] = field(default_factory=list)
    # rows the platform writes that are no post and no day (X's ``status/undefined``
    # rows, Meta's "An error occurred while computing metadata" rows): counted and named
    # with the reason, neither loaded nor quarantined. A file's rows are
    # posts + days + rejected + skipped.
    skipped: list[Problem] = field(default_factory=list)

    @cached_property
    def posts(self) -> pd.DataFrame:
        """The post snapshots as a typed frame (``POST_COLUMNS``)."""
        return frame(self.post_records, POST_COLUMNS)

    @cached_property
    def account_daily(self) -> pd.DataFrame:
        """The account-level days as a typed frame (``ACCOUNT_DAILY_COLUMNS``)."""
        return frame(self.daily_records, ACCOUNT_DAILY_COLUMNS)


class ExportParser(Protocol):
    """One native export shape of one platform."""

    kind: str  # e.g. 'facebook_content', stored in the manifest
    platform: str
    description: str  # what a user would call it, for error messages
    # Whether the export lists posts. Only such a file counts as the office's delivery for
    # the week (zero posts vs missing); account-figure files (followers, totals) do not.
    # Parsers that only give account figures set it to False; absent means True.
    lists_posts: bool

    def matches(self, raw: RawFile) -> bool: ...

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult: ...


def frame(records: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """Build a frame with exactly ``columns`` in order and dtype; absent keys become NULL."""
    return conform(
        pd.DataFrame(
            {name: [r.get(name) for r in records] for name in columns}, columns=list(columns)
        ),
        columns,
    )


def conform(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``df`` with exactly ``columns`` in order and dtype (absent ones NULL), converted a
    column at a time: the same frame ``frame`` makes of ``df``'s rows, without making a
    Python dict of every row (seconds on a national week)."""
    src = df.reset_index(drop=True)
    df = pd.DataFrame(
        {
            name: src[name] if name in src.columns else pd.Series([None] * len(src), dtype=object)
            for name in columns
        },
        columns=list(columns),
    )
    for name, dtype in columns.items():
        if dtype.startswith("datetime64") and "UTC" in dtype:
            df[name] = pd.to_datetime(df[name], utc=True).astype(dtype)
        elif dtype.startswith("datetime64"):
            df[name] = pd.to_datetime(df[name]).astype(dtype)
        else:
            df[name] = df[name].astype(dtype)
    return df


def empty_posts() -> pd.DataFrame:
    return frame([], POST_COLUMNS)


def empty_account_daily() -> pd.DataFrame:
    return frame([], ACCOUNT_DAILY_COLUMNS)


class CellError(ValueError):
    """One cell that cannot be read; carries the column as written in the file."""

    def __init__(self, column: str, value: Any, message: str):
        super().__init__(message)
        self.column = column
        self.value = value
        self.message = message


class Row:
    """One data row seen through a parser's alias map; conversions name the file's column."""

    def __init__(self, sheet: RawSheet, index: dict[str, int], number: int, cells: list[Any]):
        self.sheet, self.index, self.number, self.cells = sheet, index, number, cells

    def has(self, name: str) -> bool:
        return name in self.index

    def header(self, name: str) -> str:
        return self.sheet.header[self.index[name]] if name in self.index else name

    def raw(self, name: str) -> Any:
        i = self.index.get(name)
        if i is None or i >= len(self.cells):
            return None
        v = self.cells[i]
        return v.strip() if isinstance(v, str) else v

    def text(self, name: str) -> str | None:
        return cell_text(self.raw(name))

    def _convert(self, name: str, fn, **kw):
        if name not in self.index:
            return None
        value = self.raw(name)
        try:
            return fn(value, **kw)
        except ValueError as exc:
            raise CellError(self.header(name), value, str(exc)) from exc

    def count(self, name: str, decimal_comma: bool = False) -> int | None:
        i = self.index.get(name)
        if i is not None and i < len(self.cells):
            v = self.cells[i]
            # a workbook's number cell: what parse_count gives it, without the way there
            if type(v) is int and -COUNT_LIMIT < v < COUNT_LIMIT:
                return v
        return self._convert(name, parse_count, decimal_comma=decimal_comma)

    def decimal(self, name: str, decimal_comma: bool = False) -> float | None:
        return self._convert(name, parse_decimal, decimal_comma=decimal_comma)

    def duration(self, name: str) -> float | None:
        return self._convert(name, parse_duration_seconds)

    def datetime(self, name: str, formats: tuple[str, ...]) -> datetime | None:
        if name not in self.index or is_missing(self.raw(name)):
            return None
        return self._convert(name, parse_fixed_datetime, formats=formats)

    def required_text(self, name: str) -> str:
        v = cell_text(self.raw(name))
        if v is None or not v.strip():
            raise CellError(self.header(name), v, "empty, a value is required")
        return v.strip()


def require_columns(
    sheet: RawSheet, index: dict[str, int], required: dict[str, str], rel: str, what: str
) -> None:
    """Raise ParseError naming the file and every required column that is absent."""
    missing = [label for name, label in required.items() if name not in index]
    if missing:
        raise ParseError(f"{rel}: {what} without the column(s) {', '.join(missing)}")


def iter_rows(sheet: RawSheet, index: dict[str, int]):
    for number, cells in sheet.rows:
        yield Row(sheet, index, number, cells)


def build_result(
    kind: str,
    platform: str,
    raw: RawFile,
    records: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    daily: list[dict[str, Any]] | None = None,
    notes: list[Problem] | None = None,
    skipped: list[Problem] | None = None,
) -> ParseResult:
    problems = [
        Problem(
            raw.relative_path,
            r.get("source_row"),
            r.get("column"),
            cell_text(r.get("value")),
            r["message"],
        )
        for r in rejected
    ] + list(notes or [])
    return ParseResult(
        kind=kind,
        platform=platform,
        post_records=records,
        daily_records=list(daily or []),
        problems=problems,
        rejected_rows=rejected,
        notes=list(notes or []),
        skipped=list(skipped or []),
    )


def skip(raw: RawFile, row: Row, reason: str) -> Problem:
    """A row that is no post and no day (see ``ParseResult.skipped``)."""
    return Problem(raw.relative_path, row.number, None, None, reason)


def reject(
    row: Row, sheet_name: str | None, exc: CellError, post_id: str | None = None
) -> dict[str, Any]:
    return {
        "source_row": row.number,
        "source_sheet": sheet_name,
        "column": exc.column,
        "value": exc.value,
        "message": exc.message,
        "post_id": post_id,
    }


def row_id(row: Row, name: str, *, digits_only: bool = True) -> str:
    """``id_text`` of a row's cell, failing as a CellError that names the column."""
    value = row.raw(name)
    try:
        return id_text(value, digits_only=digits_only)
    except ValueError as exc:
        raise CellError(row.header(name), value, str(exc)) from exc


def lineage(
    platform: str, ctx: FileContext, raw: RawFile, sheet: RawSheet, row: Row
) -> dict[str, Any]:
    """The columns every normalised row carries: whose it is, when it was true, and the
    file, sheet and row it came from. A parser adds its own columns after these."""
    return {
        "platform": platform,
        "office_code": ctx.office_code,
        "snapshot_at": ctx.snapshot_at,
        "source_file": raw.relative_path,
        "source_sheet": sheet.name,
        "source_row": row.number,
    }


def daily_record(
    platform: str,
    ctx: FileContext,
    raw: RawFile,
    sheet: RawSheet,
    row: Row,
    day: date,
    *,
    definition: str,
    followers: int | None = None,
    gained: int | None = None,
    lost: int | None = None,
    handle: str | None = None,
    snapshot_at: datetime | None = None,
) -> dict[str, Any]:
    """One account-level day in ``ACCOUNT_DAILY_COLUMNS``, with its lineage."""
    return lineage(platform, ctx, raw, sheet, row) | {
        "account_handle": handle,
        "metric_date": datetime.combine(day, time()),
        "followers": followers,
        "followers_gained": gained,
        "followers_lost": lost,
        "metric_definition": definition,
        "snapshot_at": snapshot_at or ctx.snapshot_at,
    }


def collect_rows(
    sheet: RawSheet, index: dict[str, int], make
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``make(row)`` for every data row: the records it returns, and a rejected entry for
    every row where it raised a CellError (that row is quarantined, the rest still load)."""
    out, rejected = [], []
    for row in iter_rows(sheet, index):
        try:
            out.append(make(row))
        except CellError as exc:
            rejected.append(reject(row, sheet.name, exc))
    return out, rejected


_SLASH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\b")


def refuse_day_first(raw: RawFile, sheet: RawSheet, column: int | None, what: str) -> None:
    """Refuse a ``MM/DD/YYYY`` file that turns out to be written day-first.

    Meta writes month-first in every UI language. A file with ``13/02/2024`` and no date
    that proves month-first (a second field above 12) went through a spreadsheet set to
    Indonesian dates, which also turned ``02/03`` (3 Feb) into 2 March in rows that still
    parse: reading it would shift those rows by weeks without any error, so the whole
    file is refused rather than guessed. Where other rows prove month-first, a stray
    day-first row is that row's own error (quarantined by the parser).
    """
    if column is None:
        return
    day_first = month_first = None
    for number, cells in sheet.rows:
        value = cells[column] if column < len(cells) else None
        m = _SLASH_DATE.match(value) if isinstance(value, str) else None
        if not m:
            continue
        first, second = int(m.group(1)), int(m.group(2))
        if first > 12 and second <= 12 and day_first is None:
            day_first = (number, value)
        elif second > 12 and first <= 12:
            month_first = number
    if day_first and month_first is None:
        number, value = day_first
        raise ParseError(
            f"{raw.relative_path}, row {number}, column '{sheet.header[column]}': the date "
            f"{value!r} is day-first, but {what} writes month-first (MM/DD/YYYY), and no row "
            "shows month-first. The file was probably opened and saved in a spreadsheet set "
            "to Indonesian dates, which also swaps day and month in rows such as 02/03. "
            "Export it again and drop it unchanged."
        )


class AcknowledgedExport:
    """A platform export recognised by its exact headers that carries nothing medsos
    evaluates (audience breakdowns, channel totals). Loaded as an empty result so the
    manifest says what it was, instead of rejecting a file the office sent in good faith.
    It lists no posts, so it never counts as the week's delivery."""

    kind = ""
    platform = ""
    description = ""
    lists_posts = False
    headers: tuple[str, ...] = ()
    encodings: tuple[str, ...] | None = None  # only these encodings (tells platforms apart)

    def matches(self, raw: RawFile) -> bool:
        if self.encodings is not None and raw.encoding not in self.encodings:
            return False
        return tuple(norm_header(h) for h in raw.first_sheet().header) == self.headers

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        # every row is accounted for: counted as skipped, with the reason
        reason = f"{self.description}: figures the weekly evaluation does not use"
        skipped = [
            Problem(raw.relative_path, number, None, None, reason)
            for sheet in raw.sheets
            for number, _ in sheet.rows
        ]
        return build_result(self.kind, self.platform, raw, [], [], skipped=skipped)
