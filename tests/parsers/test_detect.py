"""Detection by headers only: every fixture goes to exactly one parser, look-alike headers
in another platform's language do not confuse them, and anything else is refused with a
message naming the file and what was expected."""

from __future__ import annotations

import pandas as pd
import pytest

from medsos.parsers import ALL_PARSERS, UnrecognisedExport, detect
from medsos.parsers.base import read_raw
from medsos.parsers.facebook import NotAnAccountExport

from .conftest import FIXTURES, context

EXPECTED = {
    "facebook/fb_api_pull.jsonl": "facebook_api",
    "instagram/ig_api_pull.jsonl": "instagram_api",
    "youtube/yt_api_pull.jsonl": "youtube_api",
    "tiktok/tiktok_api_pull.jsonl": "tiktok_api",
    "x/x_api_pull.jsonl": "x_api",
    "facebook/fb_content_en.csv": "facebook_content",
    "facebook/fb_content_en_legacy.csv": "facebook_content",
    "facebook/fb_content_id_provisional.csv": "facebook_content",
    "facebook/fb_content_excel_mangled.csv": "facebook_content",
    "facebook/fb_follows_daily_utf16.csv": "facebook_daily_follows",
    "instagram/ig_content_en.csv": "instagram_content",
    "instagram/ig_content_en_legacy.csv": "instagram_content",
    "instagram/ig_content_id.csv": "instagram_content",
    "instagram/ig_content_id_story.csv": "instagram_content",
    "youtube/yt_table_data_en.csv": "youtube_table_data",
    "youtube/yt_table_data_en_datetime.csv": "youtube_table_data",
    "youtube/yt_data_tabel_id.csv": "youtube_table_data",
    "youtube/yt_chart_data.csv": "youtube_chart_data",
    "youtube/yt_totals.csv": "youtube_totals",
    "tiktok/tiktok_content_en.csv": "tiktok_content",
    "tiktok/tiktok_follower_history.csv": "tiktok_follower_history",
    "x/account_analytics_content_2024-02-12_2024-02-18.csv": "x_account_content",
    "x/account_analytics_content_reordered.csv": "x_account_content",
    "x/tweet_activity_metrics_kpukabcontoh_20240301_20240331_en.csv": "x_tweet_activity",
    "x/account_overview_analytics.csv": "x_account_overview",
    "instagram/ig_follows_daily_id_utf16.csv": "instagram_daily_follows",
    "facebook/fb_views_daily_utf16.csv": "facebook_daily_follows",  # recognised, then refused with the reason
    "tiktok/tiktok_studio_overview_en.csv": "tiktok_overview",
    "tiktok/tiktok_content_hyperlink.xlsx": "tiktok_content",
    "tiktok/tiktok_legacy_export.zip": None,  # a ZIP: the landing zone reads its members
}


def test_every_fixture_is_listed():
    # real/ holds the real exports, each with its own test (tests/test_real_exports.py);
    # content/ holds the content classifier's evaluation set (tests/test_content_classifier.py)
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*")
               if p.is_file() and p.relative_to(FIXTURES).parts[0] not in ("real", "content")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize(("name", "kind"), sorted((n, k) for n, k in EXPECTED.items() if not n.endswith(".zip")))
def test_fixture_goes_to_exactly_one_parser(name, kind):
    raw = read_raw(FIXTURES / name, name)
    matching = [p.kind for p in ALL_PARSERS if p.matches(raw)]
    assert matching == ([kind] if kind else [])
    if kind is None:
        with pytest.raises(UnrecognisedExport):
            detect(raw)
    else:
        assert detect(raw).kind == kind


def test_kinds_are_unique_and_described():
    kinds = [p.kind for p in ALL_PARSERS]
    assert len(kinds) == len(set(kinds))
    assert {"facebook_content", "instagram_content", "youtube_table_data", "tiktok_content",
            "x_account_content", "x_tweet_activity"} <= set(kinds)
    # files refused for what they are (Ads Manager, Google Analytics) belong to no platform
    exports = [p for p in ALL_PARSERS if not isinstance(p, NotAnAccountExport)]
    assert all(p.description and p.platform in p.kind for p in exports)


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_raw(path, name)


def test_facebook_and_instagram_are_told_apart_by_page_and_account_columns(tmp_path):
    fb = _csv(tmp_path, "a.csv", "Post ID,Page ID,Page name,Publish time,Permalink,Post type\n")
    ig = _csv(tmp_path, "b.csv", "Post ID,Account ID,Account username,Publish time,Permalink,Post type\n")
    assert detect(fb).kind == "facebook_content"
    assert detect(ig).kind == "instagram_content"
    both = _csv(tmp_path, "c.csv", "Post ID,Page ID,Account ID,Publish time,Permalink,Post type\n")
    with pytest.raises(UnrecognisedExport):
        detect(both)


def test_tayangan_means_views_on_meta_and_impressions_on_youtube(tmp_path):
    ig = _csv(tmp_path, "ig.csv",
              '"ID Postingan","ID Akun","Nama pengguna akun","Waktu penerbitan","Jenis postingan",Tayangan\n'
              '1,2,akun,"02/14/2024 07:00","Gambar IG",1.500\n')
    yt = _csv(tmp_path, "yt.csv",
              'Konten,Judul video,Waktu publikasi video,Durasi,Penayangan,Tayangan\n'
              'Total,,,,10,1.500\nabcdefghijk,Judul,"Feb 14, 2024",300,10,1.500\n')
    ig_posts = detect(ig).parse(ig, context("ig.csv")).posts
    yt_posts = detect(yt).parse(yt, context("yt.csv")).posts
    assert (ig_posts["views"][0], ig_posts["impressions"].isna()[0]) == (1500, True)
    assert (yt_posts["views"][0], yt_posts["impressions"][0]) == (10, 1500)


def test_column_order_does_not_matter(tmp_path):
    raw = _csv(tmp_path, "x.csv",
               'Post Link,Impressions,Post text,Date,Post id\n'
               'https://x.com/a/status/1757012955624374273,5,hai,"Mon, Feb 12, 2024",1757012955624374273\n')
    assert detect(raw).kind == "x_account_content"


def test_the_file_name_is_never_used(tmp_path):
    raw = _csv(tmp_path, "Table data.csv", "Post id,Date,Post text,Post Link,Impressions\n")
    assert detect(raw).kind == "x_account_content"


def test_unknown_file_names_the_file_and_lists_what_was_expected(tmp_path):
    raw = _csv(tmp_path, "laporan.csv", "Nama,Alamat,Telepon\nA,B,C\n")
    with pytest.raises(UnrecognisedExport) as info:
        detect(raw)
    message = str(info.value)
    assert message.startswith("laporan.csv: not a known platform export")
    assert "'Nama', 'Alamat', 'Telepon'" in message
    for parser in ALL_PARSERS:
        assert parser.description in message


def test_sample_plan_exports_parse_back_to_the_plan(tmp_path):
    """A slice of the generated Jawa Timur plan (every platform, both UI languages): each
    written export is detected from its headers and parses back to the plan's posts."""
    from medsos.sample import build_plan, facebook, instagram, tiktok, x, youtube

    from .conftest import parse_path

    writers = {"facebook": facebook, "instagram": instagram, "x": x, "youtube": youtube, "tiktok": tiktok}
    plan = build_plan()
    week = plan.weeks[1]
    chosen, seen = [], {}
    for req in plan.requests:
        key = (req.account.platform, req.language)
        if req.iso_week == week and seen.get(key, 0) < 3:
            seen[key] = seen.get(key, 0) + 1
            chosen.append(req)
    assert {k[0] for k in seen} == set(writers) and ("instagram", "id") in seen and ("youtube", "id") in seen
    for i, req in enumerate(chosen):
        (path,) = writers[req.account.platform].write(req, tmp_path / str(i))
        parser, result = parse_path(path)
        assert parser.platform == req.account.platform
        assert result.problems == [], result.problems
        got = {r["post_id"]: r for r in result.posts.to_dict("records")}
        assert sorted(got) == sorted(r.post.post_id for r in req.rows)
        for r in req.rows:
            g, p = got[r.post.post_id], r.post
            day_only = g["publish_time_precision"] == "day"
            want = p.published_local.replace(hour=0, minute=0) if day_only else p.published_local
            assert g["published_local"].to_pydatetime() == want
            assert g["caption"] == p.caption
            if p.platform == "youtube":  # the type follows the duration (<= 60 s: short)
                assert g["post_type"] == ("short" if p.duration_seconds <= 60 else "video")
            else:
                assert g["post_type"] == p.post_type
            for name in ("views", "reach", "impressions", "likes", "comments", "shares", "saves"):
                assert (None if pd.isna(g[name]) else g[name]) == getattr(r.metrics, name), name


def test_every_member_of_the_legacy_tiktok_zip_is_recognised(tmp_path):
    from medsos.landing import discover, read_bytes

    folder = tmp_path / "2024-W07" / "35.06"
    folder.mkdir(parents=True)
    (folder / "tiktok_legacy_export.zip").write_bytes((FIXTURES / "tiktok" / "tiktok_legacy_export.zip").read_bytes())
    files, problems = discover(tmp_path, "2024-W07")
    assert problems == [] and all(f.problem is None for f in files)
    kinds = {}
    for f in files:
        raw = read_raw(tmp_path / f.relative_path.split("::")[0], f.relative_path, read_bytes(tmp_path, f.relative_path))
        kinds[f.relative_path.split("::")[1]] = detect(raw).kind
    assert kinds == {
        "Overview.csv": "tiktok_legacy_overview",
        "FollowerHistory.csv": "tiktok_follower_history",
        "Viewers.csv": "tiktok_legacy_viewers",
        "FollowerGender.csv": "tiktok_legacy_follower_gender",
        "FollowerTopTerritories.csv": "tiktok_legacy_follower_territories",
    }
