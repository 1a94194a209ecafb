"""The XLSX attached to each weekly email: the week's tables for that province.

Spreadsheet programs execute cells that begin with ``=``, ``+``, ``-`` or ``@`` as
formulas. Captions come from the public, so every text cell is stored as text (never
as a formula) and marked with Excel's quote prefix.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


ILLEGAL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(ws, value: Any, styles: dict[str, Any]):
    """A value a spreadsheet shows but never runs: text that starts like a formula
    becomes a text cell with Excel's quote prefix; everything else is written as is."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if value is not None and not isinstance(value, (str, int, float, date, bool)):
        value = str(value)
    if isinstance(value, str):
        # control characters (a NUL in a caption) are not allowed in a worksheet; one
        # such caption must not cost the province its email
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, even though it starts with '='
        cell.alignment = styles["left"]
        cell.quotePrefix = True
        return cell
    return value


def build_workbook(sheets: list[tuple[str, list[str], list[tuple]]]) -> bytes:
    """``sheets``: (name, column names, rows). Returns the XLSX bytes.

    Written in openpyxl's write-only mode: a national workbook has half a million cells,
    which the normal mode builds as objects first (seconds per workbook)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    styles = {"left": Alignment(horizontal="left"), "bold": Font(bold=True)}
    wb = Workbook(write_only=True)
    for name, columns, rows in sheets:
        ws = wb.create_sheet(title=name[:31])
        # column widths and the frozen header must be set before the first row is written
        for c, col in enumerate(columns, start=1):
            width = max([len(str(col))] + [len(str(v[c - 1])) for v in rows[:200] if v[c - 1] is not None])
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A2"
        header = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=str(col))
            cell.font = styles["bold"]
            header.append(cell)
        ws.append(header)
        for values in rows:
            ws.append([_cell(ws, v, styles) for v in values])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
