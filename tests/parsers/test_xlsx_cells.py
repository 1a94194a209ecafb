"""The lean XLSX cell reader gives what openpyxl gives (values, dates, durations, links,
row numbers, sheet order) on every workbook shape the project meets."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from medsos.parsers.base import ParseError, read_raw
from medsos.parsers.xlsx_cells import read_sheets
from medsos.sample import build_plan, write_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def as_openpyxl_reads(data: bytes) -> list[tuple[str, list[tuple[int, list]], dict]]:
    wb = load_workbook(io.BytesIO(data), data_only=True)
    out = []
    for ws in wb.worksheets:
        rows, links = [], {}
        for idx, cells in enumerate(ws.iter_rows(), start=1):
            rows.append((idx, [c.value for c in cells]))
            for c in cells:
                if c.hyperlink is not None and c.hyperlink.target:
                    links[(c.row, c.column)] = c.hyperlink.target
        if ws.max_row == 1 and ws.max_column == 1 and ws.cell(1, 1).value is None:
            rows = []  # openpyxl reports an empty sheet as one empty cell
        out.append((ws.title, rows, links))
    return out


def saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def every_kind_of_cell(epoch=None) -> bytes:
    wb = Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = "Content"
    ws.append(["Time", "Title", "Link", "Count", "Ratio", "Flag", "Day", "Clock", "Length", "Error", "Sum"])
    ws.append([datetime(2024, 1, 2, 7, 45, 30), "Tahun baru 🎉", "lihat video", 12, 0.25, True,
               date(2023, 12, 31), time(9, 5), timedelta(minutes=3, seconds=9), "#N/A", "=D2*2"])
    ws["C2"].hyperlink = "https://www.tiktok.com/@kpu/video/7320000000000000001"
    ws.append([])  # an empty row between
    ws.append(["  spaced  ", CellRichText([TextBlock(InlineFont(b=True), "Pemilu"), " 2024"]), None, -3,
               1e-7, False, datetime(1900, 3, 1), None, None, None, 10 ** 15])
    ws["A4"].number_format = "@"
    ws["K4"].number_format = "#,##0"
    ws["M6"] = "far cell"  # widens the sheet and leaves rows 5 empty
    ws["B6"].hyperlink = "https://example.org/a"
    ws.merge_cells("D6:E6")
    ws.column_dimensions["F"].width = 30
    second = wb.create_sheet("FollowerHistory")
    second.append(["Date", "Followers"])
    second.append(["1 Januari", "10,399"])
    wb.create_chartsheet("Chart").add_chart(BarChart())
    wb.create_sheet("Empty")
    return saved(wb)


def sample_tiktok_workbook(tmp_path: Path) -> bytes:
    write_sample(tmp_path, build_plan("2024-W07", "2024-W07"))
    return next(tmp_path.rglob("*.xlsx")).read_bytes()


@pytest.mark.parametrize("shape", ["every kind of cell", "every kind of cell, 1904 dates", "fixture with a link",
                                   "sample TikTok export"])
def test_reads_what_openpyxl_reads(shape, tmp_path):
    data = {
        "every kind of cell": lambda: every_kind_of_cell(),
        "every kind of cell, 1904 dates": lambda: every_kind_of_cell(CALENDAR_MAC_1904),
        "fixture with a link": lambda: (FIXTURES / "tiktok" / "tiktok_content_hyperlink.xlsx").read_bytes(),
        "sample TikTok export": lambda: sample_tiktok_workbook(tmp_path),
    }[shape]()
    ours = list(read_sheets(data))
    assert ours == as_openpyxl_reads(data)
    assert [title for title, _, _ in ours] != []


def test_values_and_links_reach_the_parsers():
    raw = read_raw(Path("Content.xlsx"), "33.15/Content.xlsx", every_kind_of_cell())
    assert [s.name for s in raw.sheets] == ["Content", "FollowerHistory"]  # chart and empty sheets have no header
    content = raw.sheets[0]
    (n2, row2), (n4, row4), (n6, row6) = content.rows
    assert (n2, n4, n6) == (2, 4, 6)
    assert row2[:9] == [datetime(2024, 1, 2, 7, 45, 30), "Tahun baru 🎉",
                        "https://www.tiktok.com/@kpu/video/7320000000000000001", 12, 0.25, True,
                        datetime(2023, 12, 31), time(9, 5), timedelta(minutes=3, seconds=9)]
    assert row2[9] == "#N/A" and row2[10] is None  # a formula never calculated has no value
    assert row4[:2] == ["  spaced  ", "Pemilu 2024"] and row4[10] == 10 ** 15
    assert row6[1] == "https://example.org/a" and row6[12] == "far cell"


def test_a_workbook_with_a_broken_part_is_refused_with_its_name():
    good = every_kind_of_cell()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, body[: len(body) // 2] if info.filename == "xl/worksheets/sheet1.xml" else body)
    with pytest.raises(ParseError, match=r"33\.15/Content\.xlsx: not a readable XLSX workbook \(sheet 'Content'"):
        read_raw(Path("Content.xlsx"), "33.15/Content.xlsx", out.getvalue())
    with pytest.raises(ParseError, match=r"33\.15/Content\.xlsx: not a readable XLSX workbook"):
        read_raw(Path("Content.xlsx"), "33.15/Content.xlsx", b"PK\x03\x04" + b"\x00" * 300)
