"""Facebook Page content export: parser on hand-made fixtures, and the sample writer's
round trip."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import pytest

from medsos.parsers import UnrecognisedExport, detect
from medsos.parsers.base import ParseError, read_raw
from medsos.sample import facebook as writer

from .conftest import (
    SNAPSHOT,
    TRICKY_CAPTION,
    account,
    assert_same_posts,
    context,
    post,
    request,
    round_trip,
    row,
)

PAGE = "100064123456789"


def fb_post(post_id, published, post_type, caption, duration=None):
    return post("facebook", post_id, published, post_type, caption,
                f"https://www.facebook.com/{PAGE}/posts/{post_id}", duration)


def sample_request(rows=None):
    rows = rows if rows is not None else [
        row(fb_post("122158012345678901", datetime(2024, 2, 14, 7, 5), "image", TRICKY_CAPTION),
            views=12345, reach=9876, likes=1204, comments=31, shares=12),
        row(fb_post("122158012345678902", datetime(2024, 2, 12, 19, 30), "reel",
                    "Cara mencoblos yang benar\nSimak sampai habis, ya 😊, jangan golput", 47.0),
            views=None, reach=4022, likes=180, comments=20, shares=0, watch_time_hours=10.6142),
        row(fb_post("122158012345678903", datetime(2024, 2, 9, 21, 0), "video", "Rapat pleno terbuka", 905.0),
            views=800, reach=700, likes=30, comments=None, shares=2, watch_time_hours=2.5),
        row(fb_post("122158012345678904", datetime(2024, 2, 10, 8, 0), "text",
                    "Info lengkap di https://kpu.go.id"),
            views=90, reach=80, likes=3, comments=0, shares=1),
    ]
    return request(account("facebook", "kpubojonegoro", PAGE), rows)


# --------------------------------------------------------------------------- round trip


def test_round_trip_gives_back_the_posts(tmp_path):
    req = sample_request()
    paths, parser, result = round_trip(writer, req, tmp_path / "out")
    assert parser.kind == "facebook_content"
    assert result.kind == "facebook_content" and result.platform == "facebook"
    assert_same_posts(req, result, fields=("views", "reach", "likes", "comments", "shares"))
    posts = result.posts.set_index("post_id")
    assert posts.loc["122158012345678902", "duration_seconds"] == 47.0
    assert pd.isna(posts.loc["122158012345678901", "duration_seconds"])
    assert set(posts["saves"].isna()) == {True} and set(posts["impressions"].isna()) == {True}
    assert set(posts["publish_time_precision"]) == {"minute"}
    assert set(posts["metric_definition"]) == {"meta_views_2025"}
    assert set(posts["account_id"]) == {PAGE}
    assert posts.loc["122158012345678903", "permalink"] == f"https://www.facebook.com/{PAGE}/posts/122158012345678903"
    assert (posts["snapshot_at"] == SNAPSHOT).all()
    assert posts["source_sheet"].isna().all()
    assert sorted(posts["source_row"]) == sorted(posts["source_row"].unique())


def test_writer_file_name_bytes_and_determinism(tmp_path):
    req = sample_request()
    (a,) = writer.write(req, tmp_path / "one")
    (b,) = writer.write(req, tmp_path / "two")
    assert re.fullmatch(r"Feb-08-2024_Feb-18-2024_\d{16}\.csv", a.name)
    assert a.name == b.name and a.read_bytes() == b.read_bytes()
    data = a.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert b'"12,345"' in data and b"Lifetime" in data
    # the multi-line caption stays inside one quoted cell
    assert "Ayo cek DPT, sekarang! 🗳️\n".encode() in data


def test_same_handle_on_instagram_does_not_collide(tmp_path):
    from medsos.sample import instagram

    req = sample_request([])
    (fb,) = writer.write(req, tmp_path)
    ig_req = request(account("instagram", "kpubojonegoro", "17841400000000001"), [])
    (ig,) = instagram.write(ig_req, tmp_path)
    assert fb.name != ig.name


def test_a_week_without_posts_is_a_valid_header_only_file(tmp_path):
    paths, parser, result = round_trip(writer, sample_request([]), tmp_path)
    assert parser.kind == "facebook_content"
    assert len(result.posts) == 0 and result.problems == []


# --------------------------------------------------------------------------- fixtures


def test_english_fixture_values(parse_fixture):
    parser, result = parse_fixture("facebook", "fb_content_en.csv")
    assert parser.kind == "facebook_content"
    posts = result.posts.set_index("post_id")
    first = posts.loc["122158012345678901"]
    assert first["caption"] == "Sosialisasi tahapan Pilkada 2026, hadir di Balai Desa\n#KPUMelayani 🗳️"
    assert first["views"] == 1204 and first["reach"] == 880 and first["likes"] == 41
    assert first["comments"] == 6 and first["shares"] == 10
    assert first["post_type"] == "image"
    assert first["published_local"] == datetime(2026, 6, 3, 9, 15)
    assert str(first["published_at"]) == "2026-06-03 02:15:00+00:00"  # WIB = UTC+7
    assert first["source_row"] == 2
    reel = posts.loc["122158012345679999"]
    # the longer of Title and Description is the caption
    assert reel["caption"] == "Video sosialisasi pemilih pemula\nTonton sampai habis, ya! 😊"
    assert reel["post_type"] == "reel" and reel["duration_seconds"] == 47.0
    assert reel["watch_time_hours"] == pytest.approx(38211 / 3600, abs=1e-6)
    assert reel["source_row"] == 4  # the first post's caption spans lines 2-3
    link = posts.loc["122158012345670002"]
    assert link["post_type"] == "text"
    assert pd.isna(link["views"])  # blank Views: unknown, not 0
    live = posts.loc["122158012345670004"]
    assert live["views"] == 12480 and live["reach"] == 9001 and live["watch_time_hours"] == 500.0


def test_bad_number_quarantines_the_row_and_keeps_the_rest(parse_fixture):
    parser, result = parse_fixture("facebook", "fb_content_en.csv")
    assert "122158012345670003" not in set(result.posts["post_id"])
    assert len(result.posts) == 4
    (problem,) = result.problems
    assert problem.file.endswith("fb_content_en.csv")  # lines 2-3 and 4-5 hold two posts
    assert problem.row == 7 and problem.column == "Reactions" and problem.value == "1O"
    assert "fb_content_en.csv, row 7, column 'Reactions'" in str(problem)
    (rejected,) = result.rejected_rows
    assert rejected["source_row"] == 7 and rejected["column"] == "Reactions" and rejected["value"] == "1O"
    assert rejected["source_sheet"] is None and rejected["message"]


def test_legacy_impressions_are_not_views(parse_fixture):
    parser, result = parse_fixture("facebook", "fb_content_en_legacy.csv")
    assert parser.kind == "facebook_content"
    posts = result.posts.set_index("post_id")
    assert set(posts["metric_definition"]) == {"meta_impressions_legacy"}
    assert posts["views"].isna().all()
    assert list(posts["impressions"]) == [3400, 900]
    assert list(posts["reach"]) == [2100, 700]
    assert list(posts["likes"]) == [150, 30]
    assert posts.loc["122150000000000012", "watch_time_hours"] == 2.0


def test_provisional_indonesian_headers_use_indonesian_numbers(parse_fixture):
    parser, result = parse_fixture("facebook", "fb_content_id_provisional.csv")
    assert parser.kind == "facebook_content"
    (p,) = result.posts.to_dict("records")
    assert p["views"] == 1204 and p["likes"] == 57 and p["shares"] == 10
    assert p["published_local"] == datetime(2024, 2, 14, 6, 30)


def test_excel_mangled_ids_are_quarantined(parse_fixture):
    parser, result = parse_fixture("facebook", "fb_content_excel_mangled.csv")
    assert parser.kind == "facebook_content"
    assert len(result.posts) == 0
    (problem,) = result.problems
    assert problem.column == "Post ID" and "scientific notation" in problem.message


def test_missing_required_columns_raise_naming_file_and_columns(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text("Post ID,Page ID,Publish time,Permalink\n1,2,02/14/2024 07:00,https://x\n", encoding="utf-8")
    raw = read_raw(path, "2024-W07/35.06/cut.csv")
    parser = detect(raw)
    assert parser.kind == "facebook_content"
    with pytest.raises(ParseError, match=r"2024-W07/35\.06/cut\.csv.*Post type"):
        parser.parse(raw, context("2024-W07/35.06/cut.csv"))


def test_meta_daily_follows_file_gives_new_followers_per_day(fixture_file):
    raw = read_raw(fixture_file("facebook", "fb_follows_daily_utf16.csv"), "w/35.06/Follows (1).csv")
    assert raw.encoding == "utf-16"
    parser = detect(raw)
    assert (parser.kind, parser.platform, parser.lists_posts) == ("facebook_daily_follows", "facebook", False)
    result = parser.parse(raw, context("w/35.06/Follows (1).csv"))
    assert len(result.posts) == 0
    daily = result.account_daily
    assert list(daily["followers_gained"][:2]) == [20, 17]
    assert daily["metric_date"][0] == datetime(2025, 8, 1)
    assert daily["followers"].isna().all()  # a daily gain is not a follower total
    assert list(daily["source_row"][:2]) == [4, 5]  # sep= and the title line come first


def test_meta_daily_indonesian_instagram_title_routes_to_instagram(tmp_path):
    path = tmp_path / "Pengikut (1).csv"
    text = 'sep=,\r\n"Pengikut Instagram"\r\n"Tanggal","Primary"\r\n"2025-08-01T00:00:00","3"\r\n"2025-08-02T00:00:00","-"\r\n'
    path.write_bytes(text.encode("utf-16"))
    raw = read_raw(path, "w/35.06/Pengikut (1).csv")
    parser = detect(raw)
    assert parser.kind == "instagram_daily_follows"
    result = parser.parse(raw, context("w/35.06/Pengikut (1).csv"))
    gained = result.account_daily["followers_gained"]
    assert gained[0] == 3 and pd.isna(gained[1])  # '-' is unknown, never 0


def test_meta_daily_file_of_another_metric_is_recognised_and_its_rows_skipped_with_the_reason(tmp_path):
    path = tmp_path / "Views (1).csv"
    path.write_bytes('sep=,\n"Tayangan"\n"Tanggal","Primary"\n"2025-08-01T00:00:00","120"\n'.encode("utf-16"))
    raw = read_raw(path, "w/35.06/Views (1).csv")
    result = detect(raw).parse(raw, context("w/35.06/Views (1).csv"))
    assert result.kind == "facebook_daily_other"
    assert result.daily_records == [] and result.rejected_rows == []
    (skipped,) = result.skipped
    assert skipped.row == 4 and "'Tayangan'" in skipped.message and "not part of the weekly evaluation" in skipped.message


def test_meta_daily_file_with_two_series_gives_each_platform_its_days(tmp_path):
    # as Meta writes it since 2023: 'Follows' (the Page's) then 'Instagram follows', a blank line between
    text = ('sep=,\r\n"Follows"\r\n"Date","Primary"\r\n"2023-07-08T00:00:00","7"\r\n"2023-07-09T00:00:00","14"\r\n'
            '\r\n"Instagram follows"\r\n"Date","Primary"\r\n"2023-07-08T00:00:00","2"\r\n')
    path = tmp_path / "Follows.csv"
    path.write_bytes(text.encode("utf-16"))
    raw = read_raw(path, "w/35.06/Follows.csv")
    parser = detect(raw)
    assert parser.kind == "facebook_daily_follows"
    result = parser.parse(raw, context("w/35.06/Follows.csv"))
    got = [(r["platform"], r["metric_date"].date().isoformat(), r["followers_gained"], r["source_row"])
           for r in result.daily_records]
    assert got == [("facebook", "2023-07-08", 7, 4), ("facebook", "2023-07-09", 14, 5), ("instagram", "2023-07-08", 2, 9)]


def test_semicolon_resave_without_sep_line_is_read_and_says_so(tmp_path):
    path = tmp_path / "Follows.csv"
    path.write_text("Facebook follows;\nDate;Primary\n2025-10-31T00:00:00;4\n2025-11-01T00:00:00;2\n", encoding="utf-8")
    raw = read_raw(path, "w/35.06/Follows.csv")
    assert any("';'" in note and "saved again" in note for note in raw.notes)
    result = detect(raw).parse(raw, context("w/35.06/Follows.csv"))
    assert [r["followers_gained"] for r in result.daily_records] == [4, 2]


def test_a_line_wrapped_resave_is_unwrapped_and_a_bad_one_keeps_a_reason(tmp_path):
    good = tmp_path / "wrapped.csv"
    good.write_text('"Post ID,""Page ID"",""Publish time"",Permalink,""Post type"""\n'
                    '"1,2,""02/13/2024 16:00"",https://x/1,Photos"\n', encoding="utf-8")
    raw = read_raw(good, "w/35.06/wrapped.csv")
    assert raw.first_sheet().header == ["Post ID", "Page ID", "Publish time", "Permalink", "Post type"]
    assert any("one quoted field" in note for note in raw.notes)
    (post,) = detect(raw).parse(raw, context("w/35.06/wrapped.csv")).post_records
    assert post["published_local"] == datetime(2024, 2, 14, 7, 0)  # 16:00 PST is 07:00 WIB the next day
    bad = tmp_path / "notes.csv"
    bad.write_text('"just some notes, nothing else, at all"\n"more notes, here"\n', encoding="utf-8")
    raw = read_raw(bad, "w/35.06/notes.csv")
    with pytest.raises(UnrecognisedExport, match=r"notes\.csv: not a known platform export\. Its header row is '.+'"):
        detect(raw)


def test_day_first_publish_time_is_refused_not_guessed(tmp_path):
    path = tmp_path / "fb.csv"
    path.write_bytes(
        "\ufeffPost ID,Page ID,Page name,Title,Publish time,Permalink,Post type,Views\r\n"
        "122158012345678902,1,P,B,02/03/2024 10:00,https://f/2,Photos,5\r\n"
        "122158012345678901,1,P,A,13/02/2024 10:00,https://f/1,Photos,5\r\n".encode()
    )
    raw = read_raw(path, "fb.csv")
    # 02/03 would read as 3 February but means 2 March: the whole file is refused
    with pytest.raises(ParseError, match=r"fb\.csv, row 3, column 'Publish time'.*day-first"):
        detect(raw).parse(raw, context("fb.csv"))
