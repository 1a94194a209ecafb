"""The real TikTok exports in ``tests/fixtures/real/tiktok/`` (GitHub issue #17), read the
way the pipeline reads a landing file, for office 35.06 (WIB).

Every file's rows are counted here with the csv module (or openpyxl), independently of the
parser, and must all be accounted for: loaded, quarantined or skipped with a reason. Every
post's publish instant must be the one its video id carries (``tiktok_id_instant``, which
decodes the id without looking at any date column).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from real_exports import REAL, parse_real, real_bytes, rows_accounted, tiktok_id_instant

WIB = ZoneInfo("Asia/Jakarta")


def csv_rows(rel: str) -> list[dict[str, str]]:
    """The file's data rows as the csv module reads them: the count the parser must match."""
    return list(csv.DictReader(io.StringIO(real_bytes(rel).decode("utf-8-sig"), newline="")))


def xlsx_row_count(rel: str) -> int:
    from openpyxl import load_workbook

    sheet = load_workbook(REAL / rel, read_only=True).worksheets[0]
    return sum(1 for cells in sheet.iter_rows(min_row=2, values_only=True) if any(c is not None for c in cells))


def video_id(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def assert_publish_instants_from_ids(result) -> None:
    assert result.post_records
    for post in result.post_records:
        instant = tiktok_id_instant(post["post_id"])
        assert post["published_at"] == instant, post["post_id"]
        assert post["published_local"] == instant.astimezone(WIB).replace(tzinfo=None), post["post_id"]
        assert post["publish_time_precision"] == "second"


def days_of(result) -> list[date]:
    return [r["metric_date"].date() for r in result.daily_records]


# --------------------------------------------------------------------------- htupy


def test_htupy_content_with_a_day_only_time_loads_every_video():
    rel = "tiktok/htupy/Content.csv"
    rows = csv_rows(rel)
    assert len(rows) == 13 and {r["Time"] for r in rows} == {"February 28"}
    # delivered for 2026-W09 (23 Feb - 1 Mar 2026): the export is of Saturday 28 February 2026
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_content" and getattr(parser, "lists_posts", True)
    assert (len(result.post_records), len(result.rejected_rows), len(result.skipped)) == (13, 0, 0)
    assert rows_accounted(result) == len(rows)
    assert result.problems == []  # every day-only Post time is within a day of its id
    assert_publish_instants_from_ids(result)
    posts = {p["post_id"]: p for p in result.post_records}
    assert set(posts) == {video_id(r["Video link"]) for r in rows}
    first = posts["7527623000473079054"]
    assert (first["views"], first["likes"], first["comments"], first["shares"]) == (191265, 533, 32, 16)
    assert first["account_handle"] == "haileytupy2.0" and first["post_type"] == "video"
    assert first["published_local"] == datetime(2025, 7, 16, 17, 21, 48)  # 'July 16'
    # 'September 3' in the owner's clock is 4 September in WIB: same video, no note
    assert posts["7546034661705796877"]["published_local"] == datetime(2025, 9, 4, 8, 8, 27)
    assert posts["7531345990947851551"]["caption"] is None  # an empty title stays empty
    # the numbers are as of the end of 28 February 2026 in WIB
    end_of_export_day = datetime(2026, 3, 1, 0, 0, tzinfo=WIB).astimezone(UTC)
    assert {p["snapshot_at"] for p in result.post_records} == {end_of_export_day}


def test_htupy_content_delivered_for_a_week_before_its_newest_video_falls_back_to_the_week_end():
    # 2026-W05 ends on 1 February 2026: 'February 28' on or before it is 2025-02-28, yet
    # the file holds a video of 2 February 2026. The export day is unknown: no year is
    # guessed after the week, the rows still load, the file says why.
    parser, result = parse_real("tiktok/htupy/Content.csv", "2026-W05")
    assert parser.kind == "tiktok_content"
    assert (len(result.post_records), len(result.rejected_rows)) == (13, 0)
    assert_publish_instants_from_ids(result)
    week_end = datetime(2026, 2, 2, 0, 0, tzinfo=WIB).astimezone(UTC)
    assert {p["snapshot_at"] for p in result.post_records} == {week_end}
    (note,) = result.notes
    assert note.column == "Time" and note.value == "February 28"
    assert "2025-02-28" in note.message and "end of the delivery week (2026-02-01)" in note.message


def test_htupy_content_delivered_weeks_later_keeps_its_export_day_and_says_it_is_old():
    parser, result = parse_real("tiktok/htupy/Content.csv", "2026-W12")  # ends 22 March 2026
    end_of_export_day = datetime(2026, 3, 1, 0, 0, tzinfo=WIB).astimezone(UTC)
    assert {p["snapshot_at"] for p in result.post_records} == {end_of_export_day}
    (note,) = result.notes
    assert "made on 2026-02-28, 22 days before" in note.message


def test_htupy_follower_history_a_year_of_days_ends_before_the_export():
    rel = "tiktok/htupy/FollowerHistory.csv"
    rows = csv_rows(rel)
    assert len(rows) == 365 and (rows[0]["Date"], rows[-1]["Date"]) == ("February 28", "February 27")
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_follower_history" and parser.lists_posts is False
    assert (len(result.daily_records), len(result.rejected_rows), len(result.skipped)) == (365, 0, 0)
    assert rows_accounted(result) == len(rows)
    days = days_of(result)
    # the first row is February 28 of the year before: one day after another, none after the week
    assert days[0] == date(2025, 2, 28) and days[-1] == date(2026, 2, 27)
    assert all(later - earlier == timedelta(days=1) for earlier, later in zip(days, days[1:], strict=False))
    assert max(days) <= date(2026, 3, 1)
    by_day = {r["metric_date"].date(): r for r in result.daily_records}
    assert by_day[date(2025, 2, 28)]["followers"] is None  # 'undefined', not 0
    assert by_day[date(2025, 3, 25)]["followers"] == 37  # the first day with a number
    last = by_day[date(2026, 2, 27)]
    assert (last["followers"], last["followers_gained"], last["followers_lost"]) == (5013, 3, 0)
    assert (by_day[date(2026, 2, 26)]["followers"], by_day[date(2026, 2, 26)]["followers_lost"]) == (5010, 1)
    assert {r["snapshot_at"] for r in result.daily_records} == {datetime(2026, 3, 1, 17, 0, tzinfo=UTC)}


def test_htupy_follower_history_delivered_in_other_weeks_gets_the_years_of_those_weeks():
    # for 2026-W08 (ends 22 February 2026) the last day, February 27, is of 2025
    _, result = parse_real("tiktok/htupy/FollowerHistory.csv", "2026-W08")
    days = days_of(result)
    assert (days[0], days[-1], len(days)) == (date(2024, 2, 28), date(2025, 2, 27), 365)
    assert max(days) <= date(2026, 2, 22) and days == sorted(set(days))
    # a week well after the export still takes the latest February 27 on or before it
    _, result = parse_real("tiktok/htupy/FollowerHistory.csv", "2026-W30")
    assert (days_of(result)[0], days_of(result)[-1]) == (date(2025, 2, 28), date(2026, 2, 27))


def test_htupy_follower_activity_is_a_recognised_legacy_file():
    rel = "tiktok/htupy/FollowerActivity.csv"
    rows = csv_rows(rel)
    assert len(rows) == 7 * 24 and list(rows[0]) == ["Date", "Hour", "Active followers"]
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_legacy_follower_activity" and parser.lists_posts is False
    assert (len(result.post_records), len(result.daily_records), len(result.rejected_rows)) == (0, 0, 0)
    assert len(result.skipped) == 168 and rows_accounted(result) == len(rows)
    assert [p.row for p in result.skipped] == list(range(2, 170))
    assert all("FollowerActivity" in p.message and "does not use" in p.message for p in result.skipped)


def test_htupy_overview_is_a_recognised_legacy_file():
    rel = "tiktok/htupy/Overview.csv"
    rows = csv_rows(rel)
    assert len(rows) == 365 and rows[-1]["Video Views"] == "18237"
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_legacy_overview" and parser.lists_posts is False
    assert (len(result.post_records), len(result.daily_records), len(result.rejected_rows)) == (0, 0, 0)
    assert len(result.skipped) == 365 and rows_accounted(result) == len(rows)
    assert "Overview" in result.skipped[0].message


def test_htupy_viewers_is_a_recognised_legacy_file():
    rel = "tiktok/htupy/Viewers.csv"
    rows = csv_rows(rel)
    assert len(rows) == 365 and rows[0]["Total Viewers"] == "undefined"
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_legacy_viewers"
    assert (len(result.post_records), len(result.daily_records), len(result.rejected_rows)) == (0, 0, 0)
    assert len(result.skipped) == 365 and rows_accounted(result) == len(rows)


def test_htupy_follower_gender_is_a_recognised_legacy_file():
    rel = "tiktok/htupy/FollowerGender.csv"
    rows = csv_rows(rel)
    assert [r["Gender"] for r in rows] == ["Female", "Male", "Other"]
    parser, result = parse_real(rel, "2026-W09")
    assert parser.kind == "tiktok_legacy_follower_gender"
    assert (len(result.post_records), len(result.daily_records), len(result.rejected_rows)) == (0, 0, 0)
    assert [p.row for p in result.skipped] == [2, 3, 4] and rows_accounted(result) == 3


# --------------------------------------------------------------------------- bosszy


def test_bosszy_overview_workbook_is_a_recognised_legacy_file():
    rel = "tiktok/bosszy/Overview.xlsx"
    parser, result = parse_real(rel, "2025-W16")
    assert parser.kind == "tiktok_legacy_overview" and parser.lists_posts is False
    assert (len(result.post_records), len(result.daily_records), len(result.rejected_rows)) == (0, 0, 0)
    assert len(result.skipped) == xlsx_row_count(rel) == 7
    assert [p.row for p in result.skipped] == list(range(2, 9))


# --------------------------------------------------------------------------- vintage


def test_vintage_video_list_without_time_loads_with_the_ids_instants():
    rel = "tiktok/vintage/TIKTOK_VIDEO_RAW.csv"
    rows = csv_rows(rel)
    assert len(rows) == 51 and "Time" not in rows[0]
    parser, result = parse_real(rel, "2026-W01")  # 29 Dec 2025 - 4 Jan 2026: the newest video is of 31 Dec
    assert parser.kind == "tiktok_video_list" and getattr(parser, "lists_posts", True)
    assert (len(result.post_records), len(result.rejected_rows), len(result.skipped)) == (51, 0, 0)
    assert rows_accounted(result) == len(rows)
    assert_publish_instants_from_ids(result)
    posts = {p["post_id"]: p for p in result.post_records}
    first = posts["7567452112981069079"]
    assert (first["views"], first["likes"], first["comments"], first["shares"], first["saves"]) == (
        172353, 1774, 42, 413, 180)
    assert first["account_handle"] == "vintagerest.bg"
    assert first["published_local"] == datetime(2025, 11, 1, 1, 19, 6)  # WIB; Post time 2025/10/31 18:19:10 UTC
    assert posts["7590060843279060246"]["caption"].startswith("2025-а беше годината")  # a quoted caption
    # no Time column: the numbers are as of the delivery week's end, and the file says so
    assert {p["snapshot_at"] for p in result.post_records} == {datetime(2026, 1, 4, 17, 0, tzinfo=UTC)}
    (note,) = result.notes
    assert "no 'Time' column" in note.message and "2026-01-04" in note.message


def test_vintage_post_time_is_utc_seconds_after_the_id():
    # The evidence for the clock of a Post time with a clock, from the file alone: read as
    # UTC it is 2 to 8 seconds after the id's instant on every row (a Bulgarian account,
    # UTC+2 in winter, UTC+3 in summer: read as its local time it would be hours off).
    for row in csv_rows("tiktok/vintage/TIKTOK_VIDEO_RAW.csv"):
        written = datetime.strptime(row["Post time"], "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
        lag = (written - tiktok_id_instant(video_id(row["Video link"]))).total_seconds()
        assert 0 <= lag <= 10, row["Video link"]


def test_htupy_day_only_post_time_is_the_owners_day_not_utc_nor_wib():
    # The evidence for the clock of a day-only Post time: on every row it is the id's day
    # on US clocks; three videos made after midnight UTC carry the day before, so the
    # day is not UTC, and seven differ from the WIB day. Hence a day's tolerance.
    rows = csv_rows("tiktok/htupy/Content.csv")
    not_utc = not_wib = 0
    for row in rows:
        instant = tiktok_id_instant(video_id(row["Video link"]))

        def day(zone: str, instant=instant) -> str:
            local = instant.astimezone(ZoneInfo(zone))
            return f"{local:%B} {local.day}"

        assert row["Post time"] == day("America/New_York") == day("America/Los_Angeles"), row["Video link"]
        not_utc += row["Post time"] != day("UTC")
        not_wib += row["Post time"] != day("Asia/Jakarta")
    assert (not_utc, not_wib) == (3, 7)
