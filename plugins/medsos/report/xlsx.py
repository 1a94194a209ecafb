"""A small, fast XLSX writer for the weekly workbooks.

Why not openpyxl: a national week's 39 workbooks hold about 640,000 cells, and openpyxl
(even in write-only mode) spends about 10 microseconds per cell building and serialising
element objects, which made the workbooks most of the weekly report's time. The workbooks
need only a handful of features, all written here as plain SpreadsheetML (ECMA-376):
text, numbers and dates; a bold frozen header row with a filter; column widths; number
formats; clickable links; and Excel's quote prefix on text that looks like a formula.
The tests read every workbook back with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape, quoteattr

# cellXfs indexes in STYLES below
PLAIN, BOLD, PERCENT, RATE, COUNT, DATE, DATETIME, LINK, TEXT_AS_IS = range(9)
FORMAT_STYLES = {
    "0.0%": PERCENT,
    "0.00%": RATE,
    "#,##0": COUNT,
    "dd/mm/yyyy": DATE,
    "dd/mm/yyyy hh:mm": DATETIME,
}

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy"/><numFmt numFmtId="166" formatCode="dd/mm/yyyy hh:mm"/></numFmts>
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="9">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyAlignment="1"><alignment horizontal="left"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
EXCEL_EPOCH = datetime(1899, 12, 30)
INFINITIES = (float("inf"), float("-inf"))
STYLE_ATTRIBUTES = [""] + [f' s="{style}"' for style in range(1, TEXT_AS_IS + 1)]
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Sheet:
    name: str
    widths: list[float]
    rows: list[str] = field(default_factory=list)  # <row> elements
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell ref, url)
    columns: int = 0


class Writer:
    """``add_sheet`` then ``cell`` values row by row via ``add_row``; ``save`` gives bytes."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self._letters = [column_letter(i) for i in range(1, 200)]

    def add_sheet(self, name: str, widths: list[float]) -> Sheet:
        sheet = Sheet(name=name[:31], widths=widths, columns=len(widths))
        self.sheets.append(sheet)
        return sheet

    def add_row(self, sheet: Sheet, cells: list[tuple[object, int]]) -> None:
        """``cells``: (value, style) per column; None leaves the cell empty."""
        n = len(sheet.rows) + 1
        out = []
        letters = self._letters
        for i, (value, style) in enumerate(cells):
            if value is None:
                continue
            ref = f"{letters[i]}{n}"
            s = STYLE_ATTRIBUTES[style]
            # most cells are text or whole numbers: known by their type alone
            kind = type(value)
            if type(value) is str and style != LINK:
                text = ILLEGAL.sub("\ufffd", value)
                space = ' xml:space="preserve"' if text != text.strip() else ""
                # xml.sax.saxutils.escape, inline: & first, then > and <
                text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
                out.append(f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{text}</t></is></c>')
            elif kind is int:
                out.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
            elif kind is float:
                if value != value or value in INFINITIES:
                    continue  # NaN and infinities have no cell value in a workbook
                out.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
            elif isinstance(value, bool):
                out.append(f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                if value != value or value in (float("inf"), float("-inf")):
                    continue  # NaN and infinities have no cell value in a workbook
                out.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
            elif isinstance(value, datetime):
                serial = (value.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400
                out.append(f'<c r="{ref}"{s}><v>{serial!r}</v></c>')
            elif isinstance(value, date):
                serial = (datetime(value.year, value.month, value.day) - EXCEL_EPOCH).days
                out.append(f'<c r="{ref}"{s}><v>{serial}</v></c>')
            else:
                text = ILLEGAL.sub("\ufffd", str(value))
                if style == LINK:
                    sheet.links.append((ref, text))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                out.append(
                    f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{escape(text)}</t></is></c>'
                )
        sheet.rows.append(f'<row r="{n}">{"".join(out)}</row>')

    def _sheet_xml(self, sheet: Sheet) -> str:
        last = self._letters[max(sheet.columns, 1) - 1]
        rows = max(len(sheet.rows), 1)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
            for i, w in enumerate(sheet.widths, start=1)
        )
        links = ""
        if sheet.links:
            links = (
                "<hyperlinks>"
                + "".join(
                    f'<hyperlink ref="{ref}" r:id="rId{i}"/>'
                    for i, (ref, _) in enumerate(sheet.links, start=1)
                )
                + "</hyperlinks>"
            )
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS} {REL_NS}>'
            f'<dimension ref="A1:{last}{rows}"/>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
            + "".join(sheet.rows)
            + "</sheetData>"
            + f'<autoFilter ref="A1:{last}{rows}"/>'
            + links
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        )

    def save(self) -> bytes:
        import io

        buf = io.BytesIO()
        n = len(self.sheets)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            overrides = "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            z.writestr(
                "[Content_Types].xml",
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    '<Override PartName="/xl/workbook.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                    '<Override PartName="/xl/styles.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                    f"{overrides}</Types>"
                ),
            )
            z.writestr(
                "_rels/.rels",
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" '
                    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                    'Target="xl/workbook.xml"/></Relationships>'
                ),
            )
            sheets = "".join(
                f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
                for i, s in enumerate(self.sheets, start=1)
            )
            # Excel keeps a filter's range in a hidden name per sheet
            names = "".join(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                f"{escape(_quoted_sheet(s.name))}!$A$1:${self._letters[max(s.columns, 1) - 1]}"
                f"${max(len(s.rows), 1)}</definedName>"
                for i, s in enumerate(self.sheets)
            )
            z.writestr(
                "xl/workbook.xml",
                (
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS} {REL_NS}>'
                    f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>"
                    f"<definedNames>{names}</definedNames></workbook>"
                ),
            )
            rels = "".join(
                f'<Relationship Id="rId{i}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            rels += (
                f'<Relationship Id="rId{n + 1}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
                'Target="styles.xml"/>'
            )
            z.writestr(
                "xl/_rels/workbook.xml.rels",
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f"{rels}</Relationships>"
                ),
            )
            z.writestr("xl/styles.xml", STYLES)
            for i, sheet in enumerate(self.sheets, start=1):
                z.writestr(f"xl/worksheets/sheet{i}.xml", self._sheet_xml(sheet))
                if sheet.links:
                    links = "".join(
                        f'<Relationship Id="rId{j}" '
                        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
                        f'Target={quoteattr(url)} TargetMode="External"/>'
                        for j, (_, url) in enumerate(sheet.links, start=1)
                    )
                    z.writestr(
                        f"xl/worksheets/_rels/sheet{i}.xml.rels",
                        (
                            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            f"{links}</Relationships>"
                        ),
                    )
        return buf.getvalue()


def _quoted_sheet(name: str) -> str:
    """A sheet name as a formula writes it: 'Per kantor' (quotes doubled inside)."""
    return "'" + name.replace("'", "''") + "'"
