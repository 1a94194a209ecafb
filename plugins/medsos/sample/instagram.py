"""Sample writer: Meta Business Suite Instagram content export, English or Indonesian UI
(the Indonesian export orders its columns differently, as real ones do)."""

from __future__ import annotations

from pathlib import Path

from medsos.sample._common import meta_file_name, write_csv
from medsos.sample.model import ExportRequest

HEADER_EN = [
    "Post ID", "Account ID", "Account username", "Account name", "Description", "Duration (sec)",
    "Publish time", "Permalink", "Post type", "Data comment", "Date", "Views", "Reach", "Likes",
    "Shares", "Follows", "Comments", "Saves",
]
HEADER_ID = [
    "ID Postingan", "ID Akun", "Nama pengguna akun", "Nama akun", "Deskripsi", "Durasi (detik)",
    "Waktu penerbitan", "Permalink", "Jenis postingan", "Komentar data", "Tanggal", "Tayangan",
    "Suka", "Frekuensi dibagikan", "Komentar", "Frekuensi Disimpan", "Jangkauan", "Mengikuti",
]
LABELS_EN = {"image": "IG image", "carousel": "IG carousel", "reel": "IG reel", "story": "IG story", "video": "IG video"}
LABELS_ID = {"image": "Gambar IG", "carousel": "Carousel IG", "reel": "Reel IG", "story": "Cerita IG", "video": "Video IG"}


def _n(v: int | None) -> str:
    return "" if v is None else str(v)


def write(request: ExportRequest, folder: Path) -> list[Path]:
    a = request.account
    indonesian = request.language == "id"
    rows = []
    for r in request.rows:
        p, m = r.post, r.metrics
        duration = "0" if p.duration_seconds is None else f"{p.duration_seconds:g}"
        follows = str((m.likes or 0) // 25)
        published = f"{p.published_local:%m/%d/%Y %H:%M}"  # US style in both languages
        if indonesian:
            rows.append([
                p.post_id, a.account_id or "", a.handle, a.display_name, p.caption, duration, published,
                p.permalink, LABELS_ID[p.post_type], "", "Sepanjang Masa", _n(m.views), _n(m.likes),
                _n(m.shares), _n(m.comments), _n(m.saves), _n(m.reach), follows,
            ])
        else:
            rows.append([
                p.post_id, a.account_id or "", a.handle, a.display_name, p.caption, duration, published,
                p.permalink, LABELS_EN[p.post_type], "", "Lifetime", _n(m.views), _n(m.reach),
                _n(m.likes), _n(m.shares), follows, _n(m.comments), _n(m.saves),
            ])
    name = meta_file_name(request.window_start, request.window_end, a.handle, "instagram")
    return [write_csv(folder / name, HEADER_ID if indonesian else HEADER_EN, rows, bom=not indonesian)]
