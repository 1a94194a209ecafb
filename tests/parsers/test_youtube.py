"""YouTube Studio table export (English and Indonesian UI): parser on fixtures, and the
sample writer's round trip."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from medsos.parsers import ALL_PARSERS, UnrecognisedExport, detect
from medsos.parsers.base import ParseError, read_raw
from medsos.parsers.youtube import YouTubeTableData, YouTubeTotals
from medsos.sample import youtube as writer

from .conftest import (
    TRICKY_CAPTION,
    account,
    assert_same_posts,
    context,
    post,
    request,
    round_trip,
    row,
)


def yt_post(video_id, published, caption, duration):
    post_type = "short" if duration <= 60 else "video"
    return post("youtube", video_id, published, post_type, caption,
                f"https://www.youtube.com/watch?v={video_id}", duration)


def sample_request(language="en", rows=None):
    rows = rows if rows is not None else [
        row(yt_post("2q4TS4z4Rpk", datetime(2024, 2, 14, 7, 5), TRICKY_CAPTION, 2496.0),
            views=12345, impressions=138912, likes=1204, comments=31, shares=12, watch_time_hours=927.5816),
        row(yt_post("-aBcDeFgHiJ", datetime(2024, 2, 12, 19, 30), "Cara mencoblos #shorts", 45.0),
            views=1300, impressions=None, likes=40, comments=0, shares=2, watch_time_hours=9.25),
        row(yt_post("ZyXwVuTsRqP", datetime(2024, 2, 9, 21, 0), "Debat publik, sesi 1", 5400.0),
            views=0, impressions=15000, likes=None, comments=None, shares=None, watch_time_hours=None),
    ]
    return request(account("youtube", "kpubojonegoro"), rows, language)


@pytest.mark.parametrize("language", ["en", "id"])
def test_round_trip_gives_back_the_posts(tmp_path, language):
    req = sample_request(language)
    paths, parser, result = round_trip(writer, req, tmp_path)
    assert paths[0].name == ("Data tabel.csv" if language == "id" else "Table data.csv")
    assert parser.kind == "youtube_table_data"
    assert_same_posts(req, result, day_precision=True,
                      fields=("views", "impressions", "likes", "comments", "shares", "reach", "saves"))
    posts = result.posts.set_index("post_id")
    assert set(posts["publish_time_precision"]) == {"day"}
    assert set(posts["metric_definition"]) == {"youtube_studio_window"}
    assert posts.loc["-aBcDeFgHiJ", "permalink"] == "https://www.youtube.com/watch?v=-aBcDeFgHiJ"
    assert posts.loc["-aBcDeFgHiJ", "duration_seconds"] == 45.0
    assert posts["account_handle"].isna().all()


def test_writer_total_row_and_number_formats(tmp_path):
    (en,) = writer.write(sample_request("en"), tmp_path / "en")
    (id_,) = writer.write(sample_request("id"), tmp_path / "id")
    en_lines = en.read_text(encoding="utf-8").split("\n")
    assert en_lines[0].startswith("Content,Video title,Video publish time,Duration,Views")
    assert en_lines[1] == "Total,,,,13645,936.8316,1244,31,14,153912"
    assert ' -aBcDeFgHiJ,Cara mencoblos #shorts,"Feb 12, 2024",45,1300,' in en.read_text(encoding="utf-8")
    id_text = id_.read_text(encoding="utf-8")
    assert id_text.startswith("Konten,Judul video,Waktu publikasi video,Durasi,Penayangan")
    assert 'Total,,,,13.645,"936,8316",1.244,31,14,153.912' in id_text
    assert "14 Feb 2024" in id_text
    assert writer.write(sample_request("id"), tmp_path / "again")[0].read_bytes() == id_.read_bytes()


def test_a_range_without_videos_is_a_valid_file(tmp_path):
    paths, parser, result = round_trip(writer, sample_request("en", []), tmp_path)
    assert parser.kind == "youtube_table_data"
    assert len(result.posts) == 0 and result.problems == []


def test_english_fixture_values_and_total_row_skipped(parse_fixture):
    parser, result = parse_fixture("youtube", "yt_table_data_en.csv")
    assert parser.kind == "youtube_table_data"
    posts = result.posts.set_index("post_id")
    assert "Total" not in posts.index  # the Total row is not a video, and not a problem either
    assert all(p.row != 2 for p in result.problems)
    assert [(p.row, p.message) for p in result.skipped] == [(2, "the channel total row")]  # but counted
    frm = posts.loc["2q4TS4z4Rpk"]
    assert frm["caption"] == "Ultimate Guide to Acing FRM Part I 2024: Exam Insights & Strategic Study Plan"
    assert frm["published_local"] == datetime(2024, 1, 6) and frm["publish_time_precision"] == "day"
    assert str(frm["published_at"]) == "2024-01-05 17:00:00+00:00"  # local midnight, WIB
    assert (frm["views"], frm["impressions"], frm["likes"], frm["comments"], frm["shares"]) == (
        8542, 138912, 196, 12, 7
    )
    assert frm["watch_time_hours"] == pytest.approx(927.5816)
    assert frm["duration_seconds"] == 2496.0 and frm["post_type"] == "video"
    assert frm["source_row"] == 3
    # an id that begins with '-' arrives with a leading space: trimmed
    short = posts.loc["-aBcDeFgHi"]
    assert short["post_type"] == "short" and short["caption"] == "Sosialisasi Pemilu 2024, bagian 2 🗳️"


def test_bad_number_names_file_row_and_column(parse_fixture):
    parser, result = parse_fixture("youtube", "yt_table_data_en.csv")
    assert len(result.posts) == 2
    (problem,) = result.problems
    assert problem.file == "2024-W07/35.06/yt_table_data_en.csv"
    assert (problem.row, problem.column, problem.value) == (5, "Likes", "x7")
    assert result.rejected_rows[0]["post_id"] == "ZZZ_bad_num"


def test_indonesian_tayangan_is_impressions_and_penayangan_views(parse_fixture):
    parser, result = parse_fixture("youtube", "yt_data_tabel_id.csv")
    assert parser.kind == "youtube_table_data"
    assert result.problems == []
    posts = result.posts.set_index("post_id")
    debate = posts.loc["AbCdEfGhIjK"]
    assert debate["views"] == 1234  # Penayangan '1.234'
    assert debate["impressions"] == 40000  # Tayangan '40.000'
    assert debate["watch_time_hours"] == pytest.approx(2200.5)  # '2200,5'
    assert posts.loc["LmNoPqRsTuV", "watch_time_hours"] == pytest.approx(74.5676)
    assert posts.loc["LmNoPqRsTuV", "impressions"] == 5120
    assert posts.loc["LmNoPqRsTuV", "post_type"] == "short"


def test_publish_time_with_a_time_of_day(parse_fixture):
    parser, result = parse_fixture("youtube", "yt_table_data_en_datetime.csv")
    (p,) = result.posts.to_dict("records")
    assert p["published_local"] == datetime(2026, 7, 20, 13, 18) and p["publish_time_precision"] == "second"
    assert p["impressions"] == 100  # the older 'Impressions' header


@pytest.mark.parametrize(
    ("name", "kind"), [("yt_chart_data.csv", "youtube_chart_data"), ("yt_totals.csv", "youtube_totals")]
)
def test_chart_data_and_totals_are_recognised_and_load_nothing(fixture_file, name, kind):
    raw = read_raw(fixture_file("youtube", name), name)
    parser = detect(raw)
    assert parser.kind == kind and parser.platform == "youtube" and parser.lists_posts is False
    result = parser.parse(raw, context(name))
    assert result.kind == kind and result.posts.empty and result.account_daily.empty
    assert not result.problems
    # nothing loaded, but every row is accounted for, with the reason
    (skipped,) = result.skipped
    assert skipped.row == 2 and skipped.message


def _totals(tmp_path, text, name="Totals.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    raw = read_raw(path, name)
    assert [p.kind for p in ALL_PARSERS if p.matches(raw)] == ["youtube_totals"]
    parser = detect(raw)
    return parser, parser.parse(raw, context(name))


@pytest.mark.parametrize("metric", ["Views", "Engaged views", "Watch time (hours)", "Impressions",
                                    "Estimated revenue (USD)"])
def test_totals_with_any_other_single_metric_is_recognised_and_loads_nothing(tmp_path, metric):
    parser, result = _totals(tmp_path, f"Date,{metric}\n2025-03-09,10\n2025-03-10,0.5\n")
    assert parser.kind == "youtube_totals" and parser.lists_posts is False
    assert result.post_records == [] and result.daily_records == [] and result.rejected_rows == []
    assert [p.row for p in result.skipped] == [2, 3]
    assert all(f"'{metric}'" in p.message for p in result.skipped)


def test_subscribers_totals_are_the_net_change_per_day(tmp_path):
    """Totals.csv with the metric Subscribers, in the real Totals shape (``Date,<metric>``,
    ISO days, one row a day): the channel's net change per day, as account days."""
    parser, result = _totals(tmp_path, "Date,Subscribers\n2025-03-09,3\n2025-03-10,-2\n2025-03-11,0\n")
    assert parser.kind == "youtube_totals" and parser.lists_posts is False
    days = {d["metric_date"].date().isoformat(): (d["followers"], d["followers_gained"], d["followers_lost"])
            for d in result.daily_records}
    assert days == {"2025-03-09": (None, 3, 0), "2025-03-10": (None, 0, 2), "2025-03-11": (None, 0, 0)}
    assert {d["metric_definition"] for d in result.daily_records} == {"youtube_studio_subscribers_net"}
    assert [d["source_row"] for d in result.daily_records] == [2, 3, 4]
    assert result.skipped == [] and result.rejected_rows == []


def test_subscribers_totals_in_indonesian_and_a_bad_cell(tmp_path):
    parser, result = _totals(tmp_path, "Tanggal,Subscriber\n2025-03-09,1.204\n2025-03-10,banyak\n")
    assert [(d["followers_gained"], d["followers_lost"]) for d in result.daily_records] == [(1204, 0)]
    (bad,) = result.rejected_rows
    assert (bad["source_row"], bad["column"], bad["value"]) == (3, "Subscriber", "banyak") and bad["message"]


def test_meta_daily_files_are_not_youtube_totals(tmp_path):
    # 'Date','Primary' under a title line is Meta's; only YouTube writes 'Date,<metric>' bare
    path = tmp_path / "Follows.csv"
    path.write_bytes("sep=,\nFollows\n\"Date\",\"Primary\"\n\"2025-03-09T00:00:00\",\"3\"\n".encode("utf-16"))
    raw = read_raw(path, "Follows.csv")
    assert "youtube_totals" not in [p.kind for p in ALL_PARSERS if p.matches(raw)]
    path.write_text("Date,Primary\n2025-03-09,3\n", encoding="utf-8")
    assert not YouTubeTotals().matches(read_raw(path, "Follows.csv"))


def test_chart_data_with_another_metric_last_and_in_indonesian(tmp_path):
    for header in ("Date,Content,Video title,Video publish time,Duration,Engaged views",
                   "Tanggal,Konten,Judul video,Waktu publikasi video,Durasi,Penayangan"):
        path = tmp_path / "Chart data.csv"
        path.write_text(f'{header}\n2025-03-09,abcdefghijk,Judul,"Mar 9, 2025",3600,10\n', encoding="utf-8")
        raw = read_raw(path, "Chart data.csv")
        assert [p.kind for p in ALL_PARSERS if p.matches(raw)] == ["youtube_chart_data"]


def test_missing_publish_time_column_is_refused(tmp_path):
    path = tmp_path / "Table data.csv"
    path.write_text("Content,Video title,Views\nTotal,,5\nabc,Judul,5\n", encoding="utf-8")
    raw = read_raw(path, "Table data.csv")
    with pytest.raises(UnrecognisedExport):
        detect(raw)
    with pytest.raises(ParseError, match=r"Table data\.csv.*Video publish time"):
        YouTubeTableData().parse(raw, context("Table data.csv"))


def test_no_account_in_the_table(parse_fixture):
    parser, result = parse_fixture("youtube", "yt_data_tabel_id.csv")
    assert result.posts["account_handle"].isna().all() and result.posts["account_id"].isna().all()
    assert pd.isna(result.posts["reach"]).all()


def test_a_two_column_list_that_is_no_studio_file_is_not_totals(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Tanggal,Catatan\n2024-02-14,rapat\n", encoding="utf-8")
    assert [p.kind for p in ALL_PARSERS if p.matches(read_raw(path, "notes.csv"))] == []
