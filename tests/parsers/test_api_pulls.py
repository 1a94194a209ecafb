"""API pull files (JSON lines written by medsos.api) read by each platform's parser, on
fixtures holding the documented response shapes (platform-exports.md section 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from medsos.parsers import detect
from medsos.parsers.base import POST_COLUMNS, ParseError, read_raw
from medsos.parsers.youtube import iso_duration_seconds

from .conftest import FIXTURES, TRICKY_CAPTION, context

REL = "2024-W07/35.06/api/{platform}/{platform}_20240219T180000000000Z.jsonl"


def parse(platform: str, name: str):
    path = FIXTURES / platform / name
    rel = REL.format(platform=platform)
    raw = read_raw(path, rel)
    parser = detect(raw)
    return parser, parser.parse(raw, context(rel))


def posts_by_id(result):
    # a record leaves out what the platform does not give; the frame makes those NULL
    return {r["post_id"]: {c: r.get(c) for c in POST_COLUMNS} for r in result.post_records}


def test_facebook_pull_joins_posts_with_insights_and_keeps_the_export_id():
    parser, result = parse("facebook", "fb_api_pull.jsonl")
    assert parser.kind == "facebook_api" and parser.lists_posts
    posts = posts_by_id(result)
    # the API id is <page>_<post>; the post id is the part the export shows
    first = posts["122158012345678901"]
    assert (first["views"], first["reach"], first["likes"], first["comments"], first["shares"]) == (1540, 980, 31, 7, 4)
    assert first["caption"] == TRICKY_CAPTION and first["post_type"] == "image"
    assert first["published_at"] == datetime(2024, 2, 13, 2, 15, 10, tzinfo=UTC)
    assert first["published_local"] == datetime(2024, 2, 13, 9, 15, 10)  # WIB
    assert first["snapshot_at"] == datetime(2024, 2, 19, 18, 0, 5, tzinfo=UTC)  # when the insights were fetched
    assert (first["source_sheet"], first["source_row"]) == ("jsonl", 3)
    reel = posts["122158012345678902"]
    # no insights fetched: views and reach unknown, never 0; no 'shares' field means nobody shared
    assert (reel["views"], reel["reach"], reel["shares"], reel["post_type"]) == (None, None, 0, "reel")
    # a count that is not a number: that post is quarantined, named by line and field
    assert "122158012345678903" not in posts
    [bad] = result.rejected_rows
    assert (bad["source_row"], bad["column"], bad["value"]) == (5, "data[0].reactions.summary.total_count", "lots")
    assert [d["followers"] for d in result.daily_records] == [5210]
    # the pull's note travels with the file into the manifest
    assert any("post_impressions" in n.message and n.row == 6 for n in result.notes)


def test_instagram_pull_leaves_out_media_older_than_the_week():
    _, result = parse("instagram", "ig_api_pull.jsonl")
    posts = posts_by_id(result)
    assert set(posts) == {"17990000000000001", "17990000000000002"}
    reel = posts["17990000000000001"]
    assert (reel["post_type"], reel["views"], reel["reach"], reel["saves"], reel["shares"]) == ("reel", 3400, 2100, 9, 12)
    assert reel["impressions"] is None and reel["metric_definition"] == "instagram_graph_api_views"
    carousel = posts["17990000000000002"]
    # too few viewers for insights: the counts the media list has, the rest unknown
    assert (carousel["post_type"], carousel["likes"], carousel["comments"], carousel["views"]) == ("carousel", 10, 0, None)
    assert result.daily_records[0]["followers"] == 7300
    assert result.daily_records[0]["metric_date"] == datetime(2024, 2, 20)  # 01:00 WIB on the 20th


def test_youtube_pull_reads_string_counts_hidden_likes_shorts_and_upcoming_lives():
    _, result = parse("youtube", "yt_api_pull.jsonl")
    posts = posts_by_id(result)
    video = posts["2q4TS4z4Rpk"]
    assert (video["views"], video["likes"], video["comments"], video["duration_seconds"]) == (8542, 196, 14, 247.0)
    assert video["post_type"] == "video" and video["permalink"] == "https://www.youtube.com/watch?v=2q4TS4z4Rpk"
    short = posts["aB3dE5fG7hI"]
    # likes hidden and comments closed: absent in the API, unknown here
    assert (short["post_type"], short["likes"], short["comments"]) == ("short", None, None)
    live = posts["zZ9yY8xX7wW"]
    assert (live["post_type"], live["duration_seconds"]) == ("live", None)
    assert result.daily_records[0]["followers"] == 3100
    assert all(r["account_id"] == "UCxxxxxxxxxxxxxxxxxxxxxx" for r in result.post_records)


def test_tiktok_pull_takes_the_weeks_videos_across_cursor_pages():
    _, result = parse("tiktok", "tiktok_api_pull.jsonl")
    posts = posts_by_id(result)
    assert set(posts) == {"7335000000000000001", "7335000000000000002"}  # not last week's video
    first = posts["7335000000000000001"]
    assert first["published_at"] == datetime.fromtimestamp(1707955200, tz=UTC)
    assert (first["views"], first["likes"], first["comments"], first["shares"]) == (18400, 1200, 48, 31)
    assert (first["reach"], first["impressions"], first["watch_time_hours"]) == (None, None, None)
    assert posts["7335000000000000002"]["views"] == 900  # a count sent as a string
    assert posts["7335000000000000002"]["caption"] == "Bimtek KPPS"  # no description: the title
    assert result.post_records[0]["account_handle"] == "kpukabkediri"


def test_x_pull_maps_public_metrics_and_rejects_a_bad_time_by_line_and_field():
    _, result = parse("x", "x_api_pull.jsonl")
    posts = posts_by_id(result)
    first = posts["1757000000000000001"]
    assert (first["impressions"], first["likes"], first["comments"], first["shares"], first["saves"]) == (1500, 20, 1, 3, 2)
    assert first["views"] == 1500  # impression_count is the post's views, as X's apps call it
    assert first["metric_definition"] == "x_api_v2_public_metrics"
    assert first["permalink"] == "https://x.com/kpukabkediri/status/1757000000000000001"
    assert first["account_id"] == "1400000000000000001"  # looked up by handle during the pull
    # a negative count is read as written: the validation suite quarantines it
    assert posts["1757000000000000002"]["likes"] == -4
    [bad] = result.rejected_rows
    assert (bad["source_row"], bad["column"], bad["value"]) == (4, "data[0].created_at", "not a time")
    assert bad["post_id"] == "1757000000000000003"


@pytest.mark.parametrize("platform", ["facebook", "instagram", "youtube", "tiktok", "x"])
def test_detect_tells_pull_files_apart_by_their_header(platform):
    name = {"facebook": "fb", "instagram": "ig", "youtube": "yt"}.get(platform, platform) + "_api_pull.jsonl"
    parser, _ = parse(platform, name)
    assert parser.kind == f"{platform}_api" and parser.platform == platform


def test_a_pull_without_its_end_record_is_refused(tmp_path):
    lines = (FIXTURES / "x" / "x_api_pull.jsonl").read_text(encoding="utf-8").splitlines()[:-1]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_raw(path, "2024-W07/35.06/api/x/x.jsonl")
    with pytest.raises(ParseError, match=r"api/x/x.jsonl: the pull did not finish"):
        detect(raw).parse(raw, context("2024-W07/35.06/api/x/x.jsonl"))


def test_a_pull_moved_to_another_office_folder_is_refused(tmp_path):
    lines = (FIXTURES / "tiktok" / "tiktok_api_pull.jsonl").read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0]) | {"office_code": "35.07"}
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join([json.dumps(head), *lines[1:]]) + "\n", encoding="utf-8")
    raw = read_raw(path, "2024-W07/35.06/api/tiktok/t.jsonl")
    with pytest.raises(ParseError, match=r"pull for office '35.07' lies in the folder of office 35.06"):
        detect(raw).parse(raw, context("2024-W07/35.06/api/tiktok/t.jsonl"))


def test_json_lines_that_are_not_a_pull_are_unrecognised(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text('{"id": 1, "likes": 3}\n', encoding="utf-8")
    raw = read_raw(path, "2024-W07/35.06/dump.jsonl")
    with pytest.raises(ParseError, match="not a known platform export"):
        detect(raw)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT4M7S", 247.0), ("PT1H2M3S", 3723.0), ("P1DT2H", 93600.0), ("PT45S", 45.0), ("P0D", None)],
)
def test_iso_durations(text, seconds):
    assert iso_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["4:07", "PT", "P", "PT4M7", "1 hour"])
def test_bad_iso_durations_are_errors(text):
    with pytest.raises(ValueError, match="ISO-8601 duration"):
        iso_duration_seconds(text)
