"""Great Expectations suites: every expectation passes on good rows and fails on its own
bad row; the pipeline quarantines exactly the bad rows and rejects wrong files whole."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from medsos.parsers.base import POST_COLUMNS, frame
from medsos.pipeline import run_week
from medsos.registry import load_offices
from medsos.validate import Validator, load_suite_json

SNAP = datetime(2024, 2, 19, tzinfo=UTC)
PARAMS = {"office_codes": sorted(load_offices())}


def good_post(row: int, **over):
    rec = {
        "platform": "instagram", "office_code": "35.06", "account_handle": "kpu_kabkediri",
        "account_id": None, "post_id": f"{row:05d}", "published_at": SNAP - timedelta(days=2),
        "published_local": datetime(2024, 2, 17, 14, 0), "publish_time_precision": "minute",
        "post_type": "image", "caption": "Jadwal tahapan", "permalink": "https://www.instagram.com/p/x/",
        "views": 10, "reach": 8, "impressions": None, "likes": 2, "comments": 1, "shares": 0, "saves": 0,
        "duration_seconds": None, "watch_time_hours": None, "metric_definition": "meta_views_2025",
        "snapshot_at": SNAP, "source_file": "2024-W07/35.06/ig.csv", "source_sheet": None, "source_row": row,
    }
    rec.update(over)
    return rec


def with_checks(records, matches=None, launched=None):
    df = frame(records, POST_COLUMNS)
    df["account_matches_registry"] = pd.array(matches or [True] * len(df), dtype="boolean")
    df["published_after_platform_launch"] = pd.array(launched or [True] * len(df), dtype="boolean")
    return df


# (expectation type, column label) -> the bad row that must fail it and nothing else critical
BAD_POSTS = {
    ("expect_column_values_to_not_be_null", "platform"): {"platform": None},
    ("expect_column_values_to_be_in_set", "platform"): {"platform": "myspace"},
    ("expect_column_values_to_not_be_null", "office_code"): {"office_code": None},
    ("expect_column_values_to_be_in_set", "office_code"): {"office_code": "99.99"},
    ("expect_column_values_to_not_be_null", "post_id"): {"post_id": None},
    ("expect_column_values_to_match_regex", "post_id"): {"post_id": "1.22158E+17"},
    ("expect_column_values_to_not_be_null", "published_at"): {"published_at": None},
    ("expect_column_values_to_not_be_null", "snapshot_at"): {"snapshot_at": None},
    ("expect_column_values_to_be_in_set", "post_type"): {"post_type": "meme"},
    ("expect_column_values_to_be_in_set", "publish_time_precision"): {"publish_time_precision": "hour"},
    ("expect_column_values_to_be_between", "views"): {"views": -1},
    ("expect_column_values_to_be_between", "reach"): {"reach": -1},
    ("expect_column_values_to_be_between", "impressions"): {"impressions": -1},
    ("expect_column_values_to_be_between", "likes"): {"likes": -1},
    ("expect_column_values_to_be_between", "comments"): {"comments": -1},
    ("expect_column_values_to_be_between", "shares"): {"shares": -1},
    ("expect_column_values_to_be_between", "saves"): {"saves": -1},
    ("expect_column_pair_values_a_to_be_greater_than_b", "snapshot_at,published_at"): {"published_at": SNAP + timedelta(days=1)},
}


@pytest.fixture(scope="module")
def validator():
    return Validator()


def test_good_rows_pass_every_expectation(validator):
    outcome = validator.run(with_checks([good_post(i) for i in range(1, 4)]), "post_snapshots", PARAMS)
    assert outcome.failures == []
    assert all(r["success"] for r in outcome.results)
    assert len(outcome.accepted) == 3 and outcome.quarantined.empty
    spec = load_suite_json("post_snapshots")
    assert len(outcome.results) == len(spec["expectations"])


def test_each_expectation_fails_on_its_own_bad_row(validator):
    records = [good_post(1)]
    expected = {}
    for n, (key, change) in enumerate(BAD_POSTS.items(), start=10):
        records.append(good_post(n, **change))
        expected[n] = key
    # derived registry checks, absurd views and the duplicate warning
    records += [good_post(90), good_post(91, published_at=datetime(2001, 1, 1, tzinfo=UTC)),
                good_post(92, views=2_000_000_000), good_post(93), good_post(93)]
    matches = [True] * len(records)
    launched = [True] * len(records)
    matches[-5] = False
    launched[-4] = False
    outcome = validator.run(with_checks(records, matches, launched), "post_snapshots", PARAMS)
    failed = {}
    for f in outcome.failures:
        failed.setdefault(f["source_row"], set()).add((f["check_name"], f["column_name"], f["severity"]))
    for row, (check, column) in expected.items():
        assert (check, column, "critical") in failed.get(row, set()), (row, check, column, failed.get(row))
    assert ("expect_column_values_to_be_in_set", "account_matches_registry", "critical") in failed[90]
    assert ("expect_column_values_to_be_in_set", "published_after_platform_launch", "critical") in failed[91]
    assert failed[92] == {("expect_column_values_to_be_between", "views", "critical")}
    assert failed[93] == {("expect_compound_columns_to_be_unique", "platform,office_code,post_id,snapshot_at,source_file", "warning")}
    # row 1 is good; warning-only rows still load; every critical row is held back
    assert 1 not in failed
    held = set(outcome.quarantined["source_row"])
    assert held == set(expected) | {90, 91, 92}
    assert {1, 93} <= set(outcome.accepted["source_row"])
    # every failure names file, row and column
    assert all(f["source_file"] and f["column_name"] for f in outcome.failures)


def test_table_level_failures_stop_the_batch(validator):
    df = with_checks([good_post(1)]).drop(columns=["permalink"])
    with pytest.raises(ValueError, match="expect_table_columns_to_match_set"):
        validator.run(df, "post_snapshots", PARAMS)
    df = with_checks([good_post(1)])
    df["post_id"] = df["post_id"].astype("int64")
    with pytest.raises(ValueError, match="expect_column_values_to_be_of_type"):
        validator.run(df, "post_snapshots", PARAMS)


def test_files_and_account_suites(validator):
    files = pd.DataFrame(
        [
            {"source_file": "a", "office_code": "35.06", "platform": "instagram", "export_kind": "instagram_content",
             "rows_in_file": 5, "platform_registered": True, "rows_vs_recent": 1.0},
            {"source_file": "b", "office_code": "99.99", "platform": "instagram", "export_kind": "instagram_content",
             "rows_in_file": 5, "platform_registered": True, "rows_vs_recent": 1.0},
            {"source_file": "c", "office_code": "35.06", "platform": None, "export_kind": None,
             "rows_in_file": 5, "platform_registered": True, "rows_vs_recent": None},
            {"source_file": "d", "office_code": "35.27", "platform": "tiktok", "export_kind": "tiktok_content",
             "rows_in_file": 5, "platform_registered": False, "rows_vs_recent": None},
            {"source_file": "e", "office_code": "35.06", "platform": "x", "export_kind": "x_account_content",
             "rows_in_file": 0, "platform_registered": True, "rows_vs_recent": 0.0},
            {"source_file": "f", "office_code": "35.06", "platform": "x", "export_kind": "x_account_content",
             "rows_in_file": 80, "platform_registered": True, "rows_vs_recent": 16.0},
        ]
    ).astype({"platform_registered": "boolean", "rows_vs_recent": "Float64"})
    out = validator.run(files, "files", PARAMS)
    got = {(f["source_file"], f["column_name"], f["severity"]) for f in out.failures}
    assert got == {
        ("b", "office_code", "critical"), ("c", "platform", "critical"), ("d", "platform_registered", "warning"),
        ("f", "rows_vs_recent", "warning"),
    }  # 'e', a quiet week (0 rows where 5 were usual), is a real week, not a wrong file
    daily = pd.DataFrame(
        [
            {"platform": "tiktok", "office_code": "35.06", "metric_date": datetime(2024, 2, 12), "followers": 10,
             "followers_gained": 1, "source_file": "t", "source_row": 2},
            {"platform": "tiktok", "office_code": "35.06", "metric_date": datetime(2024, 2, 13), "followers": -4,
             "followers_gained": 0, "source_file": "t", "source_row": 3},
        ]
    )
    out = validator.run(daily, "account_daily", PARAMS)
    assert [(f["source_row"], f["column_name"]) for f in out.failures] == [(3, "followers")]


HEADER = (
    "Post ID,Account ID,Account username,Account name,Description,Duration (sec),Publish time,"
    "Permalink,Post type,Data comment,Date,Views,Reach,Likes,Shares,Follows,Comments,Saves\n"
)


def ig(post_id, handle, likes, day="02/14/2024 09:00"):
    return f"{post_id},900,{handle},x,Jadwal tahapan,0,{day},https://www.instagram.com/p/{post_id}/,IG image,,Lifetime,100,80,{likes},1,0,2,0\n"


@pytest.fixture
def two_offices(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("office_code,platform,handle\n35.06,instagram,kpu_kabkediri\n35.07,instagram,kpu_kabmalang\n")
    return replace(settings, accounts=accounts)


def test_one_bad_row_is_quarantined_and_the_rest_loads(two_offices):
    s = two_offices
    folder = s.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    (folder / "ig.csv").write_text(HEADER + ig("101", "kpu_kabkediri", 5) + ig("102", "kpu_kabkediri", -5) + ig("103", "kpu_kabkediri", 7))
    result = run_week(s, "2024-W07")
    assert result["rows_loaded"] == 2 and result["rows_quarantined"] == 1
    con = duckdb.connect(str(s.published), read_only=True)
    try:
        assert sorted(con.sql("select post_id from raw.post_snapshots").fetchall()) == [("101",), ("103",)]
        q = con.sql("select source_file, source_row, column_name, value, check_name from raw.quarantine").fetchall()
        assert q == [("2024-W07/35.06/ig.csv", 3, "likes", "-5", "expect_column_values_to_be_between")]
        assert con.sql("select status, rows_loaded, rows_quarantined from raw.files").fetchall() == [("loaded_with_quarantine", 2, 1)]
        assert con.sql("select posts from marts.weekly_cadence where office_code='35.06' and iso_week='2024-W07'").fetchall() == [(2,)]
    finally:
        con.close()
    html = (s.outbox / "2024-W07" / "ringkasan_35_2024-W07.html").read_text()
    # one line names the office and the file once, with the row the admin can look up
    assert ("<b>KPU Kabupaten Kediri</b> · ig.csv: 1 baris ditahan, tidak dihitung: angka negatif atau tidak wajar "
            "(lebih dari 1 miliar) pada suka (baris 3)") in html


def _state(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: sorted(map(repr, con.sql(f"select * exclude (run_id) from {t}").fetchall()))
            if t.startswith("raw.post") else sorted(map(repr, con.sql(f"select * from {t}").fetchall()))
            for t in ("raw.post_snapshots", "core.posts", "marts.weekly_cadence", "marts.province_weekly")
        }
    finally:
        con.close()


def test_rejected_files_leave_the_warehouse_unchanged(two_offices):
    s = two_offices
    for office, handle in (("35.06", "kpu_kabkediri"), ("35.07", "kpu_kabmalang")):
        folder = s.landing / "2024-W07" / office
        folder.mkdir(parents=True)
        (folder / "ig.csv").write_text(HEADER + ig(f"{office[-1]}01", handle, 5))
    run_week(s, "2024-W07")
    before = _state(s.published)
    # Malang's export dropped into Kediri's folder by mistake, and a file that is no export
    (s.landing / "2024-W07" / "35.06" / "malang_again.csv").write_text(HEADER + ig("777", "kpu_kabmalang", 9))
    (s.landing / "2024-W07" / "35.06" / "notes.csv").write_text("Tanggal,Catatan\n2024-02-14,rapat\n")
    result = run_week(s, "2024-W07")
    assert result["files_rejected"] == 2
    assert _state(s.published) == before
    con = duckdb.connect(str(s.published), read_only=True)
    try:
        rows = dict(con.sql("select relative_path, status_reason from raw.files where status = 'rejected'").fetchall())
    finally:
        con.close()
    assert "all 1 rows failed checks" in rows["2024-W07/35.06/malang_again.csv"]
    assert "2024-W07/35.06/notes.csv" in rows["2024-W07/35.06/notes.csv"]
    assert "not a known platform export" in rows["2024-W07/35.06/notes.csv"]


def test_data_docs_site_is_built(two_offices):
    s = two_offices
    folder = s.landing / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    (folder / "ig.csv").write_text(HEADER + ig("101", "kpu_kabkediri", 5))
    run_week(s, "2024-W07")
    index = s.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.exists() and "post_snapshots" in index.read_text()


def test_data_docs_keep_the_last_runs_so_validation_does_not_slow_down(tmp_path, monkeypatch):
    import medsos.validate as validate

    monkeypatch.setattr(validate, "DATA_DOCS_RUNS", 2)
    site = tmp_path / "gx" / "gx" / "uncommitted"
    df = with_checks([good_post(1)])
    for _ in range(4):
        validator = Validator(tmp_path / "gx")
        validator.run(df, "post_snapshots", PARAMS)
        assert validator.build_docs().is_file()
    stored = sorted((site / "validations" / "post_snapshots").glob("*/*"))
    pages = sorted((site / "data_docs" / "local_site" / "validations" / "post_snapshots").glob("*/*"))
    assert len(stored) == 2 and [p.name for p in pages] == [p.name for p in stored]
    index = (site / "data_docs" / "local_site" / "index.html").read_text()
    linked = set(re.findall(r"validations/post_snapshots/[^/]+/(\d{8}T\d{6}\.\d+Z)/", index))
    assert linked == {p.name for p in stored}


def test_a_batch_that_fails_a_table_check_still_gets_its_data_docs_page(tmp_path):
    validator = Validator(tmp_path / "gx")
    validator.run(with_checks([good_post(1)]), "post_snapshots", PARAMS)  # page built later
    df = with_checks([good_post(2)]).drop(columns=["permalink"])
    with pytest.raises(ValueError, match="expect_table_columns_to_match_set"):
        validator.run(df, "post_snapshots", PARAMS)
    site = tmp_path / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert len(list((site / "validations" / "post_snapshots").glob("*/*/*.html"))) == 2


def test_data_docs_name_each_result_by_its_week_and_run(tmp_path, monkeypatch):
    import medsos.validate as validate

    monkeypatch.setattr(validate, "DATA_DOCS_RUNS", 2)
    df = with_checks([good_post(1)])
    for week in ("2024-W05", "2024-W06", "2024-W07"):
        validator = Validator(tmp_path / "gx", run_name=f"{week}_manual__run")
        validator.run(df, "post_snapshots", PARAMS)
        validator.build_docs()
    site = tmp_path / "gx" / "gx" / "uncommitted"
    # the two newest runs are kept, each under its own name; the oldest is gone with its page
    stored = sorted(p.parent.name for p in (site / "validations" / "post_snapshots").glob("*/*"))
    assert stored == ["2024-W06_manual__run", "2024-W07_manual__run"]
    index = (site / "data_docs" / "local_site" / "index.html").read_text()
    assert "2024-W07_manual__run" in index and "2024-W06_manual__run" in index
    assert "2024-W05_manual__run" not in index and "__none__" not in index


def test_a_result_from_another_process_gets_its_page_in_this_runs_data_docs(tmp_path):
    # a backfill's second process checks chunks with a GX context of its own (writing
    # nothing); its results travel pickled and are kept in this run's store and Data Docs
    import pickle

    apart = Validator(None, run_name="2024-W07_backfill__run")
    outcome = apart.run(with_checks([good_post(1), good_post(2, likes=-7)]), "post_snapshots", PARAMS)
    assert [f["value"] for f in outcome.failures] == ["-7"]
    here = Validator(tmp_path / "gx", run_name="2024-W07_backfill__run")
    here.adopt(pickle.loads(pickle.dumps(outcome.stored)))
    here.build_docs()
    site = tmp_path / "gx" / "gx" / "uncommitted"
    [stored] = (site / "validations" / "post_snapshots" / "2024-W07_backfill__run").glob("*/*.json")
    [page] = (site / "data_docs" / "local_site" / "validations" / "post_snapshots").glob("*/*/*.html")
    assert page.parent.name == stored.parent.name
    assert "-7" in page.read_text() and "2024-W07_backfill__run" in (
        site / "data_docs" / "local_site" / "index.html").read_text()


def test_text_that_repeats_is_checked_as_categories_with_the_same_outcome(validator, monkeypatch):
    # GX is handed repeating text (platform, office, post type, file) as categoricals, a
    # cheaper frame to copy and to compare with a set; every failure, value and count
    # must be what GX reports on the text itself
    import medsos.validate as mv

    records = [good_post(i, source_file=f"2024-W07/35.06/ig{i % 3}.csv", caption=f"Sosialisasi ke-{i}")
               for i in range(1, 400)]
    for n, (_, change) in enumerate(BAD_POSTS.items(), start=1000):
        records.append(good_post(n, **change))
    records += [good_post(2000), good_post(2000)]
    df = with_checks(records)
    seen, changed = mv._frame_for_gx(df, load_suite_json("post_snapshots"))
    assert {"platform", "office_code", "post_type", "source_file"} <= changed
    assert str(seen["platform"].dtype) == "category"
    # the post id is checked for its type and pattern, the caption does not repeat
    assert str(seen["post_id"].dtype) == "string" and "caption" not in changed
    as_categories = validator.run(df, "post_snapshots", PARAMS)
    monkeypatch.setattr(mv, "_repeats", lambda column, sample=5_000: False)
    as_text = validator.run(df, "post_snapshots", PARAMS)

    def counted(outcome):
        return [
            (r["expectation"], r["column_name"], r["success"], r["element_count"], r["unexpected_count"])
            for r in outcome.results
        ]

    assert as_categories.failures == as_text.failures
    assert counted(as_categories) == counted(as_text)
    assert as_categories.accepted.equals(as_text.accepted)
    # a missing platform is reported as the row holds it, not as a categorical's nan
    [missing] = [f for f in as_categories.failures
                 if f["check_name"] == "expect_column_values_to_not_be_null" and f["column_name"] == "platform"]
    assert missing["value"] == "<NA>"
    assert not any(r["success"] for r in as_categories.results
                   if r["expectation"] == "expect_column_values_to_be_in_set" and r["column_name"] == "platform")


def test_gx_does_not_fingerprint_the_batches(validator):
    # hashing every value of a batch only to note it among the result's batch markers
    # cost a quarter of a chunk's check; should GX rename its threshold, this fails
    outcome = validator.run(with_checks([good_post(1)]), "post_snapshots", PARAMS)
    _, result = outcome.stored
    markers = result.meta["batch_markers"]
    assert "ge_load_time" in markers and "pandas_data_fingerprint" not in markers


def test_a_result_from_the_second_process_unpickles_without_gx(tmp_path):
    # the pool's thread unpickles each result as it arrives, while this process may still
    # be importing GX in another thread: a result that needs GX to unpickle once broke
    # the pool, so the second process's GX result travels pickled apart
    import pickle
    import subprocess
    import sys

    from medsos.pipeline import validate as stage

    stage._start_apart("2024-W07_backfill__run")
    files = pd.DataFrame({
        "source_file": ["2024-W07/35.06/ig.csv"], "office_code": ["35.06"], "platform": ["instagram"],
        "export_kind": ["content"], "rows_in_file": [3], "platform_registered": [True], "rows_vs_recent": [None],
    }).astype({"platform_registered": "boolean", "rows_vs_recent": "Float64"})
    outcome = stage._files_apart(files, PARAMS)
    assert isinstance(outcome.stored, bytes) and outcome.failures == []
    sent = tmp_path / "outcome.pickle"
    sent.write_bytes(pickle.dumps(outcome))
    opened = subprocess.run(
        [sys.executable, "-c",
         "import pickle, sys; sys.modules['great_expectations'] = None; "
         f"o = pickle.loads(open({str(sent)!r}, 'rb').read()); print(type(o.stored).__name__)"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(stage.__file__).parents[2])},
    )
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "bytes"
    # and this run's context keeps it with its page
    here = Validator(tmp_path / "gx", run_name="2024-W07_backfill__run")
    here.adopt(outcome.stored)
    here.build_docs()
    assert list((tmp_path / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations"
                 / "files").rglob("*.html"))
