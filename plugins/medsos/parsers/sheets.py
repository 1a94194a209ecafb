"""Reading a landing file's bytes into sheets: the first step of parsing.

``read_raw(path)`` decodes the bytes (BOM sniffing, UTF-16, CRLF, quoted newlines, the
CSV dialects and wrapped re-saves of spreadsheets, XLSX sheets through ``xlsx_cells``,
API pull files as JSON lines) into ``RawFile``: sheets of header + rows, each row carrying
the line or row number it came from, so every later error can name file, row and column.
Reads bytes, writes nothing; knows no platform. Header lookup (``norm_header``,
``header_index``) lives here too: it is how a parser sees a sheet's columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


class ParseError(ValueError):
    """A whole file cannot be read (wrong shape, undecodable). Names the file."""


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
        return {
            "source_row": self.row,
            "source_sheet": self.sheet,
            "column": self.column,
            "value": self.value,
            "message": CUT_ROW,
            "post_id": None,
        }


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


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


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
    if (
        data.startswith(codecs.BOM_UTF16_LE)
        or data.startswith(codecs.BOM_UTF16_BE)
        or _utf16_without_bom(data)
    ):
        encoding = (
            "utf-16"
            if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            else (_utf16_without_bom(data) or "utf-16")
        )
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"{name}: a UTF-16 file with an undecodable part near byte {exc.start}"
            ) from exc
    body, encoding = (
        (data[len(codecs.BOM_UTF8) :], "utf-8-sig")
        if data.startswith(codecs.BOM_UTF8)
        else (data, "utf-8")
    )
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
        raise ParseError(
            f"{name}: not text in UTF-8, UTF-16 or Windows-1252 (byte {exc.start}); not a CSV export"
        ) from exc


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


def _unwrap(
    lines: list[tuple[int, list[str]]], delimiter: str, name: str
) -> list[tuple[int, list[str]]] | None:
    """The lines of a file whose every line a spreadsheet wrapped in one quoted field
    (``"Video asset ID,""Page ID"",..."``), read again as the CSV they hold; None when
    the file is not such a file."""
    filled = [cells for _, cells in lines if _filled(cells)]
    if not filled or any(len(cells) != 1 for cells in filled):
        return None
    if len(next(csv.reader([filled[0][0]], delimiter=delimiter))) < 3:
        return None  # one column of plain text, not lines of a table
    out: list[tuple[int, list[str]]] = []
    for number, cells in lines:
        if not _filled(cells):
            out.append((number, []))
            continue
        inner = list(csv.reader(io.StringIO(cells[0], newline=""), delimiter=delimiter))
        if len(inner) != 1:
            raise ParseError(
                f"{name}, line {number}: a wrapped line that does not hold one row of the table; "
                "the file was damaged by a spreadsheet. Export it again and send it unchanged."
            )
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
        raise ParseError(
            f"{name}: unreadable CSV near line {reader.line_num + offset}: {exc}"
        ) from exc
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
        notes.append(
            f"{CUT_ROW}: row {cut.row} is held back in raw.quarantine, the rows before it loaded"
        )
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
                    values = [
                        _linked(v, links.get((idx, col))) for col, v in enumerate(values, start=1)
                    ]
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
    return RawFile(
        path, relative_path, "jsonl", [RawSheet("jsonl", [JSONL_HEADER], rows)], notes, cut
    )


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
