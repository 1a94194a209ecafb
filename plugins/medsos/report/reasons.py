"""Why a file was not loaded, said in Indonesian to the people who sent it.

The pipeline records its reasons in ``raw.files.status_reason`` in English, for the data
team and the task logs. The weekly email and the workbook are read by provincial staff
and office admins, so each known reason is said here in plain Indonesian with what to do
about it; a reason nobody foresaw keeps its technical text after a plain sentence, so
nothing is hidden.

A file in a misnamed office folder (``3507``, ``Kab Malang``, ``35.7``) names no office;
``likely_office`` places it by the office the folder name most likely means, so the
province that office belongs to sees the file in its own email.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from medsos.validate import expectations_dir, load_suite_json

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

SEND_ORIGINAL = (
    "kirim berkas asli hasil unduhan dari platform, tanpa dibuka dan disimpan ulang di Excel"
)


def _rules() -> list[Rule]:
    r = re.compile
    return [
        (
            r(r"folder '(?P<f>[^']*)' (?:is not an office code|names no KPU office)"),
            lambda m: (
                f"nama folder '{m['f']}' bukan kode kantor KPU (contoh: 35.07); berkas tidak dimuat"
            ),
        ),
        (
            r(r"the folder '(?P<f>[^']*)' is not an ISO week"),
            lambda m: (
                f"folder '{m['f']}' bukan nama minggu (contoh: 2024-W07); pindahkan berkas ke folder minggu yang benar"
            ),
        ),
        (
            r(r"a file at the top of the landing zone"),
            lambda m: (
                "berkas diletakkan di luar folder minggu; taruh di <minggu>/<kode kantor>/, misalnya 2024-W07/35.07/"
            ),
        ),
        (
            r(r"a file directly in the week folder"),
            lambda m: (
                "berkas diletakkan langsung di folder minggu; taruh di folder kantornya, misalnya 2024-W07/35.07/"
            ),
        ),
        (
            r(r"(?P<mb>\d+) MB is far larger than an export"),
            lambda m: (
                f"berkas {m['mb']} MB, jauh lebih besar dari ekspor satu kantor untuk satu minggu; ekspor rentang tanggal yang lebih pendek"
            ),
        ),
        (
            r(r"'(?P<leaf>[^']*)' inside the ZIP is not a platform export"),
            lambda m: (
                f"'{m['leaf']}' di dalam ZIP bukan berkas ekspor platform (yang diharapkan: berkas CSV atau XLSX dari unduhan platform)"
            ),
        ),
        (
            r(r"the ZIP file is empty"),
            lambda m: "berkas ZIP kosong; unduh ulang ekspor dari platform",
        ),
        (
            r(r"a damaged or protected ZIP file"),
            lambda m: "berkas ZIP rusak atau dikunci kata sandi; unduh ulang ekspor dari platform",
        ),
        (
            r(r"binary content, not a CSV or XLSX export"),
            lambda m: (
                "isinya bukan CSV atau XLSX (misalnya foto, PDF atau dokumen lain); kirim berkas ekspor dari menu analitik platform"
            ),
        ),
        (
            r(r"not text in UTF-8, UTF-16 or Windows-1252|a UTF-16 file with an undecodable part"),
            lambda m: f"isi berkas bukan teks yang terbaca; {SEND_ORIGINAL}",
        ),
        (
            r(r"a wrapped line that does not hold one row"),
            lambda m: (
                f"berkas disimpan ulang oleh program spreadsheet dan barisnya rusak; {SEND_ORIGINAL}"
            ),
        ),
        (
            r(r"unreadable CSV near line (?P<n>\d+)"),
            lambda m: f"CSV tidak terbaca di sekitar baris {m['n']}; {SEND_ORIGINAL}",
        ),
        (r(r"empty file"), lambda m: "berkas kosong; unduh ulang ekspor dari platform"),
        (
            r(r"not a readable XLSX workbook"),
            lambda m: (
                "bukan buku kerja Excel yang terbaca (rusak atau dikunci kata sandi); unduh ulang ekspor dari platform"
            ),
        ),
        (
            r(r"workbook has no sheet with a header row"),
            lambda m: (
                "buku kerja tanpa lembar yang berisi judul kolom; unduh ulang ekspor dari platform"
            ),
        ),
        (
            r(r"a Meta Ads Manager report"),
            lambda m: (
                "ini laporan Meta Ads Manager (biaya iklan berbayar), bukan ekspor akun kantor; berkas ini tidak diperlukan"
            ),
        ),
        (
            r(r"a Google Analytics report"),
            lambda m: (
                "ini laporan Google Analytics (kunjungan situs web), bukan ekspor media sosial; berkas ini tidak diperlukan"
            ),
        ),
        (
            r(r"not a known platform export"),
            lambda m: (
                "judul kolomnya tidak cocok dengan ekspor Instagram, Facebook, X, YouTube atau TikTok yang dikenal medsos; "
                "kirim ekspor konten dari menu analitik platform" + _resaved(m.string)
            ),
        ),
        (
            r(r"headers fit several exports"),
            lambda m: (
                "judul kolomnya cocok dengan lebih dari satu jenis ekspor; kirim berkas ini ke tim data"
            ),
        ),
        (
            r(r"without the column\(s\) (?P<cols>.+?)(?:$|;)"),
            lambda m: (
                f"kolom {m['cols']} tidak ada di berkas; unduh ulang ekspor lengkap dari platform"
            ),
        ),
        (
            r(r"the pull did not finish"),
            lambda m: (
                "penarikan data lewat API tidak selesai; penarikan berikutnya akan mengulanginya"
            ),
        ),
        (
            r(
                r"is not JSON|JSON lines file is not UTF-8|not a pull record|the response is not a JSON object"
            ),
            lambda m: "berkas hasil penarikan API rusak; kirim ke tim data",
        ),
        (
            r(r"could not be read \("),
            lambda m: (
                "tidak dapat dibaca karena kesalahan yang tidak terduga; berkas disisihkan, kirim ke tim data"
            ),
        ),
    ]


def _resaved(text: str) -> str:
    return (
        " (berkas ini tampaknya sudah disimpan ulang oleh program spreadsheet)"
        if "re-saved" in text
        else ""
    )


@lru_cache(maxsize=1)
def _compiled() -> tuple[list[Rule], dict[str, str]]:
    # The file-level checks' reasons are their 'why' (English); each has a 'pesan'.
    why_to_pesan = {}
    for path in sorted(expectations_dir().glob("*.json")):
        for e in load_suite_json(path.stem)["expectations"]:
            meta = e.get("meta", {})
            if meta.get("why") and meta.get("pesan"):
                why_to_pesan[meta["why"]] = meta["pesan"]
    return _rules(), why_to_pesan


def explain(reason: str | None, path: str = "") -> str:
    """The Indonesian reason for one file's ``status_reason`` (the path not repeated)."""
    text = reason or ""
    while path and text.startswith(f"{path}: "):
        text = text[len(path) + 2 :]
    rules, why_to_pesan = _compiled()
    said = []
    for part in [p.strip() for p in text.split("; ") if p.strip()] or [""]:
        if part in why_to_pesan:
            said.append(why_to_pesan[part])
            continue
        for pattern, say in rules:
            m = pattern.search(part)
            if m:
                said.append(say(m))
                break
        else:
            if part:
                said.append(f"tidak dapat dimuat (keterangan teknis: {part})")
    # one reason once, even when two checks said the same thing
    return "; ".join(dict.fromkeys(said)) or "tidak dapat dimuat"


@dataclass(frozen=True)
class Office:
    office_code: str
    office_name: str
    province_code: str


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


# words that do not tell offices apart ("KPU Kabupaten Malang" vs "kab malang")
NAME_NOISE = {
    "kpu",
    "kip",
    "komisi",
    "pemilihan",
    "umum",
    "independen",
    "kantor",
    "provinsi",
    "prov",
}
LEVEL_WORDS = {"kabupaten": "kabupaten", "kab": "kabupaten", "kota": "kota", "kot": "kota"}


def _name_key(name: str) -> tuple[str | None, str]:
    words = [w for w in _norm(name).split() if w not in NAME_NOISE]
    level = next((LEVEL_WORDS[w] for w in words if w in LEVEL_WORDS), None)
    rest = " ".join(w for w in words if w not in LEVEL_WORDS and not w.isdigit())
    return level, rest


def likely_office(folder: str, offices: Iterable[Office]) -> Office | None:
    """The office a misnamed folder most likely means, or None when nothing is close.

    Digits first: ``3507``, ``35-07``, ``35_7``, ``35.7`` and ``35.07 Kab Malang`` all mean
    35.07 when that office exists. Otherwise the words: ``Kab Malang``, ``kpu kota batu``,
    ``Malang`` (only when one office has that name) are matched against office names."""
    offices = list(offices)
    by_code = {o.office_code: o for o in offices}
    digits = re.match(r"^\s*(\d{2})[.\-_ ]?(\d{1,2})(?!\d)", folder)
    if digits:
        code = f"{digits[1]}.{int(digits[2]):02d}"
        if code in by_code:
            return by_code[code]
    if re.fullmatch(r"\s*(\d{2})\s*", folder) and f"{folder.strip()}.00" in by_code:
        return by_code[f"{folder.strip()}.00"]
    level, rest = _name_key(folder)
    if not rest:
        return None
    keys = {o.office_code: _name_key(o.office_name) for o in offices}
    candidates = [
        o
        for o in offices
        if keys[o.office_code][1] == rest and (level is None or keys[o.office_code][0] == level)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        return None  # 'Malang' alone: the regency or the city, cannot tell
    names = {
        keys[o.office_code][1]: o
        for o in offices
        if level is None or keys[o.office_code][0] == level
    }
    close = difflib.get_close_matches(rest, list(names), n=2, cutoff=0.85)
    if len(close) == 1 or (
        len(close) == 2
        and difflib.SequenceMatcher(None, rest, close[0]).ratio()
        > difflib.SequenceMatcher(None, rest, close[1]).ratio() + 0.05
    ):
        match = names[close[0]]
        same_name = [o for o in offices if keys[o.office_code][1] == keys[match.office_code][1]]
        return match if len(same_name) == 1 or level is not None else None
    return None


def office_folder(relative_path: str) -> str | None:
    """The office folder's name of a landing path ``<week>/<office folder>/<file>``."""
    parts = relative_path.split("/")
    return parts[1] if len(parts) >= 3 else None
