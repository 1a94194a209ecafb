"""The XLSX attached to each weekly email (and written by ``medsos query --format xlsx``).

Read by provincial staff in Excel: headers and coded values in Indonesian, percentages
and rates as Excel percentages (stored as fractions, so they sort and sum), counts with
thousands separators, dates as dates, permalinks clickable, and on every sheet a filter
and a frozen header row.

Spreadsheet programs execute cells that begin with ``=``, ``+``, ``-`` or ``@`` as
formulas. Captions come from the public, so every text cell is stored as text (never
as a formula) and marked with Excel's quote prefix.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from medsos.report.summary import CATEGORY_LABELS, PLATFORM_LABELS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

YES_NO = {True: "ya", False: "tidak"}

# Column names of the marts as a provincial staffer reads them in the workbook. A column
# without an entry keeps its name (so a new column is never lost, only untranslated).
COLUMN_LABELS = {
    "office_code": "Kode kantor",
    "office_name": "Kantor",
    "province_code": "Kode provinsi",
    "province_office_name": "KPU provinsi",
    "platform": "Platform",
    "iso_week": "Minggu (ISO)",
    "week_start": "Awal minggu (Senin)",
    "data_status": "Status ekspor",
    "posts": "Postingan",
    "active_days": "Hari aktif",
    "max_posts_in_a_day": "Unggahan terbanyak dalam sehari",
    "overposting_days": "Hari dengan unggahan berlebih",
    "overtagged_posts": "Postingan dengan tagar berlebih",
    "posts_informasi_pemilu": "Postingan informasi pemilu",
    "posts_edukasi": "Postingan edukasi pemilih",
    "posts_kegiatan": "Postingan berita kegiatan",
    "posts_lainnya": "Postingan lainnya",
    "met_weekly_minimum": "Memenuhi minimal seminggu sekali",
    "posts_seen_in_other_exports": "Postingan terlihat di ekspor lain",
    "offices_expected": "Kantor dievaluasi",
    "offices_reported": "Kantor mengirim semua ekspor",
    "offices_missing": "Kantor dengan ekspor belum dikirim",
    "offices_met_minimum": "Kantor memenuhi minimal (semua platform baris ini)",
    "pct_offices_met_minimum": "% kantor memenuhi minimal",
    "posting_activity_pct": "Aktivitas posting",
    "views": "Tayangan",
    "reach": "Jangkauan",
    "impressions": "Impresi",
    "likes": "Suka",
    "comments": "Komentar",
    "shares": "Dibagikan",
    "saves": "Disimpan",
    "interactions": "Interaksi",
    "followers": "Pengikut",
    "engagement_rate_per_view": "Tingkat interaksi per tayangan",
    "engagement_rate_per_follower": "Tingkat interaksi per pengikut",
    "published_local": "Waktu unggah (waktu setempat)",
    "post_type": "Jenis postingan",
    "content_category": "Kategori konten",
    "content_category_reason": "Alasan kategori",
    "hashtags": "Jumlah tagar",
    "caption": "Keterangan",
    "permalink": "Tautan",
    "rank_in_province": "Peringkat di provinsi",
    "offices_sharing_rank": "Kantor dengan peringkat sama",
    "offices_in_province": "Kantor di provinsi",
    "platforms_registered": "Platform terdaftar",
    "platforms_missing": "Platform belum mengirim ekspor",
    "platforms_met_minimum": "Platform memenuhi minimal",
    "posts_reported": "Postingan (ekspor yang masuk)",
    "posts_with_campaign_hashtag": "Postingan bertagar kampanye resmi",
    "campaign_hashtag_share": "Porsi postingan bertagar kampanye resmi",
    "has_campaign_hashtag": "Bertagar kampanye resmi",
    "posts_video": "Postingan video",
    "posts_image": "Postingan gambar",
    "posts_carousel": "Postingan album (carousel)",
    "posts_text": "Postingan teks",
    "posts_other_format": "Postingan format lain",
    "content_format": "Format konten",
    "handle_follows_pattern": "Nama akun sesuai pola provinsi",
    "reason_text": "Alasan ditindaklanjuti",
    "score": "Bobot (makin besar makin mendesak)",
    "file": "Berkas",
    "severity": "Status berkas",
    "text": "Masalah dan yang perlu dilakukan",
}

VALUE_LABELS = {
    "data_status": {"reported": "terkirim", "missing": "belum dikirim"},
    # the email's own labels, so the workbook and the email name things alike
    "platform": PLATFORM_LABELS,
    "content_category": CATEGORY_LABELS,
}

PERCENT = "0.0%"  # columns holding 0-100 are stored /100 with this format
RATE = "0.00%"  # fractions (interactions per view) shown as percentages
COUNT = "#,##0"
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"


def number_format(column: str) -> str | None:
    if column.endswith(("_pct", "_share")):  # _share columns already hold fractions
        return PERCENT
    if column.startswith("engagement_rate"):
        return RATE
    return None


def _plain(value: Any, column: str) -> Any:
    """A value as a staffer reads it: coded values and yes/no in Indonesian, percentages
    as fractions, time zones dropped (Excel has none; the column says which clock)."""
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, str) and column in VALUE_LABELS:
        return VALUE_LABELS[column].get(value, value)
    if column.endswith("_pct") and isinstance(value, (int, float)):
        return value / 100
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if value is not None and not isinstance(value, (str, int, float, date)):
        return str(value)
    return value


def _width(column: str, header: str, rows: list[tuple], index: int) -> float:
    if column == "permalink":
        return 40
    sample = [v[index] for v in rows[:300] if v[index] is not None]
    # text and numbers of a column _plain leaves alone are shown as they are
    translated = column in VALUE_LABELS or column.endswith("_pct")
    longest = max(
        [len(header)]
        + [
            len(str(v if not translated and type(v) in _AS_IS else _plain(v, column)))
            for v in sample
        ]
    )
    return min(max(longest + 2, 8), 60)


_AS_IS = frozenset({str, int, float})  # exactly these types (bool is an int)
_KEPT = frozenset({str, int, float, date, type(None)})  # stored as they come, untranslated


def build_workbook(sheets: list[tuple[str, list[str], list[tuple]]], labels: bool = True) -> bytes:
    """``sheets``: (name, column names, rows). Returns the XLSX bytes. ``labels``: headers
    in Indonesian (the email's workbook); off for ``medsos query``, whose columns are the
    ones the user wrote. Written by ``medsos.report.xlsx`` (see there why not openpyxl)."""
    from medsos.report import xlsx

    book = xlsx.Writer()
    for name, columns, rows in sheets:
        headers = [COLUMN_LABELS.get(c, c) if labels else str(c) for c in columns]
        sheet = book.add_sheet(
            name,
            [_width(c, h, rows, i) for i, (c, h) in enumerate(zip(columns, headers, strict=True))],
        )
        book.add_row(sheet, [(h, xlsx.BOLD) for h in headers])
        formats = [xlsx.FORMAT_STYLES.get(number_format(c) or "", xlsx.PLAIN) for c in columns]
        translate = [c in VALUE_LABELS or c.endswith("_pct") for c in columns]
        for values in rows:
            cells: list[tuple[object, int]] = []
            for column, style, special, raw in zip(
                columns, formats, translate, values, strict=True
            ):
                # most cells are text or numbers of an untranslated column: _plain keeps them
                if not special and type(raw) in _KEPT:
                    value = raw
                elif (
                    special
                    or isinstance(raw, (bool, datetime))
                    or (raw is not None and not isinstance(raw, (str, int, float, date)))
                ):
                    value = _plain(raw, column)
                else:
                    value = raw
                kind = type(value)
                if kind is int or kind is float:
                    # below 1000 a thousands separator changes nothing
                    cells.append(
                        (
                            value,
                            style
                            or (xlsx.COUNT if kind is int and abs(value) >= 1000 else xlsx.PLAIN),
                        )
                    )
                elif value is None:
                    cells.append((None, xlsx.PLAIN))
                elif isinstance(value, str):
                    if column == "permalink" and value.startswith(("https://", "http://")):
                        cells.append((value, xlsx.LINK))
                    elif value.startswith(FORMULA_START):
                        # text, with Excel's quote prefix: never run as a formula
                        cells.append((value, xlsx.TEXT_AS_IS))
                    else:
                        cells.append((value, xlsx.PLAIN))
                elif isinstance(value, (int, float)):
                    # below 1000 a thousands separator changes nothing
                    cells.append(
                        (
                            value,
                            style
                            or (
                                xlsx.COUNT
                                if isinstance(value, int) and abs(value) >= 1000
                                else xlsx.PLAIN
                            ),
                        )
                    )
                elif isinstance(value, datetime):
                    cells.append((value, xlsx.DATETIME))
                elif isinstance(value, date):
                    cells.append((value, xlsx.DATE))
                else:
                    cells.append((value, xlsx.PLAIN))
            book.add_row(sheet, cells)
    return book.save()
