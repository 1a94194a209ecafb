"""File bookkeeping across runs: moved, corrected, withdrawn and zipped exports.

Each test drops real export files into a landing zone, runs the weekly job and reads
the manifest (raw.files), core.files_in_force and the cadence mart from the warehouse.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from instagram_exports import IG_HEADER, drop, ig_row

from medsos.pipeline import run_week
from medsos.warehouse import open_published

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def kediri(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "office_code,platform,handle,active_from\n"
        "35.06,instagram,kpu_kabkediri,\n"
        "35.06,youtube,kpukediri,\n"
        "35.06,tiktok,kpukediri,\n"
        "35.06,x,kpukabcontoh,2024-02-12\n",
        encoding="utf-8",
    )
    return replace(settings, accounts=accounts)


def query(settings, sql: str, params=None):
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def ig_posts(settings, week: str):
    return query(
        settings,
        "select data_status, posts from marts.weekly_cadence where office_code = '35.06' "
        "and platform = 'instagram' and iso_week = ?",
        [week],
    )[0]


def test_file_moved_to_the_right_week_folder_loads_there(kediri):
    # the admin meant W07 (an export with last week's post) but dropped it in W06
    wrong = drop(kediri.landing, "2024-W06", "35.06", "ig.csv", IG_HEADER + ig_row("11", "02/08/2024 09:00"))
    run_week(kediri, "2024-W07")
    assert ig_posts(kediri, "2024-W06") == ("reported", 1)
    assert ig_posts(kediri, "2024-W07") == ("missing", None)

    right = kediri.landing / "2024-W07" / "35.06" / "ig.csv"
    right.parent.mkdir(parents=True)
    shutil.move(wrong, right)
    run_week(kediri, "2024-W07")
    # the file now counts for W07 only; W06 has no delivery any more, so the weekly
    # tables start at W07 (a withdrawn file does not stretch them back)
    assert ig_posts(kediri, "2024-W07") == ("reported", 0)
    assert query(kediri, "select count(*) from marts.weekly_cadence where iso_week = '2024-W06'") == [(0,)]
    assert query(kediri, "select count(*) from raw.post_snapshots") == [(1,)]
    statuses = dict(query(kediri, "select relative_path, status from raw.files"))
    assert statuses == {"2024-W06/35.06/ig.csv": "withdrawn", "2024-W07/35.06/ig.csv": "loaded"}


def test_the_export_saved_last_wins_for_the_posts_it_lists_and_reprocess_keeps_it(kediri):
    # The correction sorts first by name but was saved later: its numbers must win.
    drop(kediri.landing, "2024-W07", "35.06", "z_first.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"), mtime=1_700_000_000)
    drop(kediri.landing, "2024-W07", "35.06", "a_correction.csv",
         IG_HEADER + ig_row("11", "02/13/2024 09:00", likes=9) + ig_row("12", "02/14/2024 09:00"), mtime=1_700_000_500)
    run_week(kediri, "2024-W07")
    assert ig_posts(kediri, "2024-W07") == ("reported", 2)
    for _ in range(2):
        run_week(kediri, "2024-W07", reprocess=True)
        assert ig_posts(kediri, "2024-W07") == ("reported", 2)
        assert query(kediri, "select post_id, likes, source_file from core.posts order by 1") == [
            ("11", 9, "2024-W07/35.06/a_correction.csv"), ("12", 5, "2024-W07/35.06/a_correction.csv")]
        # both exports are in force; the one saved last comes first
        assert query(kediri, "select source_file, is_in_force, saved_order, exports_of_the_kind, overlap_file "
                             "from core.files_in_force order by saved_order") == [
            ("2024-W07/35.06/a_correction.csv", True, 1, 2, "2024-W07/35.06/z_first.csv"),
            ("2024-W07/35.06/z_first.csv", True, 2, 2, "2024-W07/35.06/a_correction.csv"),
        ]
        overlaps = dict(query(kediri, "select relative_path, overlap from raw.files"))
        assert overlaps["2024-W07/35.06/z_first.csv"] == (
            "1 of the 2 posts of 2024-W07/35.06/a_correction.csv, saved before it, 1 with other numbers; "
            "those of 2024-W07/35.06/a_correction.csv count (saved later)")
        assert overlaps["2024-W07/35.06/a_correction.csv"] == (
            "the one post of 2024-W07/35.06/z_first.csv and 1 more, 1 with other numbers, which count (saved later)")


def test_a_withdrawn_or_rejected_correction_gives_the_earlier_file_back(kediri):
    drop(kediri.landing, "2024-W07", "35.06", "first.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"), mtime=1_700_000_000)
    run_week(kediri, "2024-W07")
    fix = drop(kediri.landing, "2024-W07", "35.06", "fix.csv",
               IG_HEADER + ig_row("11", "02/13/2024 09:00") + ig_row("12", "02/14/2024 09:00"), mtime=1_700_000_500)
    run_week(kediri, "2024-W07")
    assert ig_posts(kediri, "2024-W07") == ("reported", 2)
    overlap = "select overlap_file from raw.files where relative_path = '2024-W07/35.06/first.csv'"
    assert query(kediri, overlap) == [("2024-W07/35.06/fix.csv",)]

    # the "correction" turns out broken: every row fails, the file is rejected
    fix.write_text(IG_HEADER + ig_row("11", "02/13/2024 09:00", likes="banyak"), encoding="utf-8")
    os.utime(fix, (1_700_000_900, 1_700_000_900))
    run_week(kediri, "2024-W07")
    assert dict(query(kediri, "select relative_path, status from raw.files"))["2024-W07/35.06/fix.csv"] == "rejected"
    assert ig_posts(kediri, "2024-W07") == ("reported", 1)
    assert query(kediri, overlap) == [(None,)]  # nothing loaded to compare it with any more

    fix.unlink()
    run_week(kediri, "2024-W07")
    assert ig_posts(kediri, "2024-W07") == ("reported", 1)


def test_a_copy_loads_once_its_original_is_gone(kediri):
    text = IG_HEADER + ig_row("11", "02/13/2024 09:00")
    # the browser names the second download 'ig (1).csv', which sorts first; the one
    # saved first is the original
    original = drop(kediri.landing, "2024-W07", "35.06", "ig.csv", text, mtime=1_700_000_000)
    drop(kediri.landing, "2024-W07", "35.06", "ig (1).csv", text, mtime=1_700_000_100)
    run_week(kediri, "2024-W07")
    assert dict(query(kediri, "select relative_path, status from raw.files"))["2024-W07/35.06/ig (1).csv"] == "duplicate"
    original.unlink()
    run_week(kediri, "2024-W07")
    assert dict(query(kediri, "select relative_path, status from raw.files")) == {
        "2024-W07/35.06/ig.csv": "withdrawn",
        "2024-W07/35.06/ig (1).csv": "loaded",
    }
    assert ig_posts(kediri, "2024-W07") == ("reported", 1)


def test_a_copy_loads_in_the_same_run_when_its_original_is_rejected(kediri):
    text = IG_HEADER + ig_row("11", "02/13/2024 09:00")
    first = drop(kediri.landing, "2024-W07", "35.06", "ig.csv", text, mtime=1_700_000_000)
    drop(kediri.landing, "2024-W07", "35.06", "ig (1).csv", text, mtime=1_700_000_100)
    run_week(kediri, "2024-W07")
    # the original is moved into an earlier week folder, where its post is too new to be
    # true: that run rejects it, so the copy must load now, not a run later
    (kediri.landing / "2024-W05" / "35.06").mkdir(parents=True)
    shutil.move(first, kediri.landing / "2024-W05" / "35.06" / "ig.csv")
    run_week(kediri, "2024-W07")
    statuses = dict(query(kediri, "select relative_path, status from raw.files"))
    assert statuses["2024-W05/35.06/ig.csv"] == "rejected"
    assert statuses["2024-W07/35.06/ig (1).csv"] == "loaded"
    assert ig_posts(kediri, "2024-W07") == ("reported", 1)
    assert query(kediri, "select count(*) from raw.post_snapshots") == [(1,)]


def test_of_two_copies_of_a_rejected_original_one_loads(kediri):
    text = IG_HEADER + ig_row("11", "02/13/2024 09:00")
    first = drop(kediri.landing, "2024-W07", "35.06", "ig.csv", text, mtime=1_700_000_000)
    run_week(kediri, "2024-W08")
    (kediri.landing / "2024-W05" / "35.06").mkdir(parents=True)
    shutil.move(first, kediri.landing / "2024-W05" / "35.06" / "ig.csv")
    drop(kediri.landing, "2024-W07", "35.06", "ig (1).csv", text, mtime=1_700_000_100)
    drop(kediri.landing, "2024-W08", "35.06", "ig.csv", text, mtime=1_700_000_200)
    for _ in range(2):  # and the next run leaves it so
        run_week(kediri, "2024-W08")
        files = {path: (status, of) for path, status, of in query(
            kediri, "select relative_path, status, duplicate_of from raw.files")}
        assert files["2024-W05/35.06/ig.csv"][0] == "rejected"
        assert files["2024-W07/35.06/ig (1).csv"] == ("loaded", None)
        assert files["2024-W08/35.06/ig.csv"] == ("duplicate", "2024-W07/35.06/ig (1).csv")
        assert query(kediri, "select count(*) from raw.post_snapshots") == [(1,)]


def test_account_figure_files_are_not_a_delivery(kediri):
    folder = kediri.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "youtube" / "yt_totals.csv", folder / "Totals.csv")
    shutil.copy(FIXTURES / "tiktok" / "tiktok_follower_history.csv", folder / "FollowerHistory.csv")
    run_week(kediri, "2024-W07")
    rows = dict(query(kediri, "select platform, data_status from marts.weekly_cadence where iso_week = '2024-W07'"))
    assert rows["youtube"] == "missing"
    assert rows["tiktok"] == "missing"


def test_one_bad_row_in_an_account_figures_file_quarantines_that_row_only(kediri):
    text = (FIXTURES / "tiktok" / "tiktok_follower_history.csv").read_text(encoding="utf-8")
    text += '"January 3","sepuluh ribu","3"\n'  # the next day, a count in words
    drop(kediri.landing, "2024-W07", "35.06", "FollowerHistory.csv", text)
    run_week(kediri, "2024-W07")
    [(status, loaded, quarantined)] = query(kediri, "select status, rows_loaded, rows_quarantined from raw.files")
    assert status == "loaded_with_quarantine"
    assert quarantined == 1 and loaded >= 2
    assert query(kediri, "select column_name from raw.quarantine") == [("Followers",)]


def test_an_x_id_with_an_impossible_time_is_quarantined_not_fatal(kediri):
    text = (FIXTURES / "x" / "account_analytics_content_2024-02-12_2024-02-18.csv").read_text(encoding="utf-8")
    header, first = text.split("\n", 1)[0], text.split("\n", 1)[1]
    bad = "9" * 40 + ',"Mon, Feb 12, 2024",teks,https://x.com/kpukabcontoh/status/1,1,1,1,0,0,0,0,0,0,0,0,0,0\n'
    drop(kediri.landing, "2024-W07", "35.06", "account_analytics_content.csv", header + "\n" + bad + first)
    run_week(kediri, "2024-W07")
    # (the fixture carries two bad rows of its own further down)
    [(column, message)] = query(kediri, "select column_name, message from raw.quarantine where source_row = 2")
    assert column == "Post id" and "creation time" in message
    assert query(kediri, "select count(*) > 0 from raw.post_snapshots") == [(True,)]
    assert query(kediri, "select status from raw.files") == [("loaded_with_quarantine",)]


def test_an_account_is_evaluated_from_its_active_from_week(kediri):
    drop(kediri.landing, "2024-W06", "35.06", "ig.csv", IG_HEADER + ig_row("10", "02/06/2024 09:00"))
    drop(kediri.landing, "2024-W07", "35.06", "ig.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"))
    run_week(kediri, "2024-W06")
    run_week(kediri, "2024-W07")
    weeks_x = [w for (w,) in query(kediri, "select iso_week from marts.weekly_cadence where platform = 'x' order by 1")]
    # active_from 2024-02-12 is the Monday of W07
    assert "2024-W06" not in weeks_x and "2024-W07" in weeks_x
    assert "2024-W06" in [w for (w,) in query(kediri, "select iso_week from marts.weekly_cadence where platform = 'instagram'")]


def test_office_rank_posts_are_unknown_when_no_platform_reported(kediri):
    run_week(kediri, "2024-W07")
    [(posts, missing)] = query(
        kediri, "select posts_reported, platforms_missing from marts.office_ranks where iso_week = '2024-W07'"
    )
    assert posts is None and missing == 4


def test_staff_queries_never_open_the_writers_file(kediri):
    kediri.warehouse.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(kediri.warehouse)).close()
    with pytest.raises(FileNotFoundError, match="published copy"):
        open_published(kediri)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_youtube_studio_zip_is_read_member_by_member(kediri):
    table = (
        b"Content,Video title,Video publish time,Duration,Views,Likes,Comments added,Shares,Watch time (hours)\n"
        b"Total,,,,150,12,3,1,4.5\n"
        b'aBcDeFgHiJk,"Sosialisasi tahapan","Feb 13, 2024",60,150,12,3,1,4.5\n'
    )
    folder = kediri.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    (folder / "Content 2024-02-12_2024-02-18 KPU Kediri.zip").write_bytes(zip_bytes({
        "Table data.csv": table,
        "Chart data.csv": (FIXTURES / "youtube" / "yt_chart_data.csv").read_bytes(),
        "Totals.csv": (FIXTURES / "youtube" / "yt_totals.csv").read_bytes(),
        "foto rapat.jpg": b"\xff\xd8\xff\xe0 not an export",
    }))
    run_week(kediri, "2024-W07")
    rows = {p.rsplit("::", 1)[1]: (status, kind, reason) for p, status, kind, reason in
            query(kediri, "select relative_path, status, export_kind, status_reason from raw.files")}
    assert rows["Table data.csv"][:2] == ("loaded", "youtube_table_data")
    assert rows["Chart data.csv"][:2] == ("loaded", "youtube_chart_data")
    assert rows["Totals.csv"][:2] == ("loaded", "youtube_totals")
    status, _, reason = rows["foto rapat.jpg"]
    assert status == "rejected" and "foto rapat.jpg" in reason and "not a platform export" in reason
    assert query(kediri, "select data_status, posts from marts.weekly_cadence where platform = 'youtube'") == [("reported", 1)]
    # lineage names the member inside the zip
    [(source,)] = query(kediri, "select source_file from raw.post_snapshots")
    assert source.endswith(".zip::Table data.csv")
    # a second run finds nothing new
    assert run_week(kediri, "2024-W07")["files_processed"] == 0


def test_a_damaged_zip_is_rejected_with_its_name(kediri):
    folder = kediri.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    (folder / "export.zip").write_bytes(b"PK\x03\x04 broken")
    run_week(kediri, "2024-W07")
    [(status, reason)] = query(kediri, "select status, status_reason from raw.files")
    assert status == "rejected" and "export.zip" in reason and "damaged" in reason


def test_account_figure_exports_load_through_the_pipeline(kediri):
    folder = kediri.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    for platform, name in (("tiktok", "tiktok_legacy_export.zip"), ("x", "account_overview_analytics.csv"),
                           ("instagram", "ig_follows_daily_id_utf16.csv"), ("facebook", "fb_views_daily_utf16.csv"),
                           ("tiktok", "tiktok_studio_overview_en.csv")):
        shutil.copy(FIXTURES / platform / name, folder / name)
    run_week(kediri, "2024-W07")
    files = {p.split("/")[-1]: (status, kind, rows, reason) for p, status, kind, rows, reason in query(
        kediri, "select relative_path, status, export_kind, rows_loaded, status_reason from raw.files")}
    assert files["ig_follows_daily_id_utf16.csv"][:3] == ("loaded", "instagram_daily_follows", 3)
    assert files["account_overview_analytics.csv"][:3] == ("loaded", "x_account_overview", 2)
    assert files["tiktok_studio_overview_en.csv"][:3] == ("loaded", "tiktok_overview", 2)
    assert files["tiktok_legacy_export.zip::FollowerHistory.csv"][:3] == ("loaded", "tiktok_follower_history", 3)
    assert files["tiktok_legacy_export.zip::Viewers.csv"][:3] == ("loaded", "tiktok_legacy_viewers", 0)
    # a daily file of another metric is the platform's own export: it loads, its days are
    # counted as skipped with the reason, and it gives no figure
    status, kind, rows, reason = files["fb_views_daily_utf16.csv"]
    assert (status, kind, rows) == ("loaded", "facebook_daily_other", 0)
    assert "skipped" in reason and "not part of the weekly evaluation" in reason
    # account figures are there, and no platform counts as delivered from them alone
    assert query(kediri, "select platform, count(*) from core.account_daily group by 1 order by 1") == [
        ("instagram", 3), ("tiktok", 3), ("x", 2)]
    assert {s for (s,) in query(kediri, "select distinct data_status from marts.weekly_cadence")} == {"missing"}
    # a day covered by two TikTok exports takes each figure from the export that has it:
    # the follower total from the history, new/lost followers from the newer overview
    assert query(kediri, """select followers, followers_gained, followers_lost, exports_covering_day
                            from core.account_daily where platform = 'tiktok' and metric_date = '2024-02-12'""") == [
        (10405, 7, 2, 2)]


def test_unchanged_files_are_not_read_again_but_reprocess_reads_everything(kediri):
    path = drop(kediri.landing, "2024-W07", "35.06", "ig.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"), mtime=1_700_000_000)
    run_week(kediri, "2024-W07")
    assert run_week(kediri, "2024-W07")["files_processed"] == 0
    # Same size and time but other bytes (only a tool that forges times does this): the
    # fingerprint is trusted, as rsync and make do; --reprocess reads it again.
    path.write_text(IG_HEADER + ig_row("12", "02/13/2024 09:00"), encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert run_week(kediri, "2024-W07")["files_processed"] == 0
    assert query(kediri, "select post_id from core.posts") == [("11",)]
    run_week(kediri, "2024-W07", reprocess=True)
    assert query(kediri, "select post_id from core.posts") == [("12",)]
    # a normal save changes the time and is noticed
    path.write_text(IG_HEADER + ig_row("13", "02/13/2024 09:00"), encoding="utf-8")
    assert run_week(kediri, "2024-W07")["files_processed"] == 1
    assert query(kediri, "select post_id from core.posts") == [("13",)]


def test_misplaced_files_are_listed_and_rejected_with_the_reason(kediri):
    # KPU Jawa Timur's own account, so that KPU RI's national summary is rendered too
    kediri.accounts.write_text(kediri.accounts.read_text(encoding="utf-8") + "35,instagram,kpujatim,\n", encoding="utf-8")
    good = IG_HEADER + ig_row("11", "02/13/2024 09:00")
    drop(kediri.landing, "2024-W07", "35.06", "ig.csv", good)
    drop(kediri.landing, "2024-07", "35.06", "ig.csv", good)  # not an ISO week
    drop(kediri.landing, "2024-W07", "35.99", "ig.csv", good)  # no such office
    drop(kediri.landing, "2024-W07", "Kediri", "ig.csv", good)  # a name, not a code
    (kediri.landing / "ig_top.csv").write_text(good, encoding="utf-8")
    (kediri.landing / "2024-W07" / "ig_week.csv").write_text(good, encoding="utf-8")
    result = run_week(kediri, "2024-W07")
    assert len(result["layout_problems"]) == 5
    rows = dict((p, (s, r)) for p, s, r in query(kediri, "select relative_path, status, status_reason from raw.files"))
    assert rows.pop("2024-W07/35.06/ig.csv")[0] == "loaded"
    expected = {
        "2024-07/35.06/ig.csv": "not an ISO week",
        "2024-W07/35.99/ig.csv": "names no KPU office",
        "2024-W07/Kediri/ig.csv": "not an office code",
        "ig_top.csv": "top of the landing zone",
        "2024-W07/ig_week.csv": "directly in the week folder",
    }
    assert set(rows) == set(expected)
    for path, words in expected.items():
        status, reason = rows[path]
        assert status == "rejected" and reason.startswith(f"{path}: ") and words in reason, (path, reason)
    assert ig_posts(kediri, "2024-W07") == ("reported", 1)
    # the province's email names the files it can be told about; KPU RI's names them all
    province = (kediri.outbox / "2024-W07" / "ringkasan_35_2024-W07.html").read_text(encoding="utf-8")
    for path in ("2024-07/35.06/ig.csv", "2024-W07/35.99/ig.csv"):
        assert path in province
    national = (kediri.outbox / "2024-W07" / "ringkasan_00_2024-W07.html").read_text(encoding="utf-8")
    for path in ("2024-W07/Kediri/ig.csv", "ig_top.csv", "2024-W07/ig_week.csv"):
        assert path in national


def test_links_and_oversized_files_are_refused_by_name(kediri, tmp_path, monkeypatch):
    from medsos import landing

    drop(kediri.landing, "2024-W07", "35.06", "ig.csv", IG_HEADER + ig_row("11", "02/13/2024 09:00"))
    secret = tmp_path / "secret.csv"
    secret.write_text(IG_HEADER + ig_row("99", "02/13/2024 09:00"), encoding="utf-8")
    folder = kediri.landing / "2024-W07" / "35.06"
    (folder / "link.csv").symlink_to(secret)
    (folder / "linked_dir").symlink_to(tmp_path)
    monkeypatch.setattr(landing, "MAX_EXPORT_BYTES", 1024)
    (folder / "big.csv").write_text(IG_HEADER + ig_row("12", "02/13/2024 09:00") * 40, encoding="utf-8")
    run_week(kediri, "2024-W07")
    rows = dict((p.split("/")[-1], (s, r)) for p, s, r in query(kediri, "select relative_path, status, status_reason from raw.files"))
    assert rows["ig.csv"][0] == "loaded"
    for name in ("link.csv", "linked_dir"):
        assert rows[name][0] == "rejected" and "a link or special file" in rows[name][1]
    assert rows["big.csv"][0] == "rejected" and "export a shorter date range" in rows["big.csv"][1]
    assert query(kediri, "select post_id from core.posts") == [("11",)]
