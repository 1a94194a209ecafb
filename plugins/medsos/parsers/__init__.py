"""Platform parsers: one module per platform, each exposing ``PARSERS`` (a list of
``ExportParser`` objects, one per native export shape it understands).

``detect`` picks the parser from the file's headers, never from its name.
"""

from __future__ import annotations

from medsos.parsers import facebook, instagram, tiktok, x, youtube
from medsos.parsers.base import ExportParser
from medsos.parsers.sheets import ParseError, RawFile

ALL_PARSERS: list[ExportParser] = [
    *facebook.PARSERS,
    *instagram.PARSERS,
    *youtube.PARSERS,
    *tiktok.PARSERS,
    *x.PARSERS,
]


class UnrecognisedExport(ParseError):
    """The file is readable but matches no known export."""


def detect(raw: RawFile) -> ExportParser:
    """The parser whose export shape the file has, or ``UnrecognisedExport``."""
    matches = [p for p in ALL_PARSERS if p.matches(raw)]
    if len(matches) == 1:
        return matches[0]
    sheet = raw.first_sheet()
    shown = ", ".join(repr(h) for h in sheet.header[:8])
    if not any(str(h).strip() for h in sheet.header[:8]):
        shown = f"without column names ({len(sheet.header)} empty)"
    more = f" … ({len(sheet.header)} columns)" if len(sheet.header) > 8 else ""
    titled = f" under the title {sheet.name!r}" if sheet.name and raw.encoding != "xlsx" else ""
    resaved = "".join(f" Note: {note}." for note in raw.notes)
    if not matches:
        expected = "; ".join(p.description for p in ALL_PARSERS)
        raise UnrecognisedExport(
            f"{raw.relative_path}: not a known platform export. Its header row{titled} is "
            f"{shown}{more}.{resaved} Expected one of: {expected}."
        )
    names = ", ".join(p.kind for p in matches)
    raise UnrecognisedExport(
        f"{raw.relative_path}: headers fit several exports ({names}); header row {shown}{more}.{resaved}"
    )
