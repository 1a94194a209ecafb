"""Uploads: what an office sends is saved unchanged into ``<landing>/<week>/<office>/``
and read at once by ``pipeline.check_files``, the code the weekly run uses.

Before anything is saved: the name is reduced to a safe form (no folder parts, no
control characters, no leading dot), the size is held to ``MEDSOS_MAX_EXPORT_MB``, the
content is told by its bytes (a photo, a PDF, a web page or an old .xls is refused with
what it is, whatever its name says), and a ZIP is opened only when its member count,
unpacked size and member names are sane (no ``../``, no absolute paths). A file is
written under a ``.medsos-partial-`` name the landing scan passes over, then linked to
its final name (never over an existing file: a taken name gets `` (2)``, `` (3)``…) and
the partial name removed, so a weekly run sees the whole file or nothing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from medsos import landing, weeks
from medsos.config import PortalSettings, Settings

PARTIAL_PREFIX = ".medsos-partial-"
assert PARTIAL_PREFIX in landing.SYSTEM_PREFIXES  # the weekly scan never lists a half-written file
CHUNK = 1 << 20
MAX_NAME = 120


class Refused(Exception):
    """A file not saved: ``status`` is the HTTP status the whole upload gets when every
    file is refused (413 too large, 422 not an export)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def safe_name(name: str) -> str:
    """The last part of a browser-sent name, in a form safe on any disk: no folders, no
    control or format characters, no leading dots, at most ``MAX_NAME`` characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in name)
    name = re.sub(r"[^\w .,()&+\-\[\]]", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = name.lstrip("~$.")
    if not name or name in landing.IGNORED_NAMES:
        name = "berkas"
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 8 and len(name) > MAX_NAME:
        name = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
    return name[:MAX_NAME]


def printable(name: str) -> str:
    """A name as it was sent, for the page and the log: control characters shown as '?'."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in str(name or ""))[:300]


# --------------------------------------------------------------------------- content


_REFUSED_MAGIC = (
    (b"\xff\xd8\xff", "foto (JPEG)"),
    (b"\x89PNG\r\n\x1a\n", "gambar (PNG)"),
    (b"GIF87a", "gambar (GIF)"),
    (b"GIF89a", "gambar (GIF)"),
    (b"%PDF", "dokumen PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "berkas Excel lama (.xls) atau dokumen Word lama"),
    (b"Rar!", "arsip RAR"),
    (b"7z\xbc\xaf\x27\x1c", "arsip 7-Zip"),
    (b"\x1f\x8b", "arsip GZIP"),
    (b"MZ", "program Windows"),
    (b"\x7fELF", "program"),
)
_HTML = re.compile(
    rb"^\s*(<!doctype\s+html|<html|<head|<body|<script|<meta|<iframe|<svg|<\?xml)", re.I
)


def sniff(head: bytes) -> str:
    """What the first bytes say the file is: 'zip' (XLSX or a ZIP download) or 'text';
    ``Refused`` for anything that is no export."""
    for magic, what in _REFUSED_MAGIC:
        if head.startswith(magic):
            raise Refused(f"ini {what}, bukan ekspor media sosial")
    if head[4:12] in (
        b"ftypheic",
        b"ftypheix",
        b"ftypmif1",
        b"ftypmp42",
        b"ftypisom",
        b"ftypqt  ",
        b"ftypM4V ",
    ):
        raise Refused("ini foto atau video (HEIC/MP4), bukan ekspor media sosial")
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI ", b"WAVE"):
        raise Refused("ini gambar, video atau suara, bukan ekspor media sosial")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    text_start = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            if bom != b"\xef\xbb\xbf":
                try:
                    text_start = (
                        head[2:]
                        .decode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be", errors="ignore")
                        .encode("utf-8")
                    )
                except Exception:  # noqa: BLE001
                    text_start = b""
                if _HTML.match(text_start):
                    raise Refused(
                        "ini halaman web (HTML), bukan ekspor CSV, walau namanya berakhiran .csv"
                    )
                return "text"
            text_start = head[3:]
    if _HTML.match(text_start):
        raise Refused("ini halaman web (HTML), bukan ekspor CSV, walau namanya berakhiran .csv")
    if b"\x00" in head:
        raise Refused("ini berkas biner (bukan teks CSV dan bukan XLSX), bukan ekspor media sosial")
    return "text"


def check_zip(path: Path, ps: PortalSettings) -> str:
    """'xlsx' or 'zip' for a ZIP-shaped file that is safe to open; ``Refused`` otherwise.
    Sizes are counted while unpacking, not taken from the headers (a bomb can lie)."""
    limit = int(ps.zip_total_mb * 1024 * 1024)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > ps.zip_members:
                raise Refused(
                    f"ZIP berisi {len(infos)} berkas; paling banyak {ps.zip_members}. "
                    "Unggah ekspornya saja, bukan seluruh folder"
                )
            for info in infos:
                n = info.filename
                parts = n.replace("\\", "/").split("/")
                if (
                    n.startswith(("/", "\\"))
                    or re.match(r"^[A-Za-z]:", n)
                    or ".." in parts
                    or any(unicodedata.category(c)[0] == "C" for c in n)
                ):
                    raise Refused(
                        f"ZIP berisi nama berkas yang tidak aman ({n!r}); buat ZIP dari ekspornya saja"
                    )
            if sum(i.file_size for i in infos) > limit:
                raise Refused(
                    f"isi ZIP jika dibuka lebih dari {ps.zip_total_mb:.0f} MB "
                    f"(batas); ini bukan ekspor satu kantor satu minggu",
                    status=413,
                )
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                with zf.open(info) as member:
                    while chunk := member.read(CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise Refused(
                                f"isi ZIP jika dibuka lebih dari {ps.zip_total_mb:.0f} MB (batas); "
                                "ini bukan ekspor satu kantor satu minggu",
                                status=413,
                            )
            return "xlsx" if landing.is_workbook([i.filename for i in infos]) else "zip"
    except Refused:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        RuntimeError,
        NotImplementedError,
        EOFError,
        ValueError,
    ) as exc:
        raise Refused(
            f"ZIP/XLSX rusak atau terkunci kata sandi ({type(exc).__name__}); unduh ulang dari platform"
        ) from exc


def _with_extension(name: str, kind: str) -> str:
    """The saved name ends as its content reads (the landing scan opens a ZIP by its name)."""
    low = name.lower()
    wanted = {"xlsx": (".xlsx",), "zip": (".zip",), "text": (".csv", ".txt", ".tsv", ".jsonl")}[
        kind
    ]
    if low.endswith(wanted):
        return name
    return f"{name}{wanted[0]}"


@dataclass
class Saved:
    original: str
    name: str  # the file's name in the office folder
    relative_path: str  # '<week>/<office>/<name>'
    size: int


def receive(stream: BinaryIO, original: str, folder: Path, ps: PortalSettings) -> Saved:
    """Copy one uploaded file under a partial name at the top of the landing zone (which
    the weekly scan passes over; the same disk, so it can be linked), check it, and give
    it its final name in ``folder``; ``Refused`` when it is not to be kept, and then
    nothing is left behind, not even an empty week folder."""
    name = safe_name(original)
    limit = int(ps.max_export_mb * 1024 * 1024)
    landing_root = folder.parents[1]
    landing_root.mkdir(parents=True, exist_ok=True)
    tmp = landing_root / f"{PARTIAL_PREFIX}{secrets.token_hex(8)}"
    size = 0
    try:
        with open(tmp, "xb") as out:
            head = b""
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Refused(
                        f"berkas lebih dari {ps.max_export_mb:.0f} MB (batas MEDSOS_MAX_EXPORT_MB); "
                        "ekspor satu minggu biasanya hanya beberapa MB — ekspor rentang tanggal yang lebih "
                        "pendek",
                        status=413,
                    )
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Refused("berkas kosong (0 byte)")
        kind = sniff(head)
        if kind == "zip":
            kind = check_zip(tmp, ps)
        name = _with_extension(name, kind)
        folder.mkdir(parents=True, exist_ok=True)
        final = _link_unique(tmp, folder, name)
    finally:
        if tmp.exists():
            tmp.unlink()  # our own partial file, never one an office saved
    return Saved(original, final.name, f"{folder.parent.name}/{folder.name}/{final.name}", size)


def _link_unique(tmp: Path, folder: Path, name: str) -> Path:
    """Give ``tmp`` the name ``name`` in ``folder``, or ``name (2)``… when taken; a hard
    link never replaces an existing file, so two uploads at once cannot overwrite."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    for n in range(1, 1000):
        candidate = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        try:
            os.link(tmp, candidate)
            return candidate
        except FileExistsError:
            continue
    raise Refused("terlalu banyak berkas dengan nama yang sama di folder ini")


# --------------------------------------------------------------------------- verdicts


PLATFORM_LABELS = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X (Twitter)",
    "youtube": "YouTube",
    "tiktok": "TikTok",
}
KIND_LABELS = {
    "facebook_content": "ekspor konten Facebook (Meta Business Suite)",
    "facebook_videos": "ekspor video Facebook (Meta Business Suite)",
    "facebook_daily_follows": "data harian pengikut Facebook",
    "facebook_daily_other": "data harian Facebook",
    "facebook_audience": "data audiens Facebook",
    "instagram_content": "ekspor konten Instagram (Meta Business Suite)",
    "instagram_daily_follows": "data harian pengikut Instagram",
    "instagram_daily_other": "data harian Instagram",
    "tiktok_content": "ekspor konten TikTok Studio",
    "tiktok_video_list": "daftar video TikTok",
    "tiktok_follower_history": "riwayat pengikut TikTok",
    "tiktok_overview": "ringkasan TikTok Studio",
    "x_account_content": "ekspor konten akun X (Analytics)",
    "x_tweet_activity": "ekspor aktivitas tweet X",
    "x_daily_tweet_activity": "aktivitas harian tweet X",
    "x_account_overview": "ringkasan akun X",
    "youtube_table_data": "ekspor tabel YouTube Studio (Table data)",
    "youtube_chart_data": "ekspor grafik YouTube Studio (Chart data)",
    "youtube_totals": "total harian YouTube Studio (Totals)",
}
STATUS_LABELS = {
    "loaded": ("diterima", "ok"),
    "loaded_with_quarantine": ("diterima sebagian", "warn"),
    "rejected": ("ditolak", "bad"),
    "duplicate": ("salinan berkas lain", "warn"),
    "refused": ("tidak disimpan", "bad"),
}
ADVICE_EXPORT = (
    "Unduh ekspor konten dari platformnya (Meta Business Suite, YouTube Studio, TikTok Studio, "
    "X Analytics) dan unggah berkas itu apa adanya, tanpa dibuka atau disimpan ulang."
)


def _kind_label(kind: str | None) -> str:
    if not kind:
        return "tidak dikenali"
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    if kind.startswith("tiktok_"):
        return "data analitik TikTok (ekspor lama)"
    return kind.replace("_", " ")


# what to do about a file-level warning of the files suite, by its column
FILE_WARNING_TODO = {
    "platform_registered": "Minta staf provinsi mendaftarkan akun resmi kantor di platform ini.",
    "rows_vs_recent": "Periksa rentang tanggal ekspor (satu minggu) dan akun yang diekspor.",
}


def _pesan_of_why() -> dict[str, tuple[str, str]]:
    """The files suite's warnings (its 'why', as the pipeline records them) -> (its
    Indonesian 'pesan', what to do)."""
    from medsos.validate import load_suite_json

    return {
        e["meta"]["why"]: (
            e["meta"].get("pesan") or e["meta"]["why"],
            FILE_WARNING_TODO.get(e["kwargs"].get("column", ""), ""),
        )
        for e in load_suite_json("files")["expectations"]
        if e.get("meta", {}).get("why")
    }


def _pesan() -> dict[str, str]:
    from medsos.validate import messages_id

    return messages_id()


def problems_of(v: dict[str, Any], week: str, registered: dict[str, Any]) -> list[dict[str, str]]:
    """Every problem of one checked file in plain Indonesian, each with what to do."""
    out: list[dict[str, str]] = []
    reason = v.get("reason") or ""
    status = v["status"]
    if status == "rejected":
        low = reason.lower()
        if "not a known platform export" in low or "headers fit several" in low:
            out.append(
                {
                    "apa": "Berkas ini bukan ekspor platform yang dikenali medsos.",
                    "todo": ADVICE_EXPORT,
                }
            )
        elif "inside the zip is not a platform export" in low:
            out.append(
                {
                    "apa": "Berkas di dalam ZIP ini bukan ekspor (misalnya foto atau dokumen).",
                    "todo": "Tidak perlu apa-apa jika ekspor lain dalam ZIP diterima.",
                }
            )
        elif "empty file" in low or "the zip file is empty" in low:
            out.append({"apa": "Berkas kosong.", "todo": ADVICE_EXPORT})
        elif "mixed encodings" in low or "not text in utf-8" in low:
            out.append(
                {
                    "apa": "Berkas tidak terbaca sebagai teks CSV (isinya tercampur atau rusak).",
                    "todo": ADVICE_EXPORT,
                }
            )
        elif "failed checks" in low:
            out.append(
                {
                    "apa": "Semua baris berkas ini tertahan pemeriksaan (lihat di bawah).",
                    "todo": "Perbaiki penyebabnya lalu unggah ekspor yang benar.",
                }
            )
        elif "could not be read" in low:
            out.append(
                {
                    "apa": "Berkas tidak dapat dibaca oleh medsos.",
                    "todo": "Kirim berkas ini ke tim data KPU RI; unduh ulang ekspornya dari platform.",
                }
            )
        elif "larger than an export" in low:
            out.append(
                {
                    "apa": "Berkas terlalu besar untuk ekspor satu kantor satu minggu.",
                    "todo": "Ekspor rentang tanggal yang lebih pendek.",
                }
            )
        else:
            out.append({"apa": "Berkas ditolak pemeriksaan berkas.", "todo": ADVICE_EXPORT})
    if status == "duplicate":
        out.append(
            {
                "apa": f"Isinya sama persis dengan {v.get('duplicate_of')}; dihitung sekali saja.",
                "todo": "Tidak perlu apa-apa.",
            }
        )
    pesan = _pesan()
    groups: dict[tuple, list] = {}
    for q in v.get("quarantine", []):
        groups.setdefault((q.get("check_name"), q.get("column_name")), []).append(q)
    for (check, column), rows in groups.items():
        shown = ", ".join(
            str(r.get("source_row")) for r in rows[:10] if r.get("source_row") is not None
        )
        more = f" dan {len(rows) - 10} lagi" if len(rows) > 10 else ""
        where = f" (baris {shown}{more})" if shown else ""
        if column == "account_matches_registry":
            acc = ", ".join("@" + (h or i) for h, i in v.get("accounts", [])) or "akun lain"
            reg = registered.get(v.get("platform") or "")
            official = f"@{reg.handle}" if reg else "akun resmi kantor"
            out.append(
                {
                    "apa": f"Salah akun: {len(rows)} postingan dari {acc}, bukan akun resmi kantor ini "
                    f"({official}){where}.",
                    "todo": f"Unduh ekspor dari akun {official} (masuk ke akun yang benar di platformnya).",
                }
            )
        elif column and column.startswith("snapshot_at"):
            out.append(
                {
                    "apa": f"{len(rows)} postingan terbit setelah akhir minggu {week}{where}: berkas ini "
                    "kemungkinan untuk minggu yang lebih baru.",
                    "todo": "Unggah berkas ini pada minggu yang benar (pilih minggunya di atas).",
                }
            )
        elif check == "parse":
            msg = rows[0].get("message") or ""
            out.append(
                {
                    "apa": f"{len(rows)} baris tidak terbaca di kolom '{column}'{where}: {msg}",
                    "todo": "Jika berkas dibuka di Excel lalu disimpan ulang, unggah hasil unduhan aslinya.",
                }
            )
        else:
            text = pesan.get(f"{check}:{column}") or rows[0].get("message") or check
            out.append(
                {
                    "apa": f"{len(rows)} baris tertahan: {text}{where}.",
                    "todo": "Periksa ekspornya; unduh ulang dari platform jika perlu.",
                }
            )
    said = _pesan_of_why()
    for w in v.get("warnings", []):
        low = w.lower()
        if w in said:
            out.append({"apa": f"Peringatan: {said[w][0]}.", "todo": said[w][1]})
        elif "saved again in a spreadsheet" in low or "opened in a spreadsheet" in low:
            out.append(
                {
                    "apa": "Berkas sudah dibuka dan disimpan ulang di spreadsheet (Excel); tetap dibaca.",
                    "todo": "Lain kali unggah hasil unduhan dari platform apa adanya, tanpa dibuka dulu.",
                }
            )
        elif "skipped" in low:
            n = w.split(" ", 1)[0]
            out.append(
                {
                    "apa": f"{n} baris bukan postingan (misalnya baris total) dan dilewati.",
                    "todo": "Tidak perlu apa-apa.",
                }
            )
        elif "ends in the middle of a row" in low:
            out.append(
                {
                    "apa": "Berkas terpotong di tengah baris (unduhan terputus?); baris terakhir tertahan.",
                    "todo": "Unduh ulang ekspornya dan unggah lagi.",
                }
            )
        else:
            out.append({"apa": f"Catatan: {w}", "todo": ""})
    if (
        status in ("loaded", "loaded_with_quarantine")
        and v.get("lists_posts", True)
        and v.get("post_weeks") is not None
    ):
        if week not in v["post_weeks"]:
            span = v.get("post_span") or "tidak ada postingan"
            out.append(
                {
                    "apa": f"Berkas tidak memuat postingan minggu {week} ({weeks.week_label(week)}); "
                    f"postingan di berkas: {span}.",
                    "todo": "Jika kantor memang tidak memposting minggu ini, tidak apa-apa. Jika ada, ekspor "
                    f"ulang dengan rentang tanggal yang mencakup {weeks.week_label(week)}.",
                }
            )
    if (
        status in ("loaded", "loaded_with_quarantine")
        and not v.get("lists_posts", True)
        and v.get("day_weeks")
        and week not in v["day_weeks"]
    ):
        out.append(
            {
                "apa": f"Data harian di berkas ({v.get('day_span')}) tidak mencakup minggu {week} "
                f"({weeks.week_label(week)}).",
                "todo": f"Ekspor ulang dengan rentang tanggal yang mencakup {weeks.week_label(week)}.",
            }
        )
    return out


def describe(v: dict[str, Any], week: str, registered: dict[str, Any]) -> dict[str, Any]:
    """A verdict as the page shows it (plain data, JSON-safe)."""
    posts: pd.DataFrame = (
        v.get("posts") if isinstance(v.get("posts"), pd.DataFrame) else pd.DataFrame()
    )
    days: pd.DataFrame = (
        v.get("days") if isinstance(v.get("days"), pd.DataFrame) else pd.DataFrame()
    )
    post_weeks: dict[str, int] = {}
    if len(posts):
        local = pd.to_datetime(posts["published_local"])
        post_weeks = dict(sorted(Counter(weeks.week_of(d) for d in local.dropna()).items()))
        span = f"{local.min():%d-%m-%Y} s.d. {local.max():%d-%m-%Y}"
    else:
        span = None
    day_span, day_weeks = None, []
    if len(days):
        d = pd.to_datetime(days["metric_date"]).dropna()
        if len(d):
            day_span = f"{d.min():%d-%m-%Y} s.d. {d.max():%d-%m-%Y}"
            day_weeks = sorted({weeks.week_of(x) for x in d})
    captions = []
    if len(posts) and "caption" in posts:
        captions = [str(c)[:160] for c in posts["caption"].dropna().head(3)]
    out = {
        "relative_path": v["relative_path"],
        "status": v["status"],
        "reason": v.get("reason"),
        "platform": v.get("platform"),
        "export_kind": v.get("export_kind"),
        "lists_posts": v.get("lists_posts"),
        "rows_in_file": v.get("rows_in_file"),
        "rows_loaded": v.get("rows_loaded", 0),
        "rows_held": len(
            {(q.get("source_sheet"), q.get("source_row")) for q in v.get("quarantine", [])}
        ),
        "posts": int(len(posts)),
        "days": int(len(days)),
        "post_weeks": post_weeks if v.get("lists_posts") else None,
        "post_span": span,
        "day_span": day_span,
        "day_weeks": day_weeks,
        "accounts": [list(a) for a in v.get("accounts", [])],
        "warnings": list(v.get("warnings", [])),
        "quarantine": [
            {k: q.get(k) for k in ("source_row", "column_name", "check_name", "message", "value")}
            for q in v.get("quarantine", [])
        ][:200],
        "duplicate_of": v.get("duplicate_of"),
        "sha256": v.get("sha256"),
        "captions": captions,
    }
    out["problems"] = problems_of(out, week, registered)
    return out


def labels(d: dict[str, Any]) -> dict[str, Any]:
    label, tone = STATUS_LABELS.get(d["status"], (d["status"], "warn"))
    return {
        **d,
        "status_label": label,
        "tone": tone,
        "kind_label": _kind_label(d.get("export_kind")),
        "platform_label": PLATFORM_LABELS.get(d.get("platform") or "", "—"),
    }


class Checker:
    """One GX context for the portal's life (building one costs seconds), used by one
    check at a time (GX contexts are not thread-safe)."""

    def __init__(self, settings: Settings, ps: PortalSettings):
        self.settings = settings
        self.ps = ps
        self._lock = threading.Lock()
        self._validator = None

    def warm(self) -> None:
        with self._lock:
            self._ensure()

    def _ensure(self):
        if self._validator is None:
            from medsos.validate import Validator

            self._validator = Validator()
        return self._validator

    def check(
        self, entries: list[dict[str, Any]], recent_rows: dict[str, float] | None = None
    ) -> list[dict[str, Any]]:
        from medsos.pipeline import check_files

        if not entries:
            return []
        with self._lock:
            return check_files(self.settings, entries, self._ensure(), recent_rows)


def entries_of(settings: Settings, path: Path, week: str, office: str) -> list[dict[str, Any]]:
    """The manifest entries the weekly scan makes of one landing file (one per ZIP member)."""
    return [f.to_dict() for f in landing._entries(settings.landing, path, week, office, None, {})]


def folder_files(settings: Settings, week: str, office: str) -> list[tuple[Path, os.stat_result]]:
    folder = settings.landing / week / office
    if not folder.is_dir():
        return []
    return [(Path(p), st) for p, st in landing._files_under(str(folder))]


def _cache_path(ps: PortalSettings, week: str, office: str) -> Path:
    return ps.data / "verdicts" / week / f"{office}.json"


_cache_lock = threading.Lock()


def _copies_in_other_weeks(
    ps: PortalSettings, settings: Settings, week: str, office: str
) -> list[tuple[float, str, str]]:
    """(saved at, sha256, path) of the files of the office's other recent week folders
    that load, as their last verdicts say (not yet in the published copy, maybe)."""
    out = []
    for cache_file in sorted((ps.data / "verdicts").glob(f"*/{office}.json")):
        if cache_file.parent.name == week:
            continue
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for rel, entry in cache.items():
            try:
                saved_at = (settings.landing / rel).stat().st_mtime
            except OSError:
                continue  # gone from the landing zone: no longer an original
            if entry.get("stamp", "").split(":")[0] != str((settings.landing / rel).stat().st_size):
                continue
            out += [
                (saved_at, v.get("sha256") or "", v["relative_path"])
                for v in entry["items"]
                if v["status"].startswith("loaded")
            ]
    return out


def folder_verdicts(
    settings: Settings,
    ps: PortalSettings,
    checker: Checker,
    week: str,
    office: str,
    registered: dict[str, Any],
    loaded_elsewhere: dict[str, str],
    recent_rows: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The verdict on every file in the office's week folder (uploaded here or dropped on
    the share), kept per file size and time so a page view reads each file once.

    A file with the bytes of another of the office's files that loads (published, or in
    another week folder and saved before it) is a copy, set aside as the weekly run does."""
    cache_file = _cache_path(ps, week, office)
    with _cache_lock:
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}
    out, fresh, changed = [], {}, False
    seen_sha: dict[str, str] = dict(loaded_elsewhere)  # sha -> path of a loaded copy elsewhere
    others = _copies_in_other_weeks(ps, settings, week, office)
    files = sorted(folder_files(settings, week, office), key=lambda f: (f[1].st_mtime, str(f[0])))
    for path, st in files:
        for saved_at, sha, rel_other in sorted(others):
            if saved_at <= st.st_mtime:
                seen_sha.setdefault(sha, rel_other)
        rel = landing._relative(str(settings.landing), str(path))
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
        hit = cache.get(rel)
        if hit and hit.get("stamp") == stamp:
            items = hit["items"]
        else:
            checked = checker.check(entries_of(settings, path, week, office), recent_rows)
            items = [describe(v | {"sha256": v.get("sha256")}, week, registered) for v in checked]
            changed = True
        for item in items:
            item = dict(item)
            # a copy of a loaded file of the same office is set aside, as the weekly load does
            original = seen_sha.get(item.get("sha256") or "")
            if (
                item["status"].startswith("loaded")
                and original
                and original != item["relative_path"]
                and (item.get("rows_in_file") or 0) > 0
            ):
                item.update(status="duplicate", duplicate_of=original)
                item["problems"] = problems_of(item, week, registered)
            elif item["status"].startswith("loaded"):
                seen_sha.setdefault(item.get("sha256") or "", item["relative_path"])
            out.append(labels(item))
        fresh[rel] = {"stamp": stamp, "items": items}
    if changed or set(fresh) != set(cache):
        with _cache_lock:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f".{cache_file.name}.{secrets.token_hex(4)}.tmp")
            tmp.write_text(json.dumps(fresh, default=str), encoding="utf-8")
            os.replace(tmp, cache_file)
    return out


# --------------------------------------------------------------------------- audit


_audit_lock = threading.Lock()


def audit(ps: PortalSettings, **event: Any) -> None:
    """One line of JSON per upload and sign-in (who, what, when, from where), appended
    to ``<portal data>/audit.log``."""
    ps.data.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"waktu": datetime.now(UTC).isoformat(timespec="seconds"), **event},
        ensure_ascii=False,
        default=str,
    )
    with _audit_lock, open(ps.data / "audit.log", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
