"""The XLSX attached to each weekly email: the week's tables for that province.

Spreadsheet programs execute cells that begin with ``=``, ``+``, ``-`` or ``@`` as
formulas. Captions come from the public, so every text cell is stored as text (never
as a formula) and marked with Excel's quote prefix.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(ws, row: int, col: int, value: Any) -> None:
    from openpyxl.styles import Alignment

    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text, even when it starts with '='
        if value.startswith(FORMULA_START):
            cell.alignment = Alignment(horizontal="left")
            cell.quotePrefix = True
    elif isinstance(value, (int, float, date, bool)) or value is None:
        cell.value = value
    else:
        cell.value = str(value)
        cell.data_type = "s"


def build_workbook(sheets: list[tuple[str, list[str], list[tuple]]]) -> bytes:
    """``sheets``: (name, column names, rows). Returns the XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, columns, rows in sheets:
        ws = wb.create_sheet(title=name[:31])
        for c, col in enumerate(columns, start=1):
            _safe_cell(ws, 1, c, col)
            ws.cell(row=1, column=c).font = Font(bold=True)
        for r, values in enumerate(rows, start=2):
            for c, value in enumerate(values, start=1):
                _safe_cell(ws, r, c, value)
        ws.freeze_panes = "A2"
        for c, col in enumerate(columns, start=1):
            width = max([len(str(col))] + [len(str(v[c - 1])) for v in rows[:200] if v[c - 1] is not None])
            ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = min(max(width + 2, 8), 60)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
