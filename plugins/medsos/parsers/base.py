"""The one small interface every platform parser implements, and the shared reading helpers.

A landing file goes through three steps:

1. ``read_raw(path)`` decodes the bytes (BOM sniffing, UTF-16, CRLF, quoted newlines,
   XLSX sheets) into ``RawFile``: sheets of header + rows, each row carrying the line or
   row number it came from, so every later error can name file, row and column.
2. ``detect(raw)`` (in ``medsos.parsers``) asks every registered parser whether it
   recognises the headers; the platform comes from content, never from the file name.
3. ``parser.parse(raw, ctx)`` returns a ``ParseResult``: normalised post snapshots
   (``POST_COLUMNS``), account-level daily figures (``ACCOUNT_DAILY_COLUMNS``) and the
   problems found (a bad cell never silently becomes NULL or zero: the row goes to
   quarantine with the reason, the rest of the file still loads).

Metrics are NULL where a platform has none; never a made-up zero.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pandas as pd

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

# Meta Business Suite writes ``Publish time`` (and the dates in its download names) on
# the US Pacific clock, whatever the account's country: checked on real Instagram files,
# where every post's permalink shortcode encodes an instant 7 h (PDT) or 8 h (PST) after
# the ``Publish time`` written beside it.
META_CLOCK = ZoneInfo("America/Los_Angeles")

MISSING_MARKERS = {"", "-", "--", "—", "undefined", "n/a", "na", "null", "none"}


class ParseError(ValueError):
    """A whole file cannot be read (wrong shape, undecodable). Names the file."""


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


@dataclass
class RawSheet:
    name: str | None
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)
    preamble: list[str] = field(default_factory=list)  # lines above the header


CUT_ROW = "the file ends in the middle of a row (download interrupted?)"


@dataclass(frozen=True)
class CutRow:
    """The last row of a file that ends in the middle of it: where, and the cell it stops in."""

    sheet: str | None
    row: int
    column: str | None
    value: str | None

    def as_reject(self) -> dict[str, Any]:
        return {"source_row": self.row, "source_sheet": self.sheet, "column": self.column,
                "value": self.value, "message": CUT_ROW, "post_id": None}


@dataclass
class RawFile:
    path: Path
    relative_path: str
    encoding: str
    sheets: list[RawSheet]
    # what reading the bytes found without failing (a spreadsheet re-save), for the
    # file's warnings and for its rejection reason if no parser takes it
    notes: list[str] = field(default_factory=list)
    # the row a file cut off mid-row ends in (an interrupted download), taken out of its
    # sheet so no parser reads half a row as a post: it goes to quarantine (CUT_ROW)
    cut_rows: list[CutRow] = field(default_factory=list)

    def first_sheet(self) -> RawSheet:
        return self.sheets[0]


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


# --------------------------------------------------------------------------- reading


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the text has a NUL beside every ASCII byte."""
    sample = data[:400]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE) or _utf16_without_bom(data):
        encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else _utf16_without_bom(data)
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise ParseError(f"{name}: a UTF-16 file with an undecodable part near byte {exc.start}") from exc
    body, encoding = (data[len(codecs.BOM_UTF8):], "utf-8-sig") if data.startswith(codecs.BOM_UTF8) else (data, "utf-8")
    try:
        return body.decode("utf-8"), encoding
    except UnicodeDecodeError as exc:
        bad_line = body[: exc.start].count(b"\n") + 1
        if b"\x00" in data[:4096]:
            raise ParseError(f"{name}: binary content, not a CSV or XLSX export") from exc
        if encoding == "utf-8-sig" or _UTF8_MULTIBYTE.search(body):
            # Part UTF-8, part something else: lines pasted in from another file. Any
            # single reading garbles one part, so the file is refused, not guessed.
            raise ParseError(
                f"{name}, line {bad_line}: mixed encodings; the file is UTF-8 but this line is not "
                "(text pasted in from another file?). Export it again from the platform."
            ) from exc
    # Files re-saved by Excel on Windows; cp1252 decodes any byte sequence but only
    # after UTF-8 failed and no UTF-8 was seen, so real UTF-8 is never misread.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ParseError(f"{name}: not text in UTF-8, UTF-16 or Windows-1252 (byte {exc.start}); not a CSV export") from exc


def _sniff_delimiter(first_line: str) -> str:
    # Excel in an Indonesian locale saves with ';'. Decide once per file.
    return ";" if first_line.count(";") > first_line.count(",") else ","


RESAVED_SEMICOLON = (
    "separated by ';' instead of ',': the file was opened and saved again in a spreadsheet "
    "(Excel in an Indonesian locale does this); read as it is, but send the platform's download unchanged"
)
RESAVED_WRAPPED = (
    "every line was one quoted field: the file was opened in a spreadsheet as a single column and "
    "saved again; the lines were unwrapped and read, but send the platform's download unchanged"
)


def _filled(cells: list[Any]) -> list[Any]:
    """The cells without the empty ones at the end (``Facebook follows;`` is one cell)."""
    end = len(cells)
    while end and not str(cells[end - 1]).strip():
        end -= 1
    return cells[:end]


def _unwrap(lines: list[tuple[int, list[str]]], delimiter: str, name: str) -> list[tuple[int, list[str]]] | None:
    """The lines of a file whose every line a spreadsheet wrapped in one quoted field
    (``"Video asset ID,""Page ID"",..."``), read again as the CSV they hold; None when
    the file is not such a file."""
    filled = [cells for _, cells in lines if _filled(cells)]
    if not filled or any(len(cells) != 1 for cells in filled):
        return None
    if len(next(csv.reader([filled[0][0]], delimiter=delimiter))) < 3:
        return None  # one column of plain text, not lines of a table
    out = []
    for number, cells in lines:
        if not _filled(cells):
            out.append((number, []))
            continue
        inner = list(csv.reader(io.StringIO(cells[0], newline=""), delimiter=delimiter))
        if len(inner) != 1:
            raise ParseError(f"{name}, line {number}: a wrapped line that does not hold one row of the table; "
                             "the file was damaged by a spreadsheet. Export it again and send it unchanged.")
        out.append((number, inner[0]))
    return out


def _titled(lines: list[tuple[int, list[str]]], after_sep: bool) -> bool:
    """Whether the file is a series of titled tables (Meta's daily and Audience files): a
    title line of one cell, then a header, then rows; the next title after a blank line."""
    filled = [cells for _, cells in lines if _filled(cells)]
    if len(filled) < 2 or len(_filled(filled[0])) != 1:
        return False
    return after_sep or len(_filled(filled[1])) >= 2


def _sections(lines: list[tuple[int, list[str]]], preamble: list[str]) -> list[RawSheet]:
    """One sheet per titled table, named by its title (``Follows``, ``Instagram follows``)."""
    sheets: list[RawSheet] = []
    current: RawSheet | None = None
    expecting_title = True
    for number, cells in lines:
        if not _filled(cells):
            expecting_title = True
            continue
        if expecting_title:
            title = str(_filled(cells)[0]).strip() if len(_filled(cells)) == 1 else None
            if title is not None:
                current = RawSheet(title, [], [], [*preamble, title])
                sheets.append(current)
                expecting_title = False
                continue
            expecting_title = False
        if current is None:  # a table without a title line
            current = RawSheet(None, [], [], list(preamble))
            sheets.append(current)
        if not current.header:
            current.header = [str(c).strip() for c in cells]
        else:
            current.rows.append((number, cells))
    return sheets


def read_csv_text(text: str, name: str, relative_path: str, path: Path, encoding: str) -> RawFile:
    preamble: list[str] = []
    body = text
    # Meta's daily and Audience files start with 'sep=,' (and a title line).
    if body[:4].lower() == "sep=":
        first, _, body = body.partition("\n")
        preamble.append(first.strip())
    offset = len(preamble)
    delimiter = _sniff_delimiter(body.split("\n", 1)[0])
    notes = [RESAVED_SEMICOLON] if delimiter == ";" and not preamble else []
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    lines: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            lines.append((start + offset, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ParseError(f"{name}: unreadable CSV near line {reader.line_num + offset}: {exc}") from exc
    unwrapped = _unwrap(lines, delimiter, name)
    if unwrapped is not None:
        lines = unwrapped
        notes.append(RESAVED_WRAPPED)
    if _titled(lines, bool(preamble)):
        sheets = _sections(lines, preamble)
    else:
        header: list[str] | None = None
        rows: list[tuple[int, list[Any]]] = []
        for number, cells in lines:
            if header is None:
                if cells:
                    header = [c.strip() for c in cells]
                continue
            if any(str(c).strip() for c in cells):
                rows.append((number, cells))
        sheets = [RawSheet(None, header, rows, preamble)] if header is not None else []
    if not sheets:
        raise ParseError(f"{name}: empty file, no header row")
    cut = _cut_last_row(body, lines, sheets[-1])
    if cut is not None:
        notes.append(f"{CUT_ROW}: row {cut.row} is held back in raw.quarantine, the rows before it loaded")
    return RawFile(path, relative_path, encoding, sheets, notes, [cut] if cut else [])


def _cut_last_row(body: str, lines: list[tuple[int, list[str]]], sheet: RawSheet) -> CutRow | None:
    """The file's last row when the file stops inside it, taken out of ``sheet``.

    A download that stops part-way leaves a last line without its line break that is
    either inside a quoted field (an odd number of quote characters in the file) or has
    fewer cells than the table's header. Many real exports end without a final line
    break, so a complete last row is never taken for a cut one; a cut that falls exactly
    at the end of a row leaves a shorter file with whole rows, which loads as it is.
    """
    if not body or body[-1] in "\r\n" or not sheet.rows or not lines:
        return None
    number, cells = sheet.rows[-1]
    if number != lines[-1][0]:
        return None
    inside_quotes = body.count('"') % 2 == 1
    short = len(cells) < len(sheet.header)
    if not (inside_quotes or short):
        return None
    sheet.rows.pop()
    at = max(len(cells) - 1, 0)
    column = sheet.header[at] if at < len(sheet.header) else None
    value = str(cells[at])[:200] if cells else None
    return CutRow(sheet.name, number, column or None, value)


def _linked(value: Any, target: str | None) -> Any:
    """A cell's value, or its link target when the visible text is only a label (TikTok
    Studio puts the video link in a hyperlink whose visible text can be the title)."""
    if target and target.startswith(("http://", "https://")):
        if not (isinstance(value, str) and value.strip().startswith(("http://", "https://"))):
            return target
    return value


def read_xlsx(data: bytes, relative_path: str, path: Path) -> RawFile:
    from medsos.parsers.xlsx_cells import UnreadableWorkbook, read_sheets

    sheets: list[RawSheet] = []
    try:
        for title, sheet_rows, links in read_sheets(data):
            header: list[str] | None = None
            rows: list[tuple[int, list[Any]]] = []
            for idx, values in sheet_rows:
                if links:
                    values = [_linked(v, links.get((idx, col))) for col, v in enumerate(values, start=1)]
                if not any(v not in (None, "") for v in values):
                    continue
                if header is None:
                    header = ["" if v is None else str(v).strip() for v in values]
                    continue
                rows.append((idx, values))
            if header is not None:
                sheets.append(RawSheet(title, header, rows))
    except UnreadableWorkbook as exc:
        raise ParseError(f"{relative_path}: not a readable XLSX workbook ({exc})") from exc
    if not sheets:
        raise ParseError(f"{relative_path}: workbook has no sheet with a header row")
    return RawFile(path, relative_path, "xlsx", sheets)


JSONL_HEADER = "api_response"


def read_jsonl(data: bytes, path: Path, relative_path: str) -> RawFile:
    """API pulls land as JSON lines (one response record a line). They become one sheet
    named 'jsonl' whose single column holds the decoded object, so API parsers get the
    same row numbers (line numbers) for lineage and errors as CSV parsers."""
    import json

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{relative_path}: JSON lines file is not UTF-8 ({exc})") from exc
    rows: list[tuple[int, list[Any]]] = []
    lines = text.splitlines()
    cut: list[CutRow] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append((line_no, [json.loads(line)]))
        except json.JSONDecodeError as exc:
            if line_no == len(lines) and not text.endswith(("\n", "\r")):
                # the last response cut off (a pull file is renamed into place only when
                # complete, so this is a copy cut short): the responses before it load
                cut.append(CutRow("jsonl", line_no, JSONL_HEADER, line[:200]))
                continue
            raise ParseError(f"{relative_path}: line {line_no} is not JSON ({exc.msg})") from exc
    notes = [f"{CUT_ROW}: line {c.row} is held back in raw.quarantine" for c in cut]
    return RawFile(path, relative_path, "jsonl", [RawSheet("jsonl", [JSONL_HEADER], rows)], notes, cut)


def read_raw(path: Path, relative_path: str | None = None, data: bytes | None = None) -> RawFile:
    """Decode one landing file into sheets of rows with their original row numbers.

    ``data`` is given for a member of a downloaded ZIP (``relative_path`` then ends in
    ``::<member>``); otherwise the file at ``path`` is read.
    """
    rel = relative_path or path.name
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise ParseError(f"{rel}: empty file")
    name = rel.rsplit("::", 1)[-1].lower()
    if data[:2] == b"PK":
        return read_xlsx(data, rel, path)
    if name.endswith(".jsonl"):
        return read_jsonl(data, path, rel)
    text, encoding = _decode(data, rel)
    return read_csv_text(text, rel, rel, path, encoding)


# --------------------------------------------------------------------------- headers


@lru_cache(maxsize=8192)  # every file of a kind repeats the same header texts
def norm_header(name: str) -> str:
    """Header comparison key: case, surrounding space and BOM remnants do not matter."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().strip('"')).lower()


def header_index(sheet: RawSheet, aliases: dict[str, str]) -> dict[str, int]:
    """Map canonical names to column positions using a per-platform alias table.

    ``aliases`` maps normalised header text (any language) to a canonical name. Order in
    the file does not matter; the first column carrying an alias wins.
    """
    found: dict[str, int] = {}
    for i, h in enumerate(sheet.header):
        canon = aliases.get(norm_header(h))
        if canon and canon not in found:
            found[canon] = i
    return found


def has_headers(sheet: RawSheet, required: set[str]) -> bool:
    present = {norm_header(h) for h in sheet.header}
    return required <= present


# --------------------------------------------------------------------------- values


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKERS


_COMPACT = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*([kKmMbB]|rb|jt)$")


class _NumberShapes:
    """How numbers are written in a file: English (1,234.5) or Indonesian (1.234,5)."""

    def __init__(self, thousands: str, decimal: str):
        self.thousands, self.decimal = thousands, decimal
        t, d = re.escape(thousands), re.escape(decimal)
        self.grouped = re.compile(rf"-?\d{{1,3}}({t}\d{{3}})+")  # 1,234,567
        self.zero_fraction = re.compile(rf"-?\d+{d}0+")  # '12.0' from spreadsheets
        self.grouped_with_fraction = re.compile(rf"-?\d{{1,3}}({t}\d{{3}})+({d}\d+)?")
        self.with_fraction = re.compile(rf"-?\d+({d}\d+)?")


_NUMBER_SHAPES = {False: _NumberShapes(",", "."), True: _NumberShapes(".", ",")}  # keyed by decimal_comma
_PLAIN_INTEGER = re.compile(r"-?\d+")

COUNT_LIMIT = 2**53  # larger than any real count; beyond it a cell is garbage, not a number


def parse_count(value: Any, *, decimal_comma: bool = False) -> int | None:
    n = _parse_count(value, decimal_comma=decimal_comma)
    if n is not None and abs(n) >= COUNT_LIMIT:
        raise ValueError(f"not a plausible count: {value!r}")
    return n


def _parse_count(value: Any, *, decimal_comma: bool = False) -> int | None:
    """A count such as likes or views.

    ``decimal_comma`` is decided per file from its language (never per cell): in an
    Indonesian file ``1.234`` is one thousand two hundred thirty-four, in an English
    file ``1,234`` is. Compact forms ``1.2K``/``3,4 rb`` are accepted. Missing markers
    return None (unknown), never 0.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(f"not a whole number: {value!r}")
        return int(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    m = _COMPACT.match(text)
    if m:
        number = float(m.group(1).replace(",", "."))
        factor = {"k": 1e3, "rb": 1e3, "m": 1e6, "jt": 1e6, "b": 1e9}[m.group(2).lower()]
        return int(round(number * factor))
    if text.isascii() and text.isdigit():  # by far the most common cell
        return int(text)
    shapes = _NUMBER_SHAPES[decimal_comma]
    if shapes.grouped.fullmatch(text):
        return int(text.replace(shapes.thousands, ""))
    if _PLAIN_INTEGER.fullmatch(text):
        return int(text)
    if shapes.zero_fraction.fullmatch(text):
        return int(text.split(shapes.decimal)[0])
    raise ValueError(f"not a count: {value!r}")


def parse_decimal(value: Any, *, decimal_comma: bool = False) -> float | None:
    """A decimal such as watch hours: ``2275,0676`` in Indonesian files, ``2275.0676`` in English."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    shapes = _NUMBER_SHAPES[decimal_comma]
    if shapes.grouped_with_fraction.fullmatch(text):
        text = text.replace(shapes.thousands, "")
    if shapes.with_fraction.fullmatch(text):
        return float(text.replace(shapes.decimal, "."))
    raise ValueError(f"not a number: {value!r}")


def parse_duration_seconds(value: Any) -> float | None:
    """Seconds from ``47``, ``47.5``, ``0:12`` (M:SS) or ``0:16:02`` (H:MM:SS)."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, time):
        return float(value.hour * 3600 + value.minute * 60 + value.second)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})", text)
    if m:
        h = int(m.group(1) or 0)
        return float(h * 3600 + int(m.group(2)) * 60 + int(m.group(3)))
    raise ValueError(f"not a duration: {value!r}")


EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial_to_datetime(serial: float) -> datetime:
    """Excel's day count (1900 system, with its leap-year bug absorbed by the 1899-12-30 epoch)."""
    if not 1 <= serial < 2958466:
        raise ValueError(f"not an Excel date serial: {serial!r}")
    return EXCEL_EPOCH + timedelta(days=float(serial))


def parse_fixed_datetime(value: Any, formats: tuple[str, ...]) -> datetime:
    """Parse with the source's explicit formats only: no guessing that swaps day and month.

    ``datetime`` cells (XLSX) pass through; numbers are Excel serial dates.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value))
    text = _SPACES.sub(" ", str(value).strip())
    if _SERIAL.fullmatch(text):
        return excel_serial_to_datetime(float(text))
    parsed = _strptime_first(text, formats)
    if parsed is None:
        raise ValueError(f"not a date in the expected format ({' or '.join(formats)}): {value!r}")
    return parsed


_SPACES = re.compile(r"\s+")
_SERIAL = re.compile(r"\d{5}(\.\d+)?")


@lru_cache(maxsize=65536)  # the same day label repeats in every office's daily export
def _strptime_first(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def to_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``tz`` (or an aware time) as a UTC instant."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(UTC)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """An aware instant as naive wall-clock time in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text.strip() != "" else None


def frame(records: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """Build a frame with exactly ``columns`` in order and dtype; absent keys become NULL."""
    return conform(pd.DataFrame({name: [r.get(name) for r in records] for name in columns}, columns=list(columns)),
                   columns)


def conform(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``df`` with exactly ``columns`` in order and dtype (absent ones NULL), converted a
    column at a time: the same frame ``frame`` makes of ``df``'s rows, without making a
    Python dict of every row (seconds on a national week)."""
    src = df.reset_index(drop=True)
    df = pd.DataFrame(
        {name: src[name] if name in src.columns else pd.Series([None] * len(src), dtype=object) for name in columns},
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


# --------------------------------------------------------------------------- row access


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


def require_columns(sheet: RawSheet, index: dict[str, int], required: dict[str, str], rel: str, what: str) -> None:
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
        Problem(raw.relative_path, r.get("source_row"), r.get("column"), cell_text(r.get("value")), r["message"])
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


def reject(row: Row, sheet_name: str | None, exc: CellError, post_id: str | None = None) -> dict[str, Any]:
    return {
        "source_row": row.number,
        "source_sheet": sheet_name,
        "column": exc.column,
        "value": exc.value,
        "message": exc.message,
        "post_id": post_id,
    }


# --------------------------------------------------------------------------- shared value helpers


# Month names as exports write them, English and Indonesian, full and abbreviated.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("january", "januari", "jan"),
        ("february", "februari", "feb", "peb"),
        ("march", "maret", "mar"),
        ("april", "apr"),
        ("may", "mei"),
        ("june", "juni", "jun"),
        ("july", "juli", "jul"),
        ("august", "agustus", "aug", "agu", "agt", "ags"),
        ("september", "sep", "sept"),
        ("october", "oktober", "oct", "okt"),
        ("november", "nopember", "nov", "nop"),
        ("december", "desember", "dec", "des"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number


def parse_day_month(value: Any) -> tuple[int | None, int, int]:
    """``(year or None, month, day)`` from a date written with a month name.

    Accepts ``8 Juli``, ``August 31``, ``Jan 6, 2024``, ``6 Agu 2024``, ``12 Februari``
    (English or Indonesian names, abbreviated or not); the year is None when the text
    has none. Raises ValueError otherwise.
    """
    text = re.sub(r"[,.]", " ", str(value).strip().lower())
    parts = text.split()
    words = [p for p in parts if p.isalpha()]
    numbers = [p for p in parts if p.isdigit()]
    if len(words) != 1 or not 1 <= len(numbers) <= 2 or len(parts) != len(words) + len(numbers):
        raise ValueError(f"not a date like '8 Juli' or 'Jan 6, 2024': {value!r}")
    month = MONTHS.get(words[0])
    if month is None:
        raise ValueError(f"unknown month name {words[0]!r} in {value!r}")
    day = int(numbers[0])
    year = None
    if len(numbers) == 2:
        if len(numbers[1]) != 4:
            raise ValueError(f"not a four-digit year in {value!r}")
        year = int(numbers[1])
    if year is not None:
        date(year, month, day)  # raises ValueError for 31 February
    elif not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
        raise ValueError(f"no such day in {value!r}")
    return year, month, day


def infer_year(month: int, day: int, reference: date, slack_days: int = 1) -> date:
    """The date ``month``/``day`` in the year that puts it on or before ``reference``
    (plus ``slack_days``), i.e. within the year before ``reference``.

    Exports without a year (TikTok ``8 Juli``, ``February 12``) only ever list days up to
    the day they were generated.
    """
    limit = reference + timedelta(days=slack_days)
    for year in (limit.year, limit.year - 1, limit.year - 2):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if candidate <= limit:
            return candidate
    raise ValueError(f"no year puts {month:02d}-{day:02d} within a year before {reference}")


_SCIENTIFIC = re.compile(r"^-?\d+([.,]\d+)?[eE][+-]?\d+$")


def id_text(value: Any, *, digits_only: bool = True) -> str:
    """A platform id as text: surrounding space removed, never via float.

    Raises ValueError for ids that a spreadsheet has mangled (``1.22158E+17``, ``1.2e17``
    or a float cell), since their last digits are lost, and (with ``digits_only``) for
    anything that is not a run of digits.
    """
    if is_missing(value):
        raise ValueError("empty, an id is required")
    if isinstance(value, bool):
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, float):
        raise ValueError(f"id stored as a number ({value!r}); its digits are lost (was the file re-saved by Excel?)")
    text = str(value).strip().replace("\u00a0", "")
    if _SCIENTIFIC.match(text):
        raise ValueError(f"id in scientific notation ({text}); its digits are lost (was the file re-saved by Excel?)")
    if digits_only and not text.isdigit():
        raise ValueError(f"not an id of digits: {text!r}")
    if not digits_only and (not text or any(c.isspace() for c in text)):
        raise ValueError(f"not an id: {text!r}")
    return text


def most_common(values: list[Any]) -> Any:
    """The most frequent non-empty value (first seen wins a tie), or None."""
    counts: dict[Any, int] = {}
    for v in values:
        if v not in (None, ""):
            counts[v] = counts.get(v, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def row_id(row: Row, name: str, *, digits_only: bool = True) -> str:
    """``id_text`` of a row's cell, failing as a CellError that names the column."""
    value = row.raw(name)
    try:
        return id_text(value, digits_only=digits_only)
    except ValueError as exc:
        raise CellError(row.header(name), value, str(exc)) from exc


# --------------------------------------------------------------------------- shared builders


def lineage(platform: str, ctx: FileContext, raw: RawFile, sheet: RawSheet, row: Row) -> dict[str, Any]:
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


def collect_rows(sheet: RawSheet, index: dict[str, int], make) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``make(row)`` for every data row: the records it returns, and a rejected entry for
    every row where it raised a CellError (that row is quarantined, the rest still load)."""
    out, rejected = [], []
    for row in iter_rows(sheet, index):
        try:
            out.append(make(row))
        except CellError as exc:
            rejected.append(reject(row, sheet.name, exc))
    return out, rejected


def split_delta(delta: int | None) -> tuple[int | None, int | None]:
    """A net daily change as (gained, lost); a platform that only reports the net change
    gives a lower bound of each."""
    if delta is None:
        return None, None
    return max(delta, 0), max(-delta, 0)


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
        skipped = [Problem(raw.relative_path, number, None, None, reason)
                   for sheet in raw.sheets for number, _ in sheet.rows]
        return build_result(self.kind, self.platform, raw, [], [], skipped=skipped)


# --------------------------------------------------------------------------- API pulls


@dataclass(frozen=True)
class ApiResponse:
    """One recorded API response of a pull file (``medsos.api.record``)."""

    line: int  # line in the JSON-lines file: the row number errors and lineage name
    endpoint: str
    fetched_at: datetime
    for_post: str | None
    body: dict[str, Any]


def parse_utc(text: Any, what: str) -> datetime:
    """An API timestamp (``2026-06-03T02:15:10+0000``, ``…Z``, ``….000Z``) as a UTC instant."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} is missing")
    t = text.strip().replace("Z", "+00:00")
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)
    try:
        value = datetime.fromisoformat(t)
    except ValueError as exc:
        raise ValueError(f"{what} is not an ISO-8601 time: {text!r}") from exc
    if value.tzinfo is None:
        raise ValueError(f"{what} has no time zone: {text!r}")
    return value.astimezone(UTC)


def api_count(value: Any, what: str) -> int | None:
    """A count from an API body: a number or a string of digits (YouTube); absent is NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} is not a count: {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        n = int(value.strip())
    else:
        raise ValueError(f"{what} is not a count: {value!r}")
    if abs(n) >= COUNT_LIMIT:
        raise ValueError(f"{what} is not a plausible count: {value!r}")
    return n


class ApiPullParser:
    """A pull file of one platform (``<week>/<office>/api/<platform>/….jsonl``).

    Subclasses implement ``normalise(pull)``, turning the recorded responses into post
    records (``pull.post``), account days (``pull.day``) and rejected fields
    (``pull.reject``): a bad field is reported by file, line and JSON field, the post is
    quarantined and the rest loads, as for an export's row.
    """

    kind = ""
    platform = ""
    description = ""
    lists_posts = True

    def matches(self, raw: RawFile) -> bool:
        if raw.encoding != "jsonl" or not raw.sheets or not raw.first_sheet().rows:
            return False
        head = raw.first_sheet().rows[0][1][0]
        return isinstance(head, dict) and head.get("record") == "pull" and head.get("platform") == self.platform

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        pull = ApiPull(raw, ctx, self.platform)
        self.normalise(pull)
        notes = [Problem(raw.relative_path, line, None, None, f"pull note: {text}") for line, text in pull.notes]
        return build_result(self.kind, self.platform, raw, pull.records, pull.rejected, pull.daily, notes=notes)

    def normalise(self, pull: ApiPull) -> None:
        raise NotImplementedError


class ApiPull:
    """A pull file read back: its header, its responses in order, and the builders
    parsers use to emit rows with lineage (file, line, field)."""

    def __init__(self, raw: RawFile, ctx: FileContext, platform: str):
        self.raw, self.ctx, self.platform = raw, ctx, platform
        rows = raw.first_sheet().rows
        self.head: dict[str, Any] = rows[0][1][0]
        rel = raw.relative_path
        if self.head.get("office_code") != ctx.office_code:
            raise ParseError(
                f"{rel}: a {platform} pull for office {self.head.get('office_code')!r} lies in the folder of "
                f"office {ctx.office_code}; pull files are written by medsos and must not be moved"
            )
        self.responses: list[ApiResponse] = []
        self.notes: list[tuple[int, str]] = []
        ended = False
        for line, cells in rows[1:]:
            obj = cells[0]
            kind = obj.get("record") if isinstance(obj, dict) else None
            if kind == "response":
                try:
                    fetched = parse_utc(obj.get("fetched_at"), "fetched_at")
                except ValueError as exc:
                    raise ParseError(f"{rel}, row {line}, column 'fetched_at': {exc}") from exc
                body = obj.get("body")
                if not isinstance(body, dict):
                    raise ParseError(f"{rel}, row {line}, column 'body': the response is not a JSON object")
                self.responses.append(ApiResponse(line, str(obj.get("endpoint")), fetched, obj.get("for"), body))
            elif kind == "note":
                self.notes.append((line, str(obj.get("message"))))
            elif kind == "end":
                ended = True
            else:
                raise ParseError(f"{rel}, row {line}, column 'record': not a pull record ({kind!r})")
        if not ended:
            raise ParseError(f"{rel}: the pull did not finish (no end record); it is not a complete week")
        self.records: list[dict[str, Any]] = []
        self.daily: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.account_id: str | None = self.head.get("account_id")
        self.handle: str | None = self.head.get("account_handle")

    def of(self, endpoint: str) -> list[ApiResponse]:
        return [r for r in self.responses if r.endpoint == endpoint]

    def latest_for(self, endpoint: str) -> dict[str, ApiResponse]:
        """The last response per post of a per-post endpoint (insights)."""
        return {str(r.for_post): r for r in self.of(endpoint) if r.for_post is not None}

    def listed(self, endpoint: str, path: str = "data", key=lambda item: str(item.get("id") or "")):
        """``(response, field, item)`` for every item of the list at ``path`` (``data``,
        ``data.videos``, ``items``) of each ``endpoint`` response, in order. An item whose
        ``key`` (its id) came earlier is passed over: pages can overlap when a post is
        published during the pull. An item that is not a JSON object is rejected with its
        field rather than skipped."""
        seen: set[str] = set()
        for resp in self.of(endpoint):
            node: Any = resp.body
            for name in path.split("."):
                node = node.get(name) if isinstance(node, dict) else None
            for i, item in enumerate(node if isinstance(node, list) else []):
                where = f"{path}[{i}]"
                if not isinstance(item, dict):
                    self.reject(resp, where, item, "not a JSON object")
                    continue
                ident = key(item)
                if ident and ident in seen:
                    continue
                seen.add(ident)
                yield resp, where, item

    def window(self) -> tuple[datetime, datetime]:
        """The publish window the pull asked for (UTC), from its header record."""
        return parse_utc(self.head.get("window_start"), "window_start"), parse_utc(self.head.get("window_end"), "window_end")

    def followers(self, resp: ApiResponse, value: Any, field_name: str, definition: str) -> None:
        """The account's follower count from one response; a bad one is rejected by field."""
        try:
            self.day(resp, followers=api_count(value, field_name), definition=definition)
        except ValueError as exc:
            self.reject(resp, field_name, value, str(exc))

    def _lineage(self, resp: ApiResponse, snapshot_at: datetime | None = None) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "office_code": self.ctx.office_code,
            "snapshot_at": snapshot_at or resp.fetched_at,
            "source_file": self.raw.relative_path,
            "source_sheet": "jsonl",
            "source_row": resp.line,
        }

    def post(self, resp: ApiResponse, *, post_id: str, published_at: datetime, post_type: str,
             snapshot_at: datetime | None = None, **values: Any) -> None:
        self.records.append(self._lineage(resp, snapshot_at) | {
            "account_handle": self.handle,
            "account_id": self.account_id,
            "post_id": post_id,
            "published_at": published_at,
            "published_local": to_local(published_at, self.ctx.tz),
            "publish_time_precision": "second",
            "post_type": post_type,
            **values,
        })

    def day(self, resp: ApiResponse, *, followers: int | None, definition: str) -> None:
        """The account's follower count as the API gave it: a figure for the office's
        local day of the fetch."""
        local_day = to_local(resp.fetched_at, self.ctx.tz).date()
        self.daily.append(self._lineage(resp) | {
            "account_handle": self.handle,
            "metric_date": datetime.combine(local_day, time()),
            "followers": followers,
            "followers_gained": None,
            "followers_lost": None,
            "metric_definition": definition,
        })

    def reject(self, resp: ApiResponse, field_name: str, value: Any, message: str, post_id: str | None = None) -> None:
        self.rejected.append({
            "source_row": resp.line,
            "source_sheet": "jsonl",
            "column": field_name,
            "value": value if value is None or isinstance(value, (str, int, float)) else str(value)[:200],
            "message": message,
            "post_id": post_id,
        })


def insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """``{metric name: lifetime value}`` of a Graph API insights response."""
    out: dict[str, Any] = {}
    for entry in body.get("data") or []:
        if isinstance(entry, dict) and entry.get("name") and entry.get("values"):
            value = entry["values"][-1]
            out[str(entry["name"])] = value.get("value") if isinstance(value, dict) else None
    return out


def api_id_check(text: str | None, value: Any, name: str, what: str) -> str:
    """``text`` (the id as a post is keyed) when it is a run of digits, as every platform's
    ids are; else a CellError naming the JSON field and the ``value`` the API sent."""
    if not text or not text.isdigit():
        raise CellError(name, value, f"not {what}")
    return text


def api_field(convert, value: Any, name: str):
    """``convert(value, name)``, failing as a CellError naming the JSON field."""
    try:
        return convert(value, name)
    except ValueError as exc:
        raise CellError(name, value, str(exc)) from exc
