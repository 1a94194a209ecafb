"""The weekly build recomputes only the posts whose files changed; it must give exactly
the tables a full build gives, whatever happened to the files in between.

Each step below changes the landing zone the way offices do (a new week, a correction,
a broken correction, a withdrawn file, a copy, a file moved to another week, a
reprocess, new keywords), runs the real stages, and then compares every table in
``core`` and ``marts`` with a full build of a copy of the same warehouse.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from instagram_exports import IG_HEADER, ig_row
from instagram_exports import drop as drop_export

from medsos.config import PACKAGE_DIR
from medsos.pipeline import build_tables, load_week, new_run_id
from medsos.warehouse import build, connect


def drop(landing: Path, week: str, name: str, text: str, mtime: float) -> Path:
    return drop_export(landing, week, "35.06", name, text, mtime)


@pytest.fixture
def kediri(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "office_code,platform,handle,active_from\n35.06,instagram,kpu_kabkediri,\n", encoding="utf-8"
    )
    evaluation = tmp_path / "evaluation.toml"
    shutil.copyfile(PACKAGE_DIR / "evaluation.toml", evaluation)
    return replace(settings, accounts=accounts, evaluation=evaluation)


def tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return sorted(
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? "
            "and schema_name in ('core', 'marts')",
            [catalog],
        ).fetchall()
    )


def differences_from_a_full_build(settings, week: str, tmp_path: Path) -> dict[str, int]:
    """Rows that differ, per table, between the warehouse as built week by week and a
    full build of a copy of it."""
    copy = tmp_path / f"full-{week}.duckdb"
    shutil.copyfile(settings.warehouse, copy)
    con = connect(copy)
    try:
        build(con, settings, week, full=True)
        con.execute("attach ? as weekly (read_only)", [str(settings.warehouse)])
        catalog = con.sql("select current_database()").fetchall()[0][0]
        names = tables(con, catalog)
        assert names == tables(con, "weekly")
        out = {}
        for name in names:
            (n,) = con.sql(
                f"select count(*) from ((select * from {name} except all select * from weekly.{name}) "
                f"union all (select * from weekly.{name} except all select * from {name}))"
            ).fetchall()[0]
            if n:
                out[name] = n
        return out
    finally:
        con.close()
        copy.unlink()


def run(settings, week: str, reprocess: bool = False) -> set[str]:
    """Find, parse, validate, load and build one week; the post ids the build computed."""
    run_id = new_run_id(week, "test")
    load_week(settings, week, run_id, reprocess=reprocess)
    build_tables(settings, week, run_id)
    con = connect(settings.warehouse, read_only=True)
    try:
        return {p for (p,) in con.sql("select post_id from meta.posts_to_build").fetchall()}
    finally:
        con.close()


def test_a_weekly_build_equals_a_full_build_through_every_kind_of_change(kediri, tmp_path):
    landing = kediri.landing
    t = 1_700_000_000

    def same_as_full(week: str) -> None:
        assert differences_from_a_full_build(kediri, week, tmp_path) == {}

    # posts of an earlier week that no step touches: a build that recomputes them is full
    base = [str(n) for n in range(901, 911)]
    drop(landing, "2024-W05", "ig.csv", IG_HEADER + "".join(ig_row(n, "01/30/2024 09:00") for n in base), t - 100)
    first = drop(landing, "2024-W07", "ig.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"), t)
    assert run(kediri, "2024-W07") == {"11", *base}  # the first build is a full one
    same_as_full("2024-W07")

    # a correction saved later replaces the first export: posts of both files change
    fix = drop(landing, "2024-W07", "fix.csv",
               IG_HEADER + ig_row("11", "02/13/2024 09:00", likes=9) + ig_row("12", "02/14/2024 09:00"), t + 100)
    assert run(kediri, "2024-W07") == {"11", "12"}
    same_as_full("2024-W07")

    # next week: only the new week's posts are computed again, post 11 is left alone
    drop(landing, "2024-W08", "ig.csv",
         IG_HEADER + ig_row("12", "02/14/2024 09:00", likes=20) + ig_row("13", "02/20/2024 09:00"), t + 200)
    assert run(kediri, "2024-W08") == {"12", "13"}
    same_as_full("2024-W08")

    # nothing changed: nothing to compute
    assert run(kediri, "2024-W08") == set()
    same_as_full("2024-W08")

    # the export is downloaded again over the same file, with newer numbers
    drop(landing, "2024-W08", "ig.csv",
         IG_HEADER + ig_row("12", "02/14/2024 09:00", likes=25) + ig_row("13", "02/20/2024 09:00"), t + 250)
    assert run(kediri, "2024-W08") == {"12", "13"}
    same_as_full("2024-W08")

    # the correction turns out broken (rejected): the first export is in force again
    fix.write_text(IG_HEADER + ig_row("11", "02/13/2024 09:00", likes="banyak"), encoding="utf-8")
    os.utime(fix, (t + 300, t + 300))
    assert run(kediri, "2024-W08") == {"11", "12"}
    same_as_full("2024-W08")

    # the broken correction is taken away, and the first export too
    fix.unlink()
    first.unlink()
    run(kediri, "2024-W08")
    same_as_full("2024-W08")

    # a copy of next week's export dropped twice, then the original moved to another week
    w08 = landing / "2024-W08" / "35.06" / "ig.csv"
    shutil.copyfile(w08, landing / "2024-W08" / "35.06" / "ig (1).csv")
    run(kediri, "2024-W08")
    same_as_full("2024-W08")
    (landing / "2024-W09" / "35.06").mkdir(parents=True)
    shutil.move(w08, landing / "2024-W09" / "35.06" / "ig_dari_w08.csv")
    run(kediri, "2024-W09")
    same_as_full("2024-W09")

    # everything read again: every post changed, so the build is a full one
    assert run(kediri, "2024-W09", reprocess=True) == {"12", "13", *base}
    same_as_full("2024-W09")

    # new keywords: what was computed for each post may be stale, so the build is full
    # (a keyword no category had: "sosialisasi" is an activity word of its own now)
    drop(landing, "2024-W09", "ig.csv", IG_HEADER + ig_row("14", "02/27/2024 09:00", caption="Cerita dari desa"), t + 400)
    text = kediri.evaluation.read_text(encoding="utf-8")
    kediri.evaluation.write_text(text.replace('edukasi = [', 'edukasi = [\n  "cerita dari desa",', 1), encoding="utf-8")
    computed = run(kediri, "2024-W09")
    assert computed == {"12", "13", "14", *base}  # every post, not only the new one
    same_as_full("2024-W09")
    con = connect(kediri.warehouse, read_only=True)
    try:
        assert con.sql("select content_category from core.posts where post_id = '14'").fetchall() == [("edukasi",)]
    finally:
        con.close()


def computed(settings, table: str) -> int:
    con = connect(settings.warehouse, read_only=True)
    try:
        return con.sql(f"select count(*) from {table}").fetchall()[0][0]
    finally:
        con.close()


def test_the_weekly_tables_equal_a_full_build_week_by_week_on_every_platform(settings, tmp_path):
    """The Jawa Timur sample (every platform, follower histories, overlapping export
    windows) week by week; then follower exports withdrawn and downloaded again."""
    from medsos.sample import build_plan, write_sample

    plan = build_plan()
    write_sample(settings.landing, plan)
    for week in plan.weeks:
        run(settings, week)
        assert differences_from_a_full_build(settings, week, tmp_path) == {}, week
    last = plan.weeks[-1]
    # the last week's build recomputed its own week's posting, and the engagement of the
    # weeks whose posts the exports showed again (YouTube lists every video), not all
    con = connect(settings.warehouse, read_only=True)
    try:
        weeks_built = sorted(w for (w,) in con.sql("select iso_week from meta.weeks_to_build").fetchall())
        engagement_built = sorted(
            w for (w,) in con.sql("select iso_week from meta.engagement_weeks_to_build").fetchall()
        )
        days_built, all_days = con.sql(
            "select (select count(*) from meta.days_to_build), (select count(*) from core.account_daily)"
        ).fetchall()[0]
        followers = [
            (week, path) for week, path in con.sql(
                """select delivery_week, source_file from core.files_in_force
                   where source_file in (select source_file from raw.account_daily)
                   order by delivery_week, source_file"""
            ).fetchall()
        ]
    finally:
        con.close()
    assert weeks_built == plan.weeks[-1:]
    assert plan.weeks[-2:] == engagement_built[-2:] and len(engagement_built) < len(plan.weeks)
    assert 0 < days_built < all_days / 2
    assert {w for w, _ in followers} >= {plan.weeks[0], plan.weeks[3]}

    # an early follower export withdrawn: its days lose it, and so do the weeks after
    first = next(p for w, p in followers if w == plan.weeks[0])
    (settings.landing / first).unlink()
    run(settings, last)
    assert differences_from_a_full_build(settings, last, tmp_path) == {}
    assert computed(settings, "meta.weeks_to_build") == len(plan.weeks)  # a delivery of the first week

    # a middle week's follower export downloaded again with other bytes (loaded again)
    middle = settings.landing / next(p for w, p in followers if w == plan.weeks[3])
    middle.write_bytes(middle.read_bytes() + b"\n")
    os.utime(middle, (middle.stat().st_mtime + 60,) * 2)
    run(settings, last)
    assert differences_from_a_full_build(settings, last, tmp_path) == {}
    assert 0 < computed(settings, "meta.engagement_weeks_to_build") < len(plan.weeks)


def test_a_change_to_the_registry_makes_the_build_full(kediri, tmp_path):
    t = 1_700_000_000
    base = [str(n) for n in range(901, 911)]
    drop(kediri.landing, "2024-W05", "ig.csv", IG_HEADER + "".join(ig_row(n, "01/30/2024 09:00") for n in base), t)
    drop(kediri.landing, "2024-W08", "ig.csv", IG_HEADER + ig_row("12", "02/20/2024 09:00"), t + 100)
    run(kediri, "2024-W07")
    assert run(kediri, "2024-W08") == {"12"}
    assert computed(kediri, "meta.weeks_to_build") == 1  # only the new week
    # the account was opened in week 8: the weeks before are no longer evaluated for it
    kediri.accounts.write_text(
        "office_code,platform,handle,active_from\n35.06,instagram,kpu_kabkediri,2024-02-19\n", encoding="utf-8"
    )
    assert run(kediri, "2024-W08") == {"12", *base}
    assert computed(kediri, "meta.weeks_to_build") == 4  # 2024-W05 to 2024-W08
    assert differences_from_a_full_build(kediri, "2024-W08", tmp_path) == {}
    # weeks 5 to 7 are reported with no account to evaluate (no rows): they are not
    # taken for new weeks on every run after
    assert run(kediri, "2024-W08") == set()
    assert computed(kediri, "meta.weeks_to_build") == 0
    drop(kediri.landing, "2024-W09", "ig.csv", IG_HEADER + ig_row("13", "02/27/2024 09:00"), t + 200)
    run(kediri, "2024-W09")
    assert computed(kediri, "meta.weeks_to_build") == 1
    assert differences_from_a_full_build(kediri, "2024-W09", tmp_path) == {}


def test_a_change_that_reaches_back_recomputes_the_weeks_it_reaches(kediri, tmp_path):
    """A later export can move a post to another week, or restate follower counts of
    earlier days; the weeks they reach back to, and those after them, are recomputed."""
    t = 1_700_000_000
    kediri.accounts.write_text(
        "office_code,platform,handle,active_from\n35.06,instagram,kpu_kabkediri,\n35.06,tiktok,kpukediri,\n",
        encoding="utf-8",
    )

    def followers(week: str, first_day: int, days: int, count: int, mtime: float) -> None:
        rows = "".join(f'"2024/02/{first_day + d:02d}","{count + d}","1"\n' for d in range(days))
        drop(kediri.landing, week, "followers.csv",
             '"Date","Followers","Difference in followers from previous day"\n' + rows, mtime)

    base = [str(n) for n in range(901, 911)]
    drop(kediri.landing, "2024-W05", "ig.csv", IG_HEADER + "".join(ig_row(n, "01/30/2024 09:00") for n in base), t)
    followers("2024-W06", 1, 11, 1000, t)  # 1 to 11 February: weeks 5 and 6
    drop(kediri.landing, "2024-W07", "ig.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"), t + 100)
    for week in ("2024-W06", "2024-W07"):
        run(kediri, week)
    drop(kediri.landing, "2024-W08", "ig.csv", IG_HEADER + ig_row("12", "02/20/2024 09:00"), t + 200)
    run(kediri, "2024-W08")
    assert computed(kediri, "meta.weeks_to_build") == 1
    assert differences_from_a_full_build(kediri, "2024-W08", tmp_path) == {}

    # next week's export shows post 11 published a week later (a time zone fixed): week 7
    # loses it although nothing was delivered for week 7
    drop(kediri.landing, "2024-W09", "ig.csv",
         IG_HEADER + ig_row("11", "02/20/2024 10:00") + ig_row("13", "02/27/2024 09:00"), t + 300)
    assert run(kediri, "2024-W09") == {"11", "13"}
    assert computed(kediri, "meta.weeks_to_build") == 3  # weeks 7, 8 and 9
    assert computed(kediri, "meta.engagement_weeks_to_build") == 3
    assert differences_from_a_full_build(kediri, "2024-W09", tmp_path) == {}

    # a follower history delivered in week 9 restates 1 to 25 February: the followers of
    # weeks 5 to 9 change, their posting does not
    followers("2024-W09", 1, 25, 2000, t + 400)
    run(kediri, "2024-W09")
    assert computed(kediri, "meta.engagement_weeks_to_build") == 5
    assert computed(kediri, "meta.weeks_to_build") == 1  # the delivery week
    assert differences_from_a_full_build(kediri, "2024-W09", tmp_path) == {}

    # the week's export downloaded again, now also listing a post from 2019 (before the
    # calendar and the reported weeks): the last post before every reported week changes
    drop(kediri.landing, "2024-W09", "ig.csv",
         IG_HEADER + ig_row("11", "02/20/2024 10:00") + ig_row("13", "02/27/2024 09:00")
         + ig_row("7", "06/03/2019 09:00"), t + 500)
    assert run(kediri, "2024-W09") == {"7", "11", "13"}
    assert computed(kediri, "meta.weeks_to_build") == 5
    assert differences_from_a_full_build(kediri, "2024-W09", tmp_path) == {}


def test_a_weekly_build_sees_the_last_post_from_long_before_its_window(kediri, tmp_path):
    """A weekly build reads the posts of the 13 weeks it looks back on and, before them,
    each account's last post day (marts.office_rolling): an account quiet for months
    still gets its gap and its last post, as a full build gives them."""
    t = 1_700_000_000
    old = "".join(ig_row(str(n), f"01/{d:02d}/2024 09:00") for n, d in ((501, 2), (502, 9)))
    drop(kediri.landing, "2024-W02", "ig.csv", IG_HEADER + old, t)
    run(kediri, "2024-W02")
    run(kediri, "2024-W19")  # the weeks up to 19 reported, without a post
    drop(kediri.landing, "2024-W20", "ig.csv", IG_HEADER + ig_row("503", "05/15/2024 09:00"), t + 100)
    run(kediri, "2024-W20")
    assert computed(kediri, "meta.weeks_to_build") <= 2  # a weekly build, not a full one
    assert differences_from_a_full_build(kediri, "2024-W20", tmp_path) == {}
    with duckdb.connect(str(kediri.warehouse), read_only=True) as con:
        ((gap, last),) = con.sql(
            """select longest_gap_days_13w, last_post_date from marts.office_rolling
               where platform = 'instagram' and iso_week = '2024-W20'"""
        ).fetchall()
    # the gap that ends on 15 May starts on 9 January, 18 weeks before the week
    assert str(last) == "2024-05-15" and gap == (date(2024, 5, 15) - date(2024, 1, 9)).days


def test_lines_for_incremental_builds_only_narrow_to_the_keys_to_build():
    # a full build leaves out the lines marked "-- incremental only": safe only if each is
    # a semi join on the keys to build, which in a full build are every key
    from medsos.warehouse import INCREMENTAL_ONLY, models

    marked = {}
    for model in models():
        text = [ln.strip() for ln in model.sql(full=False).splitlines()]
        lines = [ln for ln in text if ln.endswith(INCREMENTAL_ONLY)]
        for line in lines:
            by_id = re.fullmatch(
                r"and rowid in \(select rowid from ([\w.]+) semi join \w+_to_build using \([\w, ]+\)\)\s+"
                + INCREMENTAL_ONLY,
                line,
            )
            # a semi join on the keys, or the rows of the table read picked by row id from one
            if by_id:
                before = text[: text.index(line)]
                source = [ln for ln in before if ln.startswith("from ")][-1]
                assert source == f"from {by_id.group(1)}", (line, source)
            else:
                assert re.fullmatch(r"semi join \w+_to_build using \([\w, ]+\)\s+" + INCREMENTAL_ONLY, line), line
            assert model.incremental, model.name
        if lines:
            marked[model.name] = len(lines)
            assert INCREMENTAL_ONLY not in model.sql(full=True)
            assert "_to_build" in model.sql(full=True)  # the CTE may stay; it is not joined
    assert marked == {"post_snapshots": 2, "posts": 2}
