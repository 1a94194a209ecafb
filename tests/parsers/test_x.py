"""X account analytics content export and the classic tweet-activity export: parser on
fixtures, and the sample writer's round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from medsos.parsers import ALL_PARSERS, detect
from medsos.parsers.base import ParseError, read_raw
from medsos.parsers.x import TWITTER_EPOCH_MS, XTweetActivity, snowflake_instant
from medsos.sample import x as writer

from .conftest import (
    TRICKY_CAPTION,
    TZ,
    account,
    assert_same_posts,
    context,
    post,
    request,
    round_trip,
    row,
)

HANDLE = "kpubojonegoro"


def snowflake(local: datetime, seq: int) -> str:
    ms = int(local.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC).timestamp() * 1000)
    return str(((ms - TWITTER_EPOCH_MS) << 22) | seq)


def x_post(local, caption, seq):
    post_id = snowflake(local, seq)
    return post("x", post_id, local, "text", caption, f"https://x.com/{HANDLE}/status/{post_id}")


def sample_request(rows=None):
    rows = rows if rows is not None else [
        row(x_post(datetime(2024, 2, 14, 7, 5), TRICKY_CAPTION, 1), impressions=12345, likes=1204, comments=31,
            shares=12, saves=40),
        row(x_post(datetime(2024, 2, 12, 23, 59), "Hari ini 投票日 🗳️, ayo!", 2), impressions=None, likes=5,
            comments=0, shares=None, saves=None),
        row(x_post(datetime(2024, 2, 9, 0, 1), "Rekap, hari 1", 3), impressions=900, likes=0, comments=None,
            shares=0, saves=1),
    ]
    return request(account("x", HANDLE), rows, "id")  # X headers stay English


def test_round_trip_gives_back_the_posts(tmp_path):
    req = sample_request()
    paths, parser, result = round_trip(writer, req, tmp_path)
    assert paths[0].name == "account_analytics_content_2024-02-08_2024-02-18.csv"
    assert parser.kind == "x_account_content"
    assert_same_posts(req, result, fields=("reach", "impressions", "likes", "comments", "shares", "saves"))
    posts = result.posts
    assert set(posts["publish_time_precision"]) == {"second"}
    assert set(posts["post_type"]) == {"text"} and set(posts["account_handle"]) == {HANDLE}
    assert set(posts["metric_definition"]) == {"x_analytics_content"}
    # X's impressions are its views ("Views" in X's apps): both columns carry them, None stays None
    views = {r["post_id"]: (r["views"], r["impressions"]) for r in result.post_records}
    assert views == {r.post.post_id: (r.metrics.impressions,) * 2 for r in req.rows}


def test_writer_bytes(tmp_path):
    (a,) = writer.write(sample_request(), tmp_path / "a")
    (b,) = writer.write(sample_request(), tmp_path / "b")
    data = a.read_bytes()
    assert data == b.read_bytes()
    assert data.startswith(b"Post id,Date,Post text,Post Link,Impressions")  # no BOM
    assert b'"Wed, Feb 14, 2024"' in data and b'"12,345"' in data and b'"1,204"' in data


def test_a_week_without_posts_is_a_valid_file(tmp_path):
    paths, parser, result = round_trip(writer, sample_request([]), tmp_path)
    assert parser.kind == "x_account_content" and len(result.posts) == 0


def test_snowflake_gives_the_instant():
    assert snowflake_instant("1757012955624374273") == datetime(2024, 2, 12, 12, 5, 7, tzinfo=UTC)


def test_fixture_values_and_snowflake_time(parse_fixture):
    parser, result = parse_fixture("x", "account_analytics_content_2024-02-12_2024-02-18.csv")
    assert parser.kind == "x_account_content"
    posts = result.posts.set_index("post_id")
    first = posts.loc["1757012955624374273"]
    assert first["published_local"] == datetime(2024, 2, 12, 19, 5, 7)  # the Date only says Feb 12
    assert first["publish_time_precision"] == "second"
    assert (first["impressions"], first["likes"], first["comments"], first["saves"]) == (1234, 20, 3, 2)
    assert first["shares"] == 5  # Reposts 4 + Shares 1
    assert first["caption"] == "Cek DPT online, yuk! 🗳️\n#KPUMelayani"
    assert first["account_handle"] == "kpukabcontoh"
    assert posts.loc["1757562799518646274", "caption"] == "国民民主党 地方議員集計 2024/02/14"
    assert posts.loc["1757562799518646274", "impressions"] == 122978


def test_snowflake_disagreeing_with_date_keeps_the_date(parse_fixture):
    parser, result = parse_fixture("x", "account_analytics_content_2024-02-12_2024-02-18.csv")
    odd = result.posts.set_index("post_id").loc["2074000000000000001"]
    assert odd["published_local"] == datetime(2026, 7, 14) and odd["publish_time_precision"] == "day"
    (note,) = [p for p in result.problems if p.column == "Date"]
    assert note.row == 5 and "2026-07-06" in note.message
    assert all(r["source_row"] != 5 for r in result.rejected_rows)


def test_bad_number_names_file_row_and_column(parse_fixture):
    parser, result = parse_fixture("x", "account_analytics_content_2024-02-12_2024-02-18.csv")
    assert len(result.posts) == 3
    (rejected,) = result.rejected_rows
    assert (rejected["source_row"], rejected["column"], rejected["value"]) == (6, "Impressions", "banyak")
    (problem,) = [p for p in result.problems if p.column == "Impressions"]
    assert "account_analytics_content_2024-02-12_2024-02-18.csv, row 6, column 'Impressions'" in str(problem)


def test_columns_in_another_order_and_without_shares(parse_fixture):
    parser, result = parse_fixture("x", "account_analytics_content_reordered.csv")
    (p,) = result.posts.to_dict("records")
    assert (p["impressions"], p["likes"], p["comments"], p["shares"], p["saves"]) == (500, 20, 2, 5, 1)
    assert p["published_local"] == datetime(2024, 2, 16, 9, 0)


def test_classic_tweet_activity(parse_fixture):
    parser, result = parse_fixture("x", "tweet_activity_metrics_kpukabcontoh_20240301_20240331_en.csv")
    assert parser.kind == "x_tweet_activity"
    (p,) = result.posts.to_dict("records")
    assert str(p["published_at"]) == "2024-03-15 18:42:00+00:00"
    assert p["published_local"] == datetime(2024, 3, 16, 1, 42)  # WIB
    # the id says 18:10:09: not the same minute, so the time column stands, and says why
    assert p["publish_time_precision"] == "minute"
    (note,) = result.notes
    assert (note.row, note.column) == (2, "time") and "2024-03-15 18:10:09 UTC" in note.message
    assert (p["impressions"], p["likes"], p["comments"], p["shares"]) == (1500, 40, 2, 6)
    assert p["account_handle"] == "kpukabcontoh" and p["views"] == 1500  # impressions are X's views
    assert p["caption"] == "Rekapitulasi suara, hari ke-3"


def test_tweet_activity_without_time_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Tweet id,Tweet permalink,Tweet text,impressions\n1,https://twitter.com/a/status/1,x,5\n")
    raw = read_raw(path, "t.csv")
    with pytest.raises(ParseError, match=r"t\.csv.*time"):
        XTweetActivity().parse(raw, context("t.csv"))


def test_account_overview_gives_daily_follows_and_unfollows(parse_fixture):
    parser, result = parse_fixture("x", "account_overview_analytics.csv")
    assert parser.kind == "x_account_overview" and parser.lists_posts is False
    assert len(result.posts) == 0
    daily = {d["metric_date"].date().isoformat(): (d["followers_gained"], d["followers_lost"])
             for d in result.account_daily.to_dict("records")}
    assert daily == {"2024-02-18": (3, 1), "2024-02-17": (0, 2)}  # newest first in the file


# The two generations of the content export's header, as real files write them (the early
# one from the real file in fixtures/real/x/wormhole, the later one as in the fixtures here).
HEADER_2025_EARLY = ("Post id,Date,Post text,Link,Impressions,Likes,Engagements,Bookmarks,Share,New follows,"
                     "Replies,Reposts,Profile visits,Detail expands,Url clicks,Hashtag clicks,Permalink clicks")
HEADER_2025_LATER = ("Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,"
                     "Replies,Reposts,Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks")
ZEROS = ",".join(["0"] * 13)


@pytest.mark.parametrize(("header", "day"), [(HEADER_2025_EARLY, "Mon Feb 12 2024"),
                                             (HEADER_2025_LATER, '"Mon, Feb 12, 2024"')])
def test_phantom_rows_are_skipped_and_counted_not_quarantined(tmp_path, header, day):
    """X's newer content export writes rows for no post: a status/undefined link, no post
    id, nothing but zeros. (No real file here has one; the rows follow the real headers.)"""
    post_id = "1757012955624374273"
    path = tmp_path / "account_analytics_content_2024-02-12_2024-02-18.csv"
    path.write_text(
        f"{header}\n"
        f"{post_id},{day},Cek DPT,https://x.com/{HANDLE}/status/{post_id},1234,20,40,2,1,0,3,4,0,5,0,0,0\n"
        f"undefined,{day},,https://x.com/{HANDLE}/status/undefined,{ZEROS}\n"
        f",,,https://x.com/{HANDLE}/status/undefined,{ZEROS}\n"
        f",{day},,https://x.com/{HANDLE}/status/undefined,7,{','.join(['0'] * 12)}\n",
        encoding="utf-8",
    )
    raw = read_raw(path, path.name)
    parser = detect(raw)
    assert [p.kind for p in ALL_PARSERS if p.matches(raw)] == ["x_account_content"]
    result = parser.parse(raw, context(path.name))
    (post,) = result.post_records
    assert post["post_id"] == post_id and (post["views"], post["impressions"], post["shares"]) == (1234, 1234, 5)
    assert post["published_at"] == datetime(2024, 2, 12, 12, 5, 7, tzinfo=UTC)  # the id's second
    assert [(p.row, p.message) for p in result.skipped] == [
        (3, "X wrote a row for no post (status/undefined)"), (4, "X wrote a row for no post (status/undefined)")]
    # a status/undefined row with a count that is not zero is no phantom: it is quarantined
    (bad,) = result.rejected_rows
    assert (bad["source_row"], bad["column"]) == (5, "Post id") and "status/undefined" in bad["message"]
    assert len(result.post_records) + len(result.rejected_rows) + len(result.skipped) == 4


def test_early_2025_header_reads_link_share_and_its_date(tmp_path):
    path = tmp_path / "account_analytics_content_2024-11-21_2025-02-19.csv"
    # 1757012955624374273 is 12 Feb 2024, 12:05:07 UTC; 2074000000000000001 says July 2026,
    # months away from its Date, so the Date is used, to the day
    path.write_text(
        f"{HEADER_2025_EARLY}\n"
        f"1757012955624374273,Mon Feb 12 2024,Cek DPT,https://x.com/{HANDLE}/status/1757012955624374273,"
        "70,3,3,1,2,0,4,1,0,0,0,0,0\n"
        f"2074000000000000001,Fri Feb 16 2024,Tanggal,https://x.com/{HANDLE}/status/2074000000000000001,"
        "5,0,0,0,0,0,0,0,0,0,0,0,0\n",
        encoding="utf-8",
    )
    raw = read_raw(path, path.name)
    parser = detect(raw)
    assert parser.kind == "x_account_content"
    result = parser.parse(raw, context(path.name))
    first, second = result.post_records
    assert (first["views"], first["likes"], first["saves"], first["comments"], first["shares"]) == (70, 3, 1, 4, 3)
    assert first["permalink"] == f"https://x.com/{HANDLE}/status/1757012955624374273"
    assert first["account_handle"] == HANDLE and first["publish_time_precision"] == "second"
    assert second["published_local"] == datetime(2024, 2, 16) and second["publish_time_precision"] == "day"
    (note,) = result.notes
    assert note.row == 3 and "2026-07-06" in note.message


def test_the_id_places_a_post_without_a_date_and_an_id_without_a_time_is_quarantined(tmp_path):
    path = tmp_path / "account_analytics_content.csv"
    path.write_text(
        f"{HEADER_2025_LATER}\n"
        f"1757012955624374273,,Tanpa tanggal,https://x.com/{HANDLE}/status/1757012955624374273,{ZEROS}\n"
        f'{"9" * 40},"Mon, Feb 12, 2024",Bukan id X,https://x.com/{HANDLE}/status/1,{ZEROS}\n',
        encoding="utf-8",
    )
    raw = read_raw(path, path.name)
    result = detect(raw).parse(raw, context(path.name))
    (post,) = result.post_records
    assert post["published_at"] == datetime(2024, 2, 12, 12, 5, 7, tzinfo=UTC) and post["views"] == 0
    (bad,) = result.rejected_rows
    assert (bad["source_row"], bad["column"]) == (3, "Post id") and "creation time" in bad["message"]
