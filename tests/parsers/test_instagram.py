"""Instagram content export (English and Indonesian UI): parser on fixtures, and the
sample writer's round trip."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import pytest

from medsos.sample import instagram as writer

from .conftest import TRICKY_CAPTION, account, assert_same_posts, post, request, round_trip, row

ACCOUNT_ID = "17841400000000001"


def ig_post(post_id, published, post_type, caption, duration=None):
    kind = {"reel": "reel", "story": "stories/kpubojonegoro"}.get(post_type, "p")
    return post("instagram", post_id, published, post_type, caption,
                f"https://www.instagram.com/{kind}/C{post_id[-6:]}/", duration)


def sample_request(language="en", rows=None):
    rows = rows if rows is not None else [
        row(ig_post("17990000000000001", datetime(2024, 2, 14, 7, 5), "image", TRICKY_CAPTION),
            views=12345, reach=9876, likes=1204, comments=31, shares=12, saves=40),
        row(ig_post("17990000000000002", datetime(2024, 2, 12, 19, 30), "reel", "Tata cara mencoblos 🗳️", 34.0),
            views=5310, reach=None, likes=180, comments=20, shares=0, saves=7),
        row(ig_post("17990000000000003", datetime(2024, 2, 9, 21, 0), "carousel", "Bimtek PPK, hari 1\nhari 2"),
            views=800, reach=700, likes=30, comments=None, shares=2, saves=None),
        row(ig_post("17990000000000004", datetime(2024, 2, 10, 8, 0), "story", "", 15.0),
            views=109, reach=84, likes=1, comments=0, shares=0, saves=0),
    ]
    return request(account("instagram", "kpubojonegoro", ACCOUNT_ID), rows, language)


@pytest.mark.parametrize("language", ["en", "id"])
def test_round_trip_gives_back_the_posts(tmp_path, language):
    req = sample_request(language)
    paths, parser, result = round_trip(writer, req, tmp_path)
    assert parser.kind == "instagram_content"
    # an empty caption comes back as None; compare the others exactly
    story = result.posts.set_index("post_id").loc["17990000000000004"]
    assert pd.isna(story["caption"])
    rows = [r for r in req.rows if r.post.caption]
    result.posts = result.posts[result.posts["post_id"] != "17990000000000004"].reset_index(drop=True)
    assert_same_posts(request(req.account, rows, language), result,
                      fields=("views", "reach", "likes", "comments", "shares", "saves"))
    posts = result.posts.set_index("post_id")
    assert set(posts["account_handle"]) == {"kpubojonegoro"} and set(posts["account_id"]) == {ACCOUNT_ID}
    assert posts.loc["17990000000000002", "duration_seconds"] == 34.0
    assert pd.isna(posts.loc["17990000000000001", "duration_seconds"])  # '0' on an image
    assert posts["impressions"].isna().all()
    assert set(posts["metric_definition"]) == {"meta_views_2025"}
    assert story["post_type"] == "story" and story["duration_seconds"] == 15.0


def test_writer_bytes_per_language(tmp_path):
    (en,) = writer.write(sample_request("en"), tmp_path / "en")
    (id_,) = writer.write(sample_request("id"), tmp_path / "id")
    assert re.fullmatch(r"Feb-08-2024_Feb-18-2024_\d{16}\.csv", en.name)
    en_bytes, id_bytes = en.read_bytes(), id_.read_bytes()
    assert en_bytes.startswith("\ufeffPost ID,Account ID,Account username".encode())
    assert b"Lifetime" in en_bytes and b'"12,345"' in en_bytes and b"IG carousel" in en_bytes
    assert id_bytes.startswith(b"ID Postingan,ID Akun,Nama pengguna akun")
    assert b"Sepanjang Masa" in id_bytes and b"Carousel IG" in id_bytes and b"Cerita IG" in id_bytes
    assert writer.write(sample_request("id"), tmp_path / "again")[0].read_bytes() == id_bytes


def test_a_week_without_posts_is_a_valid_header_only_file(tmp_path):
    for language in ("en", "id"):
        paths, parser, result = round_trip(writer, sample_request(language, []), tmp_path / language)
        assert parser.kind == "instagram_content" and len(result.posts) == 0


def test_english_fixture_values(parse_fixture):
    parser, result = parse_fixture("instagram", "ig_content_en.csv")
    assert parser.kind == "instagram_content"
    assert result.problems == []
    posts = result.posts.set_index("post_id")
    image = posts.loc["17990000000000001"]
    assert image["caption"] == "Yuk cek DPT online! 🗳️\nCaranya mudah, klik link di bio."
    assert (image["views"], image["reach"], image["likes"], image["shares"], image["comments"], image["saves"]) == (
        1604, 950, 83, 4, 5, 11
    )
    assert image["published_local"] == datetime(2026, 3, 27, 6, 8)
    assert image["account_handle"] == "kpu_kab_contoh" and image["account_id"] == "17841400000000001"
    assert posts.loc["17990000000000002", "views"] == 12001 and posts.loc["17990000000000002", "reach"] == 8400
    assert list(posts["post_type"]) == ["image", "reel", "carousel", "story", "carousel"]
    story = posts.loc["17990000000000004"]
    assert pd.isna(story["comments"]) and pd.isna(story["saves"]) and pd.isna(story["caption"])
    # a collaboration post owned by another account: kept, with that account's handle
    collab = posts.loc["17990000000000005"]
    assert collab["account_handle"] == "tamu_kolab" and collab["account_id"] == "17841400000000999"
    assert pd.isna(collab["reach"]) and collab["views"] == 4051


def test_indonesian_fixture_values(parse_fixture):
    parser, result = parse_fixture("instagram", "ig_content_id.csv")
    assert parser.kind == "instagram_content"
    posts = result.posts.set_index("post_id")
    reel = posts.loc["111"]
    assert reel["caption"] == "baris satu\nbaris dua, ada koma 🎉"
    assert reel["post_type"] == "reel" and reel["duration_seconds"] == 60.0
    # Meta's Tayangan is views; Jangkauan reach; Frekuensi Disimpan saves
    assert (reel["views"], reel["likes"], reel["shares"], reel["comments"], reel["saves"], reel["reach"]) == (
        11351, 367, 15, 12, 3, 6740
    )
    assert reel["published_local"] == datetime(2026, 6, 17, 0, 45)
    assert posts.loc["222", "views"] == 1204  # '1.204' in an Indonesian file
    assert posts.loc["222", "post_type"] == "image"
    assert posts.loc["333", "account_handle"] == "tamu" and pd.isna(posts.loc["333", "reach"])


def test_indonesian_day_first_time_is_a_problem_not_a_guess(parse_fixture):
    parser, result = parse_fixture("instagram", "ig_content_id.csv")
    assert "444" not in set(result.posts["post_id"])
    (problem,) = result.problems
    assert problem.row == 6 and problem.column == "Waktu penerbitan" and problem.value == "13/07/2026 10:00"
    assert len(result.posts) == 3


def test_indonesian_story_columns(parse_fixture):
    parser, result = parse_fixture("instagram", "ig_content_id_story.csv")
    (p,) = result.posts.to_dict("records")
    assert p["post_type"] == "story" and p["views"] == 109 and p["reach"] == 84 and p["likes"] == 1
    assert pd.isna(p["comments"]) and pd.isna(p["saves"])


def test_legacy_impressions_and_plays(parse_fixture):
    parser, result = parse_fixture("instagram", "ig_content_en_legacy.csv")
    posts = result.posts.set_index("post_id")
    assert set(posts["metric_definition"]) == {"meta_impressions_legacy"}
    assert posts["views"].isna().all()
    assert posts.loc["17980000000000001", "impressions"] == 2300
    assert posts.loc["17980000000000002", "impressions"] == 5400  # Plays on a reel


def test_missing_post_id_is_a_problem_and_the_rest_still_loads(tmp_path):
    from .conftest import parse_path

    path = tmp_path / "ig.csv"
    path.write_bytes(
        "\ufeffPost ID,Account ID,Account username,Description,Publish time,Permalink,Post type,Views\r\n"
        ",17841400000000001,kpu,Tanpa id,02/14/2024 07:00,https://i/p/1,IG image,5\r\n"
        "17990000000000002,17841400000000001,kpu,Ada id,02/14/2024 08:00,https://i/p/2,IG image,6\r\n".encode()
    )
    parser, result = parse_path(path, "2024-W07/35.06/ig.csv")
    assert list(result.posts["post_id"]) == ["17990000000000002"]
    (problem,) = result.problems
    assert (problem.file, problem.row, problem.column) == ("2024-W07/35.06/ig.csv", 2, "Post ID")
    assert "required" in problem.message
