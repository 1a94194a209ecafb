"""Several exports of the same kind, office and week: nothing an office sent is lost.

An office folder often holds more than one export of a kind: the full export and, saved
later, a copy cut short by an interrupted download (`Copy of …`), a re-export of a shorter
date range, the same export re-saved in UTF-16, the same bytes under another name, a copy
with one damaged row. Every post any of them lists counts, with the numbers of its latest
snapshot (the export saved later wins for the posts it has); a post leaves the tables only
when every file that listed it leaves the landing zone.

The landing zones here are the real sample exports (every platform) of three Jawa Timur
offices, each test against a run on the full exports alone.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from test_incremental_build import differences_from_a_full_build

from medsos.config import PACKAGE_DIR
from medsos.parsers.base import CUT_ROW
from medsos.pipeline import build_tables, load_week, new_run_id, run_week
from medsos.sample import build_plan, write_sample

WEEK = "2024-W07"
OFFICES = ("35.05", "35.25", "35.76")  # two posts or more in every CSV export
SAVED = 1_708_300_000  # when the full exports were saved (Mon 19 Feb 2024); the copies after
COUNT_COLUMNS = ("Likes", "Suka", "Reactions", "Impressions", "Views", "Tayangan", "Penayangan")


@pytest.fixture(scope="module")
def full_exports(tmp_path_factory):
    """The sample's exports for WEEK of OFFICES, saved at SAVED; and the registry."""
    root = tmp_path_factory.mktemp("overlap")
    lines = (PACKAGE_DIR / "data" / "accounts_jatim_sample.csv").read_text(encoding="utf-8").splitlines()
    accounts = root / "accounts.csv"
    accounts.write_text("\n".join([lines[0], *(x for x in lines[1:] if x.split(",")[0] in OFFICES)]) + "\n",
                        encoding="utf-8")
    landing = root / "full"
    write_sample(landing, build_plan(WEEK, WEEK, accounts_path=accounts))
    for path in landing.rglob("*"):
        if path.is_file():
            os.utime(path, (SAVED, SAVED))
    return landing, accounts


def landing_zone(full_exports, settings_for, folder: Path):
    landing, accounts = full_exports
    settings = replace(settings_for(folder), accounts=accounts)
    shutil.copytree(landing, settings.landing, copy_function=shutil.copy2)
    return settings


def exports(settings, suffix: str) -> list[Path]:
    return sorted(p for p in settings.landing.rglob(f"*{suffix}") if p.is_file())


def rel(settings, path: Path) -> str:
    return path.relative_to(settings.landing).as_posix()


def save(path: Path, data: bytes, at: int) -> Path:
    path.write_bytes(data)
    os.utime(path, (at, at))
    return path


def rows_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return table[0], table[1:]


def as_csv(header: list[str], rows: list[list[str]], bom: bool = True) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")


def cut_mid_row(data: bytes) -> bytes:
    """Two thirds of the bytes, as a download interrupted there leaves them (moved back
    a few bytes when two thirds falls just after a line break, so a row is cut)."""
    n = len(data) * 2 // 3
    while data[n - 1:n] in (b"\n", b"\r"):
        n -= 3
    return data[:n]


def add_copies(settings, full: Path) -> dict[str, str]:
    """Next to the export ``full`` (a CSV listing posts), five copies saved after it;
    returns {relative path: what it is}."""
    data = full.read_bytes()
    header, rows = rows_of(data)
    bom = data.startswith(b"\xef\xbb\xbf")
    first = 1 if rows and rows[0][0] == "Total" else 0  # YouTube's Total row stays on top
    stem, suffix = full.stem, full.suffix
    bad = [list(r) for r in rows]
    middle = first + (len(rows) - first) // 2
    column = next(header.index(c) for c in COUNT_COLUMNS if c in header)
    bad[middle][column] = "banyak"
    copies = {
        save(full.with_name(f"Copy of {full.name}"), cut_mid_row(data), SAVED + 100): "cut short",
        save(full.with_name(f"{stem}_last_days{suffix}"),
             as_csv(header, rows[: first + (len(rows) - first) // 2], bom), SAVED + 200): "shorter date range",
        save(full.with_name(f"{stem} (utf16){suffix}"),
             data.decode("utf-8-sig").encode("utf-16"), SAVED + 300): "utf-16",
        save(full.with_name(f"{stem} (1){suffix}"), data, SAVED + 400): "exact copy",
        save(full.with_name(f"{stem}_fixed{suffix}"), as_csv(header, bad, bom), SAVED + 500): "one bad row",
    }
    return {rel(settings, p): what for p, what in copies.items()}


def weekly_tables(path: Path) -> dict[str, list]:
    """Every weekly table, and each post's numbers (without which file gave them)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        marts = [f"marts.{t}" for (t,) in con.sql(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
        out = {t: con.sql(f"select * from {t} order by all").fetchall() for t in marts}
        out["core.posts"] = con.sql(
            "select * exclude (source_file, source_sheet, source_row, run_id, snapshots_seen) "
            "from core.posts order by all").fetchall()
        return out
    finally:
        con.close()


def posts_per_account(path: Path) -> dict[tuple[str, str], int | None]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {(o, p): n for o, p, n in con.execute(
            "select office_code, platform, posts from marts.weekly_cadence where iso_week = ?", [WEEK]).fetchall()}
    finally:
        con.close()


def manifest(settings) -> dict[str, tuple]:
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.sql(
            "select relative_path, status, status_reason, encoding, duplicate_of, overlap, overlap_file, "
            "rows_loaded, rows_quarantined from raw.files").fetchall()}
    finally:
        con.close()


def test_copies_of_an_export_leave_the_weekly_tables_as_the_full_exports_give_them(full_exports, settings_for,
                                                                                   tmp_path):
    baseline = landing_zone(full_exports, settings_for, tmp_path / "baseline")
    run_week(baseline, WEEK, send=False)

    messy = landing_zone(full_exports, settings_for, tmp_path / "messy")
    copies: dict[str, tuple[str, str]] = {}  # copy -> (what, the full export)
    facebook = next(p for p in exports(messy, ".csv") if "/35.25/" in str(p) and "Page ID" in p.read_text("utf-8-sig"))
    for full in exports(messy, ".csv"):
        for path, what in add_copies(messy, full).items():
            copies[path] = (what, rel(messy, full))
    # a re-export of a date range without posts, saved last (35.25's Facebook week)
    empty = save(facebook.with_name("Feb-17-2024_Feb-18-2024_no_posts.csv"),
                 facebook.read_bytes().split(b"\n", 1)[0] + b"\n", SAVED + 600)
    # a TikTok workbook cut short: not a readable workbook, rejected whole
    for workbook in exports(messy, ".xlsx"):
        cut = save(workbook.with_name(f"Copy of {workbook.name}"), cut_mid_row(workbook.read_bytes()), SAVED + 100)
        copies[rel(messy, cut)] = ("cut workbook", rel(messy, workbook))
    assert len(copies) == 3 * 4 * 5 + 3
    run_week(messy, WEEK, send=False)

    assert weekly_tables(messy.published) == weekly_tables(baseline.published)
    counts = posts_per_account(messy.published)
    assert counts == posts_per_account(baseline.published)
    assert sum(n or 0 for n in counts.values()) > 40

    # the zone is one where the old rule (only the export saved last is in force) loses
    # posts: Gresik's Facebook week would have none, and each week with a bad-row copy one
    # post fewer (47 posts, 35 under the old rule, measured on the code before #19)
    con = duckdb.connect(str(messy.published), read_only=True)
    try:
        last_saved_only = dict(con.execute(
            """select office_code || ' ' || platform, count(distinct post_id) from core.post_snapshots
               where iso_week = ? and source_file in (select source_file from core.files_in_force
                                                      where saved_order = 1 and lists_posts)
               group by all""", [WEEK]).fetchall())
    finally:
        con.close()
    assert "35.25 facebook" not in last_saved_only and counts[("35.25", "facebook")] == 5
    assert (sum(last_saved_only.values()), sum(n or 0 for n in counts.values())) == (35, 47)

    files = manifest(messy)
    for path, (what, full) in copies.items():
        status, reason, encoding, duplicate_of, overlap, overlap_file, loaded, quarantined = files[path]
        full_loaded = files[full][6]
        match what:
            case "cut short":
                # (a copy cut inside its first row has nothing usable: rejected, with the reason)
                assert status in ("loaded_with_quarantine", "rejected") and CUT_ROW in reason, (path, reason)
                if status == "loaded_with_quarantine":
                    assert overlap_file == full and overlap.startswith(
                        f"{loaded} of the {full_loaded} posts of {full}, saved later: cut short (its last row is in "
                        f"raw.quarantine); the posts only {full} lists ({full_loaded - loaded}) keep their numbers "
                        "from it"), overlap
            case "shorter date range":
                assert status == "loaded" and 0 < loaded < full_loaded
                assert overlap == (f"{loaded} of the {full_loaded} posts of {full}, saved later: a part of it (a "
                                   f"shorter date range, or a copy cut at the end of a row); the posts only {full} lists "
                                   f"({full_loaded - loaded}) keep their numbers from it, with the same numbers")
            case "utf-16":
                assert (status, encoding, loaded) == ("loaded", "utf-16", full_loaded)
                assert overlap.startswith(f"the same {loaded} posts as {full}, with the same numbers; read as utf-16")
            case "exact copy":
                assert (status, duplicate_of) == ("duplicate", full)
                assert reason == f"same content as {full}; loaded once"
            case "one bad row":
                assert (status, loaded, quarantined) == ("loaded_with_quarantine", full_loaded - 1, 1)
                assert overlap == (f"{loaded} of the {full_loaded} posts of {full}, saved later; its other rows "
                                   f"are in raw.quarantine, so those posts keep their numbers from {full}, "
                                   "with the same numbers")
            case "cut workbook":
                assert status == "rejected" and "not a readable XLSX workbook" in reason, reason
    assert files[rel(messy, empty)][0] == "loaded" and files[rel(messy, empty)][4] == (
        "lists nothing; what the other exports of its kind, office and week list counts as it is")

    # every cut row is in quarantine, named by file and row, with the reason
    con = duckdb.connect(str(messy.published), read_only=True)
    try:
        cut_rows = con.sql("select source_file, source_row, column_name from raw.quarantine "
                           f"where message = '{CUT_ROW}'").fetchall()
    finally:
        con.close()
    cut_copies = {p for p, (what, _) in copies.items() if what == "cut short"}
    assert {f for f, _, _ in cut_rows} == cut_copies
    assert all(row > 1 and column for _, row, column in cut_rows)


def run(settings, week: str = WEEK) -> None:
    run_id = new_run_id(week, "test")
    load_week(settings, week, run_id)
    build_tables(settings, week, run_id)


def instagram_posts(settings, office: str) -> set[str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return {p for (p,) in con.execute(
            "select post_id from core.posts where platform = 'instagram' and office_code = ?", [office]).fetchall()}
    finally:
        con.close()


def test_a_post_leaves_only_with_the_last_file_that_listed_it_and_comes_back_with_it(full_exports, settings_for,
                                                                                      tmp_path):
    settings = landing_zone(full_exports, settings_for, tmp_path / "w")
    full = next(p for p in exports(settings, ".csv") if "/35.76/" in str(p) and "Account username" in p.read_text("utf-8-sig"))
    data = full.read_bytes()
    header, rows = rows_of(data)
    run(settings)
    everything = instagram_posts(settings, "35.76")
    assert len(everything) == len(rows) >= 4

    # saved later: a copy cut short and a re-export of the last days
    save(full.with_name(f"Copy of {full.name}"), cut_mid_row(data), SAVED + 100)
    save(full.with_name("last_days.csv"), as_csv(header, rows[:2]), SAVED + 200)
    run(settings)
    assert instagram_posts(settings, "35.76") == everything
    assert differences_from_a_full_build(settings, WEEK, tmp_path) == {}
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        in_copies = {p for (p,) in con.execute(
            "select distinct post_id from raw.post_snapshots where platform = 'instagram' "
            "and office_code = '35.76' and source_file <> ?", [rel(settings, full)]).fetchall()}
    finally:
        con.close()
    assert 2 <= len(in_copies) < len(everything)

    # the full export taken out of the landing zone: the posts only it listed leave
    aside = tmp_path / "aside.csv"
    shutil.move(full, aside)
    run(settings)
    assert instagram_posts(settings, "35.76") == in_copies
    assert differences_from_a_full_build(settings, WEEK, tmp_path) == {}

    # and put back: they come back
    shutil.move(aside, full)
    run(settings)
    assert instagram_posts(settings, "35.76") == everything
    assert differences_from_a_full_build(settings, WEEK, tmp_path) == {}
