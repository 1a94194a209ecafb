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


def as_openpyxl_reads(data: bytes) -> list[tuple[str, list[tuple[int, int, object]], dict]]:
    """Each sheet's cells that have a value, as (row, column, value), and its links."""
    wb = load_workbook(io.BytesIO(data), data_only=True)
    out = []
    for ws in wb.worksheets:
        values, links = [], {}
        for cells in ws.iter_rows():
            for c in cells:
                if c.value is not None:
                    values.append((c.row, c.column, c.value))
                if c.hyperlink is not None and c.hyperlink.target:
                    links[(c.row, c.column)] = c.hyperlink.target
        out.append((ws.title, values, links))
    return out


def as_we_read(data: bytes) -> list[tuple[str, list[tuple[int, int, object]], dict]]:
    return [
        (title, [(r, c, v) for r, row in rows for c, v in enumerate(row, start=1) if v is not None], links)
        for title, rows, links in read_sheets(data)
    ]


def hand_made(sheet_xml: str, shared: list[str], sheet_rels: str, folder: str = "xl") -> bytes:
    """A workbook written by hand, in shapes openpyxl never writes but Excel and other
    programs do; the workbook part lies in ``folder``."""
    main = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    parts = {
        "[Content_Types].xml":
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{folder}/workbook.xml" ContentType="{ct}sheet.main+xml"/>'
            f'<Override PartName="/{folder}/worksheets/sheet1.xml" ContentType="{ct}worksheet+xml"/>'
            f'<Override PartName="/{folder}/strings.xml" ContentType="{ct}sharedStrings+xml"/></Types>',
        "_rels/.rels":
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{kind}officeDocument" '
            f'Target="{folder}/workbook.xml"/></Relationships>',
        f"{folder}/workbook.xml":
            f'<workbook {main}><sheets><sheet name="Content" sheetId="1" r:id="rId1"/></sheets></workbook>',
        f"{folder}/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{kind}worksheet" Target="/{folder}/worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{kind}sharedStrings" Target="strings.xml"/></Relationships>',
        f"{folder}/worksheets/sheet1.xml": f"<worksheet {main}>{sheet_xml}</worksheet>",
        f"{folder}/worksheets/_rels/sheet1.xml.rels": f'<Relationships xmlns="{pkg}">{sheet_rels}</Relationships>',
        f"{folder}/strings.xml":
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{"".join(shared)}</sst>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return buf.getvalue()


LINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
BY_HAND = dict(
    sheet_xml=(
        "<sheetData>"
        # rows without a number follow the one before; a number may be written '2.0';
        # cell references may be lower case or left out
        '<row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>Link</t></is></c><c t="s"><v>1</v></c></row>'
        '<row r="2.0"><c r="a2" t="s"><v>2</v></c><c r="C2"><v>12</v></c></row>'
        '<row><c r="A3"><v>1.5</v></c></row>'
        '<row r="5"><c r="A5" t="s"><v>3</v></c><c r="C5"><v>7</v></c></row>'
        '<row r="1048576" ht="20" customHeight="1"/>'  # a formatted row, the sheet's last
        "</sheetData>"
        '<mergeCells count="1"><mergeCell ref="A5:F5"/></mergeCells>'
        '<hyperlinks><hyperlink ref="B2" r:id="rId1"/><hyperlink ref="B3" location="Content!A1"/>'
        '<hyperlink ref="E5" r:id="rId2"/><hyperlink ref="H7:H8" r:id="rId1"/></hyperlinks>'
    ),
    shared=["<si><t>Title</t></si>", "<si><t>Views</t></si>", "<si><t>a_x005F_x000D_b</t></si>",
            '<si><t>Judul </t><r><t>panjang</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si>'],
    sheet_rels=(f'<Relationship Id="rId1" Type="{LINK}" Target="https://www.tiktok.com/@kpu/video/1" '
                'TargetMode="External"/>'
                f'<Relationship Id="rId2" Type="{LINK}" Target="mailto:a@b.c" TargetMode="External"/>'),
)


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
                                   "sample TikTok export", "written by hand", "written by hand, workbook elsewhere"])
def test_reads_what_openpyxl_reads(shape, tmp_path):
    data = {
        "every kind of cell": lambda: every_kind_of_cell(),
        "every kind of cell, 1904 dates": lambda: every_kind_of_cell(CALENDAR_MAC_1904),
        "fixture with a link": lambda: (FIXTURES / "tiktok" / "tiktok_content_hyperlink.xlsx").read_bytes(),
        "sample TikTok export": lambda: sample_tiktok_workbook(tmp_path),
        "written by hand": lambda: hand_made(**BY_HAND),
        "written by hand, workbook elsewhere": lambda: hand_made(**BY_HAND, folder="buku"),
    }[shape]()
    ours = as_we_read(data)
    assert ours == as_openpyxl_reads(data)
    assert all(values for _, values, _ in ours[:1])


def test_a_hand_written_sheet_gives_its_rows_only():
    ((title, rows, links),) = read_sheets(hand_made(**BY_HAND))
    # the formatted row at the bottom of the sheet is not a million empty rows
    assert [n for n, _ in rows] == [1, 2, 3, 5, 7, 8] and all(len(r) == 8 for _, r in rows)
    assert rows[0][1][:3] == ["Title", "Link", "Views"] and rows[1][1][0] == "a_x000D_b"
    assert rows[3][1][:3] == ["Judul panjang", None, None]  # merged over C5: its 7 is hidden
    assert links[(5, 1)] == "mailto:a@b.c"  # a link on a merged cell goes to the range's first


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
    bad_link = dict(BY_HAND, sheet_xml=BY_HAND["sheet_xml"].replace('ref="B3"', 'ref="B"'))
    with pytest.raises(ParseError, match=r"Content\.xlsx: not a readable XLSX workbook \(sheet 'Content'"):
        read_raw(Path("Content.xlsx"), "33.15/Content.xlsx", hand_made(**bad_link))
