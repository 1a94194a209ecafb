"""TikTok Studio content export (XLSX with a follower sheet, or CSV): parser on fixtures,
and the sample writer's round trip."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from medsos.parsers.base import read_raw
from medsos.parsers.tiktok import day_of, id_instant
from medsos.sample import tiktok as writer

from .conftest import (
    TRICKY_CAPTION,
    TZ,
    account,
    assert_same_posts,
    parse_path,
    post,
    request,
    round_trip,
    row,
)

HANDLE = "kpubojonegoro"
SNAPSHOT_LOCAL = datetime(2024, 2, 19, 9, 30)


def tiktok_id(local: datetime, low: int) -> str:
    instant = local.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    return str((int(instant.timestamp()) << 32) | low)


def tt_post(local, post_type, caption, low):
    video_id = tiktok_id(local, low)
    media = "photo" if post_type == "carousel" else "video"
    return post("tiktok", video_id, local, post_type, caption,
                f"https://www.tiktok.com/@{HANDLE}/{media}/{video_id}")


def sample_request(language="en", rows=None):
    rows = rows if rows is not None else [
        row(tt_post(datetime(2024, 2, 14, 7, 5), "video", TRICKY_CAPTION, 123456789),
            views=18400, likes=1204, comments=48, shares=31),
        row(tt_post(datetime(2024, 2, 12, 19, 30), "carousel", "Galeri kegiatan, hari 1 📸", 4242),
            views=940, likes=57, comments=None, shares=3),
        row(tt_post(datetime(2024, 2, 9, 21, 0), "video", "Cara mencoblos", 1),
            views=120000, likes=9000, comments=310, shares=0),
    ]
    req = request(account("tiktok", HANDLE), rows, language)
    return dataclasses.replace(req, snapshot_local=SNAPSHOT_LOCAL)


@pytest.mark.parametrize("language", ["en", "id"])
def test_round_trip_gives_back_the_posts(tmp_path, language):
    req = sample_request(language)
    paths, parser, result = round_trip(writer, req, tmp_path)
    assert paths[0].name == "Content.xlsx"
    assert parser.kind == "tiktok_content"
    assert_same_posts(req, result, fields=("views", "likes", "comments", "shares", "reach", "impressions", "saves"))
    posts = result.posts.set_index("post_id")
    assert set(posts["publish_time_precision"]) == {"second"}
    assert set(posts["account_handle"]) == {HANDLE}
    assert set(posts["metric_definition"]) == {"tiktok_studio_lifetime"}
    assert set(posts["source_sheet"]) == {"Content"}
    # the file's own 'Time' is the snapshot, not the delivery week's end
    snapshot = SNAPSHOT_LOCAL.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    assert (posts["snapshot_at"] == snapshot).all()


@pytest.mark.parametrize("language", ["en", "id"])
def test_follower_sheet_becomes_account_daily(tmp_path, language):
    req = sample_request(language)
    paths, parser, result = round_trip(writer, req, tmp_path)
    daily = result.account_daily
    days = [req.window_start + timedelta(days=i) for i in range((req.window_end - req.window_start).days + 1)]
    assert [d.date() for d in daily["metric_date"]] == days  # the year comes from the snapshot
    for d, rec in zip(days, daily.to_dict("records"), strict=True):
        followers = writer.followers_on(HANDLE, d)
        diff = followers - writer.followers_on(HANDLE, d - timedelta(days=1))
        assert rec["followers"] == followers
        assert (rec["followers_gained"], rec["followers_lost"]) == (max(diff, 0), max(-diff, 0))
        assert rec["account_handle"] == HANDLE and rec["source_sheet"] == "FollowerHistory"
        assert rec["platform"] == "tiktok" and rec["office_code"] == "35.06"


def test_writer_workbook_shape_and_determinism(tmp_path):
    (a,) = writer.write(sample_request("id"), tmp_path / "a")
    (b,) = writer.write(sample_request("id"), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert zipfile.is_zipfile(a)
    raw = read_raw(a, "Content.xlsx")
    assert [s.name for s in raw.sheets] == ["Content", "FollowerHistory"]
    content, followers = raw.sheets
    assert content.header == ["Time", "Video title", "Video link", "Post time", "Total likes",
                              "Total comments", "Total shares", "Total views"]
    first = content.rows[0][1]
    assert first[0] == "2024-02-19 09:30:00" and first[3] == "14 Februari"
    assert first[7] == "18,400" and first[4] == 1204  # big counts as text with a comma
    assert followers.header == ["Date", "Followers", "Difference in followers from previous day"]
    assert followers.rows[0][1][0] == "8 Februari"
    (en,) = writer.write(sample_request("en"), tmp_path / "en")
    assert read_raw(en, "Content.xlsx").sheets[0].rows[0][1][3] == "February 14"


def test_a_week_without_videos_is_a_valid_workbook(tmp_path):
    paths, parser, result = round_trip(writer, sample_request("en", []), tmp_path)
    assert parser.kind == "tiktok_content"
    assert len(result.posts) == 0 and len(result.account_daily) == 11


# --------------------------------------------------------------------------- fixtures


def test_id_carries_the_publish_instant():
    # platform-exports.md 4.3: 7412345678901234567 >> 32 = 1725821215
    assert id_instant("7412345678901234567") == datetime(2024, 9, 8, 18, 46, 55, tzinfo=UTC)


def test_csv_fixture_values(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_content_en.csv")
    assert parser.kind == "tiktok_content"
    posts = result.posts.set_index("post_id")
    first = posts.loc["7389098372232891669"]
    assert first["published_local"] == datetime(2024, 7, 8, 10, 15, 30)  # from the id, not '8 Juli'
    assert str(first["published_at"]) == "2024-07-08 03:15:30+00:00"
    assert first["likes"] == 1200 and first["views"] == 18400  # '1.2K', '"18,400"'
    assert first["caption"] == "Cek DPT online, yuk! 🗳️\n#KPUMelayani"
    assert first["account_handle"] == "kpukabcontoh"
    assert first["permalink"] == "https://www.tiktok.com/@kpukabcontoh/video/7389098372232891669"
    assert str(first["snapshot_at"]) == "2024-09-10 01:00:00+00:00"  # 'Time' 08:00 WIB
    photo = posts.loc["7409490958435221546"]
    assert photo["post_type"] == "carousel" and pd.isna(photo["comments"])  # 'undefined'
    assert photo["published_local"] == datetime(2024, 9, 1, 9, 9, 9)  # 'August 31': within a day


def test_post_time_disagreeing_with_the_id_is_reported_but_the_id_wins(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_content_en.csv")
    posts = result.posts.set_index("post_id")
    assert posts.loc["7387393571728287921", "published_local"] == datetime(2024, 7, 3, 20, 0)
    (note,) = [p for p in result.problems if p.column == "Post time"]
    assert note.row == 5 and note.value == "3 Mei" and "2024-07-03" in note.message
    assert all(r["source_row"] != 5 for r in result.rejected_rows)  # reported, not quarantined


def test_bad_count_quarantines_only_its_row(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_content_en.csv")
    assert len(result.posts) == 3
    (rejected,) = result.rejected_rows
    assert (rejected["source_row"], rejected["column"], rejected["value"]) == (6, "Total likes", "??")
    assert rejected["post_id"] == "7409163900970603955"
    (problem,) = [p for p in result.problems if p.column == "Total likes"]
    assert problem.file.endswith("tiktok_content_en.csv") and problem.row == 6


def test_workbook_with_date_cells_and_a_year_boundary(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Content"
    ws.append(["Time", "Video title", "Video link", "Post time", "Total likes", "Total comments",
               "Total shares", "Total views", "Add to favorites", "Total play time"])
    vid = tiktok_id(datetime(2023, 12, 31, 22, 0), 77)
    ws.append([datetime(2024, 1, 2, 7, 45), "Tahun baru", f"https://www.tiktok.com/@kpu/video/{vid}",
               datetime(2023, 12, 31), 10, 0, 1, "3.4K", 5, "0:09"])
    fs = wb.create_sheet("FollowerHistory")
    fs.append(["Date", "Followers", "Difference in followers from previous day"])
    fs.append(["30 Desember", "undefined", "undefined"])
    fs.append(["31 Desember", 10405, 35])
    fs.append(["1 Januari", 10399, -6])
    path = tmp_path / "Content.xlsx"
    wb.save(path)
    parser, result = parse_path(path)
    (p,) = result.posts.to_dict("records")
    assert p["published_local"] == datetime(2023, 12, 31, 22, 0) and result.problems == []
    assert p["views"] == 3400 and p["saves"] == 5
    assert p["watch_time_hours"] == pytest.approx(9 / 3600)
    assert str(p["snapshot_at"]) == "2024-01-02 00:45:00+00:00"
    daily = result.account_daily
    assert [d.date() for d in daily["metric_date"]] == [date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1)]
    assert daily["followers"].tolist()[1:] == [10405, 10399] and pd.isna(daily["followers"][0])
    assert pd.isna(daily["followers_gained"][0]) and pd.isna(daily["followers_lost"][0])
    assert (daily["followers_gained"][2], daily["followers_lost"][2]) == (0, 6)
    assert (daily["account_handle"] == "kpu").all()


def test_standalone_follower_history(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_follower_history.csv",
                                   snapshot_at=datetime(2024, 1, 3, 17, 0, tzinfo=UTC))
    assert parser.kind == "tiktok_follower_history"
    assert len(result.posts) == 0
    daily = result.account_daily
    assert [d.date() for d in daily["metric_date"]] == [
        date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2)
    ]
    assert pd.isna(daily["followers"][0])
    assert daily["followers_lost"].tolist()[1:] == [0, 6, 0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 Juli", date(2024, 7, 8)),
        ("3 Mei", date(2024, 5, 3)),
        ("August 31", date(2024, 8, 31)),
        ("December 31", date(2023, 12, 31)),
        ("2024/02/12", date(2024, 2, 12)),
        (45334, date(2024, 2, 12)),
    ],
)
def test_day_without_year(text, expected):
    assert day_of(text, date(2024, 9, 10)) == expected


def test_day_without_year_rejects_junk():
    with pytest.raises(ValueError):
        day_of("Juli", date(2024, 9, 10))
    with pytest.raises(ValueError):
        day_of("32 Juli", date(2024, 9, 10))


def test_studio_overview_gives_new_and_lost_followers(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_studio_overview_en.csv")
    assert parser.kind == "tiktok_overview" and parser.lists_posts is False
    daily = result.account_daily.to_dict("records")
    assert [(d["metric_date"].date().isoformat(), d["followers_gained"], d["followers_lost"]) for d in daily] == [
        ("2024-02-12", 7, 2), ("2024-02-13", 1, 2)]
    assert all(pd.isna(d["followers"]) for d in daily)  # the overview has no follower total


def test_hyperlink_cell_gives_its_link_not_its_label(parse_fixture):
    parser, result = parse_fixture("tiktok", "tiktok_content_hyperlink.xlsx")
    posts = result.posts.set_index("post_id")
    assert list(posts.index) == ["7335409035620862213", "7335779035620862213"]
    assert posts.loc["7335409035620862213", "permalink"].endswith("/video/7335409035620862213")
    assert posts.loc["7335409035620862213", "views"] == 1200  # '1.2K'
    assert posts.loc["7335779035620862213", "post_type"] == "carousel"  # a /photo/ link
    assert result.problems == []


def test_day_without_year_is_never_after_the_reference():
    assert day_of("September 10", date(2024, 9, 10)) == date(2024, 9, 10)
    assert day_of("September 11", date(2024, 9, 10)) == date(2023, 9, 11)
    assert day_of("29 Februari", date(2027, 3, 1)) == date(2024, 2, 29)  # the latest leap year


# --------------------------------------------------------------------------- days without a year

FOLLOWER_HEADER = '"Date","Followers","Difference in followers from previous day"\n'
WEEK_END = date(2024, 2, 18)  # conftest's delivery week 2024-W07 ends on Sunday 18 February


def follower_file(tmp_path, days: list[str]):
    path = tmp_path / "FollowerHistory.csv"
    path.write_text(FOLLOWER_HEADER + "".join(f'"{d}","{100 + i}","1"\n' for i, d in enumerate(days)),
                    encoding="utf-8")
    return parse_path(path)


def test_follower_days_across_new_year_end_on_or_before_the_week_end(tmp_path):
    parser, result = follower_file(tmp_path, ["December 30", "December 31", "January 1", "February 18"])
    assert parser.kind == "tiktok_follower_history" and result.rejected_rows == []
    assert [d.date() for d in result.account_daily["metric_date"]] == [
        date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1), date(2024, 2, 18)]


def test_follower_day_after_the_week_end_puts_the_file_a_year_back(tmp_path):
    # never after the delivery week: a last day of 19 February is the previous year's
    _, result = follower_file(tmp_path, ["February 17", "February 18", "February 19"])
    assert [d.date() for d in result.account_daily["metric_date"]] == [
        date(2023, 2, 17), date(2023, 2, 18), date(2023, 2, 19)]


def test_newest_first_follower_file_is_read_in_its_order(tmp_path):
    _, result = follower_file(tmp_path, ["February 2", "February 1", "January 31", "December 31", "December 30"])
    assert result.rejected_rows == []
    assert [d.date() for d in result.account_daily["metric_date"]] == [
        date(2024, 2, 2), date(2024, 2, 1), date(2024, 1, 31), date(2023, 12, 31), date(2023, 12, 30)]
    assert result.account_daily["followers"].tolist() == [100, 101, 102, 103, 104]


def test_a_day_that_goes_back_is_quarantined_not_guessed(tmp_path):
    _, result = follower_file(tmp_path, ["February 1", "February 2", "January 15", "February 3", "February 4"])
    (bad,) = result.rejected_rows
    assert (bad["source_row"], bad["column"], bad["value"]) == (4, "Date", "January 15")
    assert "out of order" in bad["message"] and "'February 2' (row 3)" in bad["message"]
    assert [d.date() for d in result.account_daily["metric_date"]] == [
        date(2024, 2, 1), date(2024, 2, 2), date(2024, 2, 3), date(2024, 2, 4)]


def test_a_stray_first_day_is_the_one_quarantined(tmp_path):
    _, result = follower_file(tmp_path, ["June 5", "February 1", "February 2", "February 3"])
    (bad,) = result.rejected_rows
    assert (bad["source_row"], bad["value"]) == (2, "June 5")
    assert [d.date() for d in result.account_daily["metric_date"]] == [
        date(2024, 2, 1), date(2024, 2, 2), date(2024, 2, 3)]


def test_a_repeated_day_is_quarantined(tmp_path):
    _, result = follower_file(tmp_path, ["February 1", "February 2", "February 2", "February 3"])
    assert [r["source_row"] for r in result.rejected_rows] == [4]
    assert len(result.account_daily) == 3


def test_studio_overview_days_without_a_year(tmp_path):
    path = tmp_path / "Overview.csv"
    path.write_text("Date,Video views,Net growth,New followers,Lost followers\n"
                    "December 31,10,1,2,1\nJanuary 1,12,0,1,1\n", encoding="utf-8")
    parser, result = parse_path(path)
    assert parser.kind == "tiktok_overview" and result.rejected_rows == []
    assert [d.date() for d in result.account_daily["metric_date"]] == [date(2023, 12, 31), date(2024, 1, 1)]


# --------------------------------------------------------------------------- the export's Time

CONTENT_HEADER = "Time,Video title,Video link,Post time,Total likes,Total comments,Total shares,Total views\n"


def content_file(tmp_path, time_cells: list[str], post_time: str = "14 Februari"):
    vid = tiktok_id(datetime(2024, 2, 14, 7, 5), 9)
    lines = [f'"{t}",Judul,https://www.tiktok.com/@{HANDLE}/video/{vid},{post_time},1,2,3,40\n' for t in time_cells]
    path = tmp_path / "Content.csv"
    path.write_text(CONTENT_HEADER + "".join(lines), encoding="utf-8")
    return parse_path(path)


def test_time_as_a_day_is_the_snapshot_at_that_days_end(tmp_path):
    _, result = content_file(tmp_path, ["February 16", "February 16"])
    assert len(result.posts) == 2 and result.rejected_rows == [] and result.notes == []
    end_of_day = datetime(2024, 2, 17, 0, 0, tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    assert (result.posts["snapshot_at"] == end_of_day).all()


def test_unreadable_time_costs_no_row(tmp_path):
    _, result = content_file(tmp_path, ["kemarin"])
    assert len(result.posts) == 1 and result.rejected_rows == []
    assert (result.posts["snapshot_at"] == datetime(2024, 2, 18, 17, 0, tzinfo=UTC)).all()  # the week's end
    messages = [n.message for n in result.notes]
    assert any("neither a time nor a day" in m for m in messages)
    assert any("end of the delivery week (2024-02-18)" in m for m in messages)


def test_empty_time_costs_no_row(tmp_path):
    _, result = content_file(tmp_path, [""])
    assert len(result.posts) == 1 and result.rejected_rows == []
    (note,) = result.notes
    assert "empty on every row" in note.message


def test_post_time_with_a_clock_is_utc_and_checked_against_the_id(tmp_path):
    vid = tiktok_id(datetime(2024, 2, 14, 7, 5), 9)  # 2024-02-14 00:05 UTC
    path = tmp_path / "videos.csv"
    path.write_text(
        "Video title,Video link,Post time,Video views,Likes,Comments,Shares,Add to Favorites\n"
        f"Tepat,https://www.tiktok.com/@{HANDLE}/video/{vid},2024/02/14 00:05:04,10,1,0,0,2\n"
        f"Jam WIB,https://www.tiktok.com/@{HANDLE}/video/{vid[:-1]}8,2024/02/14 07:05:04,10,1,0,0,2\n",
        encoding="utf-8")
    parser, result = parse_path(path)
    assert parser.kind == "tiktok_video_list" and len(result.posts) == 2
    assert result.posts["saves"].tolist() == [2, 2]
    (note,) = [n for n in result.notes if n.column == "Post time"]
    assert note.row == 3 and "read as UTC" in note.message
