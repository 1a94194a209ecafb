"""Sample writer: Meta Business Suite Instagram "Content" export, English or Indonesian UI.

English: UTF-8 with BOM, the column order of platform-exports.md 2.1, ``Lifetime``,
counts with thousands commas. Indonesian: plain UTF-8, the real files' reordered columns
(2.2), ``Sepanjang Masa``, ``Gambar IG``/``Reel IG``/…; ``Waktu penerbitan`` stays
US-style ``MM/DD/YYYY HH:MM`` on the US Pacific clock in both, as Meta writes it. Images and carousels say ``0`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medsos.sample._common import en_count, meta_file_name, meta_publish_time, write_csv
from medsos.sample.model import ExportRequest, ExportRow

HEADER_EN = [
    "Post ID",
    "Account ID",
    "Account username",
    "Account name",
    "Description",
    "Duration (sec)",
    "Publish time",
    "Permalink",
    "Post type",
    "Data comment",
    "Date",
    "Views",
    "Reach",
    "Likes",
    "Shares",
    "Follows",
    "Comments",
    "Saves",
]
HEADER_ID = [
    "ID Postingan",
    "ID Akun",
    "Nama pengguna akun",
    "Nama akun",
    "Deskripsi",
    "Durasi (detik)",
    "Waktu penerbitan",
    "Permalink",
    "Jenis postingan",
    "Komentar data",
    "Tanggal",
    "Tayangan",
    "Suka",
    "Frekuensi dibagikan",
    "Komentar",
    "Frekuensi Disimpan",
    "Jangkauan",
    "Mengikuti",
]
LABELS_EN = {
    "image": "IG image",
    "carousel": "IG carousel",
    "reel": "IG reel",
    "short": "IG reel",
    "story": "IG story",
    "video": "IG video",
    "live": "IG live",
}
LABELS_ID = {
    "image": "Gambar IG",
    "carousel": "Carousel IG",
    "reel": "Reel IG",
    "short": "Reel IG",
    "story": "Cerita IG",
    "video": "Video IG",
    "live": "Siaran langsung IG",
}


def _plain(v: int | None) -> str:
    return "" if v is None else str(v)


def _row(request: ExportRequest, r: ExportRow, indonesian: bool) -> list[str]:
    a, p, m = request.account, r.post, r.metrics
    duration = "0" if p.duration_seconds is None else f"{p.duration_seconds:g}"
    follows = None if m.likes is None else m.likes // 25
    published = meta_publish_time(p.published_local, p.office_code)  # US Pacific, in both languages
    start = [
        p.post_id,
        a.account_id or "",
        a.handle,
        a.display_name,
        p.caption,
        duration,
        published,
        p.permalink,
    ]
    if indonesian:
        n: Callable[[int | None], str] = _plain
        return [
            *start,
            LABELS_ID[p.post_type],
            "",
            "Sepanjang Masa",
            n(m.views),
            n(m.likes),
            n(m.shares),
            n(m.comments),
            n(m.saves),
            n(m.reach),
            n(follows),
        ]
    n = en_count
    return [
        *start,
        LABELS_EN[p.post_type],
        "",
        "Lifetime",
        n(m.views),
        n(m.reach),
        n(m.likes),
        n(m.shares),
        n(follows),
        n(m.comments),
        n(m.saves),
    ]


def write(request: ExportRequest, folder: Path) -> list[Path]:
    """``<folder>/Mon-DD-YYYY_Mon-DD-YYYY_<16 digits>.csv`` for the request's window."""
    indonesian = request.language == "id"
    rows = [_row(request, r, indonesian) for r in request.rows]
    name = meta_file_name(
        request.window_start, request.window_end, request.account.handle, "instagram"
    )
    header = HEADER_ID if indonesian else HEADER_EN
    return [write_csv(folder / name, header, rows, bom=not indonesian, crlf=True)]
