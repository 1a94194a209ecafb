"""Golden tests on a small hand-made dataset with hand-computed answers.

Offices: KPU Kabupaten Mimika (94.01, Papua Tengah, WIT = UTC+9), KPU Kabupaten Kediri
(35.06, WIB) and KPU Kabupaten Malang (35.07, WIB), each with one Instagram account.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest
from instagram_exports import meta_time

from medsos.pipeline import run_week

HEADER = (
    "Post ID,Account ID,Account username,Account name,Description,Duration (sec),Publish time,"
    "Permalink,Post type,Data comment,Date,Views,Reach,Likes,Shares,Follows,Comments,Saves\n"
)


def ig_row(post_id, handle, caption, published, views, likes, comments=1, shares=0):
    """``published``: the office's wall clock (Mimika WIT, the others WIB), written as Meta
    writes it, on the US Pacific clock."""
    tz = "Asia/Jayapura" if handle == "kpumimika" else "Asia/Jakarta"
    return (
        f'{post_id},900,{handle},"{handle}","{caption}",0,{meta_time(published, tz)},'
        f"https://www.instagram.com/p/{post_id}/,IG image,,Lifetime,{views},{views // 2},{likes},{shares},0,{comments},0\n"
    )


def drop(landing, week, office, name, rows, handle):
    folder = landing / week / office
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(HEADER + "".join(rows), encoding="utf-8-sig")


@pytest.fixture
def golden(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "office_code,platform,handle\n94.01,instagram,kpumimika\n35.06,instagram,kpu_kabkediri\n35.07,instagram,kpu_kabmalang\n",
        encoding="utf-8",
    )
    s = replace(settings, accounts=accounts)
    L = s.landing
    # Mimika, week 2024-W07 export: Sunday 23:30 WIT and Monday 00:30 WIT (both Sunday in WIB)
    drop(L, "2024-W07", "94.01", "mimika_w07.csv", [
        ig_row("1001", "kpumimika", "Jadwal tahapan kampanye", "02/18/2024 23:30", 100, 10),
    ], "kpumimika")
    drop(L, "2024-W08", "94.01", "mimika_w08.csv", [
        ig_row("1001", "kpumimika", "Jadwal tahapan kampanye", "02/18/2024 23:30", 300, 25, comments=4, shares=2),
        ig_row("1002", "kpumimika", "Rapat koordinasi di aula", "02/19/2024 00:30", 80, 5),
    ], "kpumimika")
    # Kediri: delivers both weeks, posts nothing in W07 (zero), one post in W08
    drop(L, "2024-W07", "35.06", "kediri_w07.csv", [], "kpu_kabkediri")
    drop(L, "2024-W08", "35.06", "kediri_w08.csv", [
        ig_row("2001", "kpu_kabkediri", "Tahukah kamu? Cara mencoblos", "02/20/2024 09:00", 50, 3),
    ], "kpu_kabkediri")
    # Malang: no export for W07 at all (missing); W08 delivered
    drop(L, "2024-W08", "35.07", "malang_w08.csv", [
        ig_row("3001", "kpu_kabmalang", "Apel pagi", "02/21/2024 07:00", 40, 2),
    ], "kpu_kabmalang")
    # New year: 30 Dec 2024 belongs to 2025-W01
    drop(L, "2025-W01", "35.06", "kediri_2025w01.csv", [
        ig_row("2002", "kpu_kabkediri", "Pengumuman DPT", "12/30/2024 10:00", 70, 4),
    ], "kpu_kabkediri")
    for week in ("2024-W07", "2024-W08", "2025-W01"):
        run_week(s, week)
    con = duckdb.connect(str(s.published), read_only=True)
    yield s, con
    con.close()


def cadence(con, office, week):
    rows = con.execute(
        """select data_status, posts, met_weekly_minimum from marts.weekly_cadence
           where office_code = ? and platform = 'instagram' and iso_week = ?""",
        [office, week],
    ).fetchall()
    assert len(rows) == 1
    return rows[0]


def test_local_week_follows_the_office_time_zone(golden):
    s, con = golden
    weeks = dict(con.execute("select post_id, iso_week from core.posts where office_code = '94.01'").fetchall())
    assert weeks == {"1001": "2024-W07", "1002": "2024-W08"}
    assert cadence(con, "94.01", "2024-W07") == ("reported", 1, True)
    assert cadence(con, "94.01", "2024-W08") == ("reported", 1, True)
    # the instants are right too: 23:30 WIT = 14:30 UTC
    (at,) = con.execute("select strftime(published_at, '%Y-%m-%d %H:%M') from core.posts where post_id = '1001'").fetchall()[0]
    assert at == "2024-02-18 14:30"


def test_new_year_week(golden):
    s, con = golden
    assert con.execute("select iso_week from core.posts where post_id = '2002'").fetchall() == [("2025-W01",)]
    assert cadence(con, "35.06", "2025-W01") == ("reported", 1, True)


def test_missing_export_versus_zero_posts(golden):
    s, con = golden
    assert cadence(con, "35.06", "2024-W07") == ("reported", 0, False)
    assert cadence(con, "35.07", "2024-W07") == ("missing", None, None)
    (row,) = con.execute(
        """select offices_expected, offices_reported, offices_missing, offices_met_minimum, posting_activity_pct
           from marts.province_weekly where province_code = '35' and platform = 'instagram' and iso_week = '2024-W07'"""
    ).fetchall()
    assert row == (2, 1, 1, 0, 0.0)
    (row,) = con.execute(
        """select offices_expected, offices_met_minimum, posting_activity_pct from marts.province_weekly
           where province_code = '35' and platform = 'instagram' and iso_week = '2024-W08'"""
    ).fetchall()
    assert row == (2, 2, 100.0)


def test_grown_metrics_latest_snapshot_wins_history_kept(golden):
    s, con = golden
    history = con.execute(
        "select likes from core.post_snapshots where post_id = '1001' order by snapshot_at"
    ).fetchall()
    assert history == [(10,), (25,)]
    assert con.execute("select likes, comments, shares, interactions from core.posts where post_id = '1001'").fetchall() == [(25, 4, 2, 31)]
    # engagement is attributed to the publication week, from the latest snapshot
    (row,) = con.execute(
        """select posts, likes, interactions, views, engagement_rate_per_view from marts.weekly_engagement
           where office_code = '94.01' and iso_week = '2024-W07'"""
    ).fetchall()
    assert row == (1, 25, 31, 300, round(31 / 300, 4))


def test_content_categories(golden):
    s, con = golden
    cats = dict(con.execute("select post_id, content_category from core.posts").fetchall())
    assert cats == {
        "1001": "informasi_pemilu",
        "1002": "kegiatan",
        "2001": "edukasi",
        "3001": "kegiatan",
        "2002": "informasi_pemilu",
    }


def test_running_again_changes_nothing(golden):
    s, con = golden
    tables = ["marts.weekly_cadence", "marts.weekly_engagement", "marts.province_weekly"]
    before = {t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in tables}
    con.close()
    for week in ("2024-W07", "2024-W08", "2025-W01"):
        assert run_week(s, week)["files_processed"] == 0
    con2 = duckdb.connect(str(s.published), read_only=True)
    after = {t: sorted(map(repr, con2.execute(f"select * from {t}").fetchall())) for t in tables}
    con2.close()
    assert after == before


def test_rolling_continuity(golden):
    s, con = golden

    def rolling(office, week):
        return con.execute(
            """select weeks_active_last_4, weeks_in_last_4, current_streak_weeks, longest_gap_days_13w
               from marts.office_rolling where office_code = ? and platform = 'instagram' and iso_week = ?""",
            [office, week],
        ).fetchall()[0]

    assert rolling("35.06", "2024-W07") == (0, 1, 0, None)  # zero posts, nothing known yet
    assert rolling("35.06", "2024-W08") == (1, 2, 1, 5)  # posted Tue 20 Feb; week ends Sun 25 Feb
    assert rolling("35.06", "2024-W09") == (1, 3, 0, 12)  # no export: streak broken, 12 days since
    assert rolling("94.01", "2024-W08") == (2, 2, 2, 6)  # posts Sun 18 and Mon 19 Feb


def test_late_export_fills_its_week_on_the_next_run(golden):
    s, con = golden
    assert cadence(con, "35.07", "2024-W07") == ("missing", None, None)
    con.close()
    drop(s.landing, "2024-W07", "35.07", "malang_w07_late.csv", [
        ig_row("3000", "kpu_kabmalang", "Apel pagi", "02/13/2024 07:00", 30, 1),
    ], "kpu_kabmalang")
    assert run_week(s, "2025-W01")["files_processed"] == 1  # the next weekly run scans earlier weeks too
    con2 = duckdb.connect(str(s.published), read_only=True)
    try:
        assert cadence(con2, "35.07", "2024-W07") == ("reported", 1, True)
    finally:
        con2.close()


def test_missing_export_whose_posts_another_export_shows_meets_the_minimum(golden):
    """Malang sent no W07 export, but its W08 export (Meta's date range reaches back) lists
    a post published in W07: the week stays missing as a delivery, yet the office did post,
    so it met the minimum and the province's posting activity counts it."""
    s, con = golden
    assert cadence(con, "35.07", "2024-W07") == ("missing", None, None)
    con.close()
    drop(s.landing, "2024-W08", "35.07", "malang_w08_range.csv", [
        ig_row("3000", "kpu_kabmalang", "Apel pagi", "02/13/2024 07:00", 30, 1),
    ], "kpu_kabmalang")
    run_week(s, "2024-W08")
    con2 = duckdb.connect(str(s.published), read_only=True)
    try:
        assert cadence(con2, "35.07", "2024-W07") == ("missing", None, True)
        assert con2.execute(
            """select posts_seen_in_other_exports from marts.weekly_cadence
               where office_code = '35.07' and platform = 'instagram' and iso_week = '2024-W07'"""
        ).fetchall() == [(1,)]
        (row,) = con2.execute(
            """select offices_expected, offices_reported, offices_missing, offices_met_minimum, posting_activity_pct
               from marts.province_weekly where province_code = '35' and platform = 'instagram' and iso_week = '2024-W07'"""
        ).fetchall()
        assert row == (2, 1, 1, 1, 50.0)  # Kediri reported zero posts; Malang's seen post counts
    finally:
        con2.close()


def test_failure_mid_load_leaves_the_previous_state(golden, monkeypatch):
    import contextlib

    import medsos.pipeline.load as pipeline

    s, con = golden
    con.close()

    def state():
        c = duckdb.connect(str(s.warehouse), read_only=True)
        try:
            return {t: sorted(map(repr, c.execute(f"select * from {t}").fetchall()))
                    for t in ("raw.files", "raw.post_snapshots", "raw.quarantine", "marts.weekly_cadence")}
        finally:
            c.close()

    before = state()
    # Kediri sends a corrected W08 export; the load dies after deleting the old rows
    drop(s.landing, "2024-W08", "35.06", "kediri_w08.csv", [
        ig_row("2001", "kpu_kabkediri", "Tahukah kamu? Cara mencoblos", "02/20/2024 09:00", 60, 9),
    ], "kpu_kabkediri")

    class Dying:
        def __init__(self, inner):
            self.inner = inner

        def execute(self, sql, *args):
            if sql.startswith("insert into raw.post_snapshots"):
                raise RuntimeError("power cut")
            return self.inner.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    real = pipeline.open_warehouse

    @contextlib.contextmanager
    def dying(settings):
        with real(settings) as c:
            yield Dying(c)

    monkeypatch.setattr(pipeline, "open_warehouse", dying)
    with pytest.raises(RuntimeError, match="power cut"):
        run_week(s, "2024-W08")
    monkeypatch.setattr(pipeline, "open_warehouse", real)
    assert state() == before
    run_week(s, "2024-W08")
    c = duckdb.connect(str(s.published), read_only=True)
    try:
        assert c.execute("select likes from core.posts where post_id = '2001'").fetchall() == [(9,)]
    finally:
        c.close()


def test_the_warehouse_has_a_memory_ceiling_that_operators_can_set(tmp_path, monkeypatch):
    from medsos.warehouse import connect

    def ceiling() -> str:
        con = connect(tmp_path / "w.duckdb")
        try:
            return con.sql("select current_setting('memory_limit')").fetchall()[0][0]
        finally:
            con.close()

    monkeypatch.delenv("MEDSOS_DUCKDB_MEMORY_LIMIT", raising=False)
    assert ceiling() == "953.6 MiB"  # 1 GB, not DuckDB's 80 % of the machine
    monkeypatch.setenv("MEDSOS_DUCKDB_MEMORY_LIMIT", "2GB")
    assert ceiling() == "1.8 GiB"
    monkeypatch.setenv("MEDSOS_DUCKDB_MEMORY_LIMIT", "2GB'; drop table x; --")
    with pytest.raises(ValueError, match="MEDSOS_DUCKDB_MEMORY_LIMIT must be a size"):
        ceiling()
