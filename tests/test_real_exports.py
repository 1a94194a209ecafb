"""Every real export in tests/fixtures/real/ (downloaded by real account owners; see the
README there), dropped into a landing zone the way offices drop files and run through
``medsos run``: only the files that are no platform export are rejected, each with a
reason that says what it is; every other file loads, and every row of it is accounted
for (loaded + quarantined + repeated + skipped).

Each source account gets its own office folder and a registry entry, as a KPU office and
its registered account would. All files are delivered in 2026-W24, after the newest day
any of them shows (an Instagram daily file reaching 13 June 2026), so year-less TikTok
days take the year before that week and no post is newer than the export that lists it.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import pytest
from real_exports import REAL

from medsos.cli import main

WEEK = "2026-W24"

# source folder -> (office, platform, registered handle or None when the files name none)
SOURCES = {
    "facebook/oigetit": ("35.01", "facebook", None),
    "facebook/mh4u": ("35.02", "facebook", None),
    "facebook/vintage": ("35.03", "facebook", None),
    "instagram/oigetit": ("35.01", "instagram", "oigetit_sa"),
    "instagram/elitravelguy": ("35.04", "instagram", "elitravelguy"),
    "instagram/ginnyjtm": ("35.05", "instagram", "ginnyjtm"),
    "tiktok/htupy": ("35.06", "tiktok", "haileytupy2.0"),
    "tiktok/bosszy": ("35.07", "tiktok", "bosszy"),
    "tiktok/vintage": ("35.03", "tiktok", "vintagerest.bg"),
    "x/ropensci": ("35.08", "x", "rOpenSci"),
    "x/bankless": ("35.09", "x", "banklessDAO"),
    "x/wormhole": ("35.10", "x", "Wormhole_BR"),
    "x/koe": ("35.11", "x", "koe"),
    "youtube/dubby": ("35.12", "youtube", "dubby"),
    "youtube/ligardo": ("35.13", "youtube", "ligardo"),
}

# Files (or ZIP members) that are no platform export, with words their reason must hold.
REJECTED = {
    "x/koe/test_upload.csv": "not a known platform export",
    "facebook/mh4u/data-export.csv": "Google Analytics",
    "facebook/mh4u/data.zip::data-export.csv": "Google Analytics",
    "facebook/mh4u/data.zip::data-export.xlsx": "Google Analytics",
    "facebook/mh4u/data.zip::MH4U-Ads-Feb-11-2021-Mar-11-2024.xlsx": "Ads Manager",
    "facebook/mh4u/data.zip::Untitled-report-Apr-1-2023-to-Mar-11-2024.xlsx": "Ads Manager",
}
# Byte-identical copies within one office folder: set aside, loaded once.
DUPLICATES = {
    "instagram/oigetit/Mar-18-2025_Apr-14-2025_578982927868853.csv",
    "facebook/mh4u/data.zip::Dec-12-2023_Mar-06-2024_1032418178499222.csv",
}
# Rows quarantined on purpose: a real problem in the file, named by row and column.
QUARANTINED = {
    "youtube/dubby/Table data.csv": 2,  # two videos without a publish date
}


def _landing_path(rel: str) -> str:
    """``<week>/<office>/<platform>_<source>/<file>`` for a file of ``tests/fixtures/real``
    (an office may keep its downloads in a subfolder per platform)."""
    platform, source, name = rel.split("/", 2)
    office = SOURCES[f"{platform}/{source}"][0]
    return f"{WEEK}/{office}/{platform}_{source}/{name}"


def _real_path(landing_rel: str) -> str:
    _week, _office, folder, name = landing_rel.split("/", 3)
    platform, source = folder.split("_", 1)
    return f"{platform}/{source}/{name}"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("real")
    settings = settings_for(root)
    accounts = root / "accounts.csv"
    lines = ["office_code,platform,handle"]
    lines += [f"{o},{p},{h or 'akun_' + o}" for o, p, h in SOURCES.values()]
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = replace(settings, accounts=accounts)
    for path in sorted(REAL.rglob("*")):
        if path.is_file() and path.name != "README.md":
            rel = path.relative_to(REAL).as_posix()
            target = settings.landing / _landing_path(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    flags = ["--landing", str(settings.landing), "--warehouse", str(settings.warehouse),
             "--published", str(settings.published), "--outbox", str(settings.outbox),
             "--accounts", str(accounts)]
    assert main(["run", "--week", WEEK, *flags]) == 0
    con = duckdb.connect(str(settings.published), read_only=True)
    files = {r[0]: r[1:] for r in con.execute(
        """select relative_path, status, status_reason, export_kind, rows_in_file, rows_loaded,
                  rows_quarantined, rows_duplicate, rows_skipped from raw.files""").fetchall()}
    quarantine = con.execute("select source_file, source_row, column_name, message from raw.quarantine").fetchall()
    posts = con.execute("select platform, office_code, post_id, published_at, published_local from core.posts").fetchall()
    con.close()
    by_real = {_real_path(rel): row for rel, row in files.items()}
    return {"files": by_real, "quarantine": quarantine, "posts": posts}


def test_every_real_file_and_zip_member_has_a_manifest_row(real_run):
    on_disk = {p.relative_to(REAL).as_posix() for p in REAL.rglob("*") if p.is_file() and p.name != "README.md"}
    listed = {rel.split("::")[0] for rel in real_run["files"]}
    assert listed == on_disk


def test_only_files_that_are_no_platform_export_are_rejected_each_with_its_reason(real_run):
    files = real_run["files"]
    rejected = {rel: row[1] for rel, row in files.items() if row[0] == "rejected"}
    assert set(rejected) == set(REJECTED), rejected
    for rel, words in REJECTED.items():
        reason = rejected[rel]
        assert reason and reason.strip(), rel
        assert words in reason and rel.rsplit("/", 1)[-1].split("::")[-1] in reason, reason


def test_every_other_file_loads_and_every_row_is_accounted_for(real_run):
    for rel, (status, reason, kind, in_file, loaded, quarantined, repeated, skipped) in real_run["files"].items():
        if rel in REJECTED:
            continue
        if rel in DUPLICATES:
            assert status == "duplicate", (rel, status, reason)
            continue
        want = "loaded_with_quarantine" if rel in QUARANTINED else "loaded"
        assert status == want, (rel, status, reason)
        assert kind, rel
        assert in_file == loaded + quarantined + repeated + skipped, rel
        assert quarantined == QUARANTINED.get(rel, 0), (rel, reason)


def test_quarantined_rows_name_row_and_column(real_run):
    for source_file, row, column, message in real_run["quarantine"]:
        assert row is not None and column and message, (source_file, row, column, message)
