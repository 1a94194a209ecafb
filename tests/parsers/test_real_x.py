"""The real X exports in tests/fixtures/real/x (provenance in the README there), one test
per file: what it is recognised as (or why it is refused), every row accounted for
(counted here with the csv module, apart from the parsers), a few values read off the
file, and each post's publish instant against the instant its snowflake id encodes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from real_exports import REAL, parse_real, real_bytes, rows_accounted, x_id_instant

from medsos.parsers import ALL_PARSERS, UnrecognisedExport
from medsos.parsers.base import read_raw

WORMHOLE = "x/wormhole/account_analytics_content_2024-11-21_2025-02-19.csv"
OVERVIEW = "x/wormhole/account_overview_analytics.csv"
BANKLESS = "x/bankless/tweet_activity_metrics_banklessDAO_20210508_20210608_en.csv"
BANKLESS_DAILY = "x/bankless/daily_tweet_activity_metrics_banklessDAO_20210508_20210608_en.csv"
ROPENSCI_2016 = "x/ropensci/tweet_activity_metrics_rOpenSci_20161201_20170101_en.csv"
ROPENSCI_2019 = "x/ropensci/tweet_activity_metrics_rOpenSci_20190101_20190201_en.csv"
KOE = "x/koe/test_upload.csv"


def data_rows(rel: str) -> list[dict[str, str]]:
    """The file's data rows, read with the csv module alone (blank lines are no rows)."""
    text = real_bytes(rel).decode("utf-8-sig")
    return [r for r in csv.DictReader(io.StringIO(text, newline="")) if any((v or "").strip() for v in r.values())]


def parse(rel: str, week: str):
    parser, result = parse_real(rel, week)
    assert [p.kind for p in ALL_PARSERS if p.matches(read_raw(REAL / rel, rel))] == [parser.kind]
    assert all(r["message"] for r in result.rejected_rows) and all(p.message for p in result.skipped)
    return parser, result


def by_id(result) -> dict[str, dict]:
    return {r["post_id"]: r for r in result.post_records}


def assert_id_instants(result) -> None:
    """Every post is published at the second its id encodes, and shown in WIB."""
    for r in result.post_records:
        want = x_id_instant(r["post_id"]).replace(microsecond=0)
        assert r["published_at"] == want, r["post_id"]
        assert r["published_local"] == (want + timedelta(hours=7)).replace(tzinfo=None), r["post_id"]
        assert r["publish_time_precision"] == "second", r["post_id"]


def test_wormhole_content_export_early_2025_shape():
    rows = data_rows(WORMHOLE)
    assert list(rows[0])[:5] == ["Post id", "Date", "Post text", "Link", "Impressions"] and "Share" in rows[0]
    parser, result = parse(WORMHOLE, "2025-W08")
    assert parser.kind == "x_account_content" and getattr(parser, "lists_posts", True)
    assert len(rows) == 141 == len(result.post_records) == rows_accounted(result)
    assert result.rejected_rows == [] and result.skipped == [] and result.notes == []
    # this file has no phantom rows (test_x tests them on rows in the real header shapes)
    assert not any("undefined" in r["Link"] for r in rows)
    assert_id_instants(result)
    posts = by_id(result)
    first = posts["1891564128784855141"]  # Impressions 70, Likes 3, Bookmarks 1
    assert (first["views"], first["impressions"], first["likes"], first["saves"]) == (70, 70, 3, 1)
    assert first["published_at"] == datetime(2025, 2, 17, 19, 3, 26, tzinfo=UTC)
    assert first["account_handle"] == "Wormhole_BR" and first["caption"].startswith("Faltam 2 dias para a LIVE")
    assert first["metric_definition"] == "x_analytics_content"
    last = posts["1874078422043127856"]  # Impressions 174, Likes 13, Bookmarks 0, Share 2, Replies 9, Reposts 1
    assert (last["views"], last["likes"], last["saves"], last["comments"], last["shares"]) == (174, 13, 0, 9, 3)
    assert all(r["views"] == r["impressions"] is not None for r in result.post_records)


def test_wormhole_content_dates_are_the_downloaders_day_not_utc():
    """The Date column is the id's day on the clock of whoever downloaded (UTC-3 fits every
    row of this Brazilian account); on UTC two posts would fall a day later. So the day is
    no clock to place a post by: the id is."""
    rows = data_rows(WORMHOLE)
    brasilia = timezone(timedelta(hours=-3))
    days = [(datetime.strptime(r["Date"], "%a %b %d %Y").date(), x_id_instant(r["Post id"])) for r in rows]
    assert all(day == instant.astimezone(brasilia).date() for day, instant in days)
    assert sum(day != instant.date() for day, instant in days) == 2


def test_wormhole_account_overview():
    rows = data_rows(OVERVIEW)
    parser, result = parse(OVERVIEW, "2025-W08")
    assert parser.kind == "x_account_overview" and parser.lists_posts is False
    assert len(rows) == 50 == len(result.daily_records) == rows_accounted(result)
    days = {d["metric_date"].date().isoformat(): (d["followers_gained"], d["followers_lost"])
            for d in result.daily_records}
    assert days["2025-02-18"] == (1, 0) and days["2025-02-17"] == (2, 0)  # New follows, Unfollows
    assert min(days) == "2024-12-31" and max(days) == "2025-02-18"
    assert {d["metric_definition"] for d in result.daily_records} == {"x_account_overview"}


def _classic(rel: str, week: str, count: int):
    rows = data_rows(rel)
    parser, result = parse(rel, week)
    assert parser.kind == "x_tweet_activity" and getattr(parser, "lists_posts", True)
    assert len(rows) == count == len(result.post_records) == rows_accounted(result)
    assert result.rejected_rows == [] and result.skipped == [] and result.notes == []
    # the time column is UTC: on every row it is the id's instant cut to the minute
    for r in rows:
        written = datetime.strptime(r["time"], "%Y-%m-%d %H:%M %z")
        assert r["time"].endswith(" +0000")
        assert timedelta(0) <= x_id_instant(r["Tweet id"]) - written < timedelta(minutes=1), r["Tweet id"]
    # counts written 1938.0 and promoted columns '-' are read; impressions are the views
    assert {r["promoted impressions"] for r in rows} == {"-"}
    assert all(r["views"] == r["impressions"] is not None for r in result.post_records)
    assert {r["metric_definition"] for r in result.post_records} == {"x_tweet_activity_legacy"}
    assert_id_instants(result)
    return rows, by_id(result)


def test_ropensci_tweet_activity_2016():
    rows, posts = _classic(ROPENSCI_2016, "2016-W52", 37)
    finch = posts["812369747765362688"]  # impressions 1938.0, retweets 0.0, replies 0.0, likes 1.0
    assert rows[0]["impressions"] == "1938.0"
    assert (finch["views"], finch["impressions"], finch["shares"], finch["comments"], finch["likes"]) == (
        1938, 1938, 0, 0, 1)
    assert finch["published_at"] == datetime(2016, 12, 23, 18, 50, 15, tzinfo=UTC)  # time says 18:50 +0000
    assert finch["account_handle"] == "rOpenSci" and finch["caption"].startswith("New #rstats pkg finch on CRAN")
    assert posts["804384576932081664"]["impressions"] == 3755


def test_ropensci_tweet_activity_2019():
    rows, posts = _classic(ROPENSCI_2019, "2019-W05", 31)
    first = posts["1091117122825084928"]  # impressions 2633.0, retweets 5.0, replies 0.0, likes 7.0
    assert (first["views"], first["shares"], first["comments"], first["likes"]) == (2633, 5, 0, 7)
    assert first["published_local"] == datetime(2019, 2, 1, 6, 32, 48)  # 23:32 UTC on 31 Jan is 1 Feb in WIB
    assert posts["1082688093205876736"]["impressions"] == 5218


def test_bankless_tweet_activity():
    rows, posts = _classic(BANKLESS, "2021-W23", 234)
    bed = posts["1401975206315368459"]  # impressions 5.0, retweets 3.0, replies 0.0, likes 8.0
    assert (bed["views"], bed["shares"], bed["comments"], bed["likes"]) == (5, 3, 0, 8)
    assert bed["caption"].startswith("Sleep easy with $BED Index") and "\n" in bed["caption"]
    oldest = posts["1390822870645837824"]  # impressions 24323.0, retweets 8.0, replies 1.0, likes 28.0
    assert (oldest["impressions"], oldest["shares"], oldest["comments"], oldest["likes"]) == (24323, 8, 1, 28)
    assert oldest["published_at"] == x_id_instant("1390822870645837824").replace(microsecond=0)
    assert str(oldest["published_at"]).startswith("2021-05-08 00:16:")


def test_bankless_daily_tweet_activity_is_recognised_and_loads_nothing():
    rows = data_rows(BANKLESS_DAILY)
    parser, result = parse(BANKLESS_DAILY, "2021-W23")
    assert parser.kind == "x_daily_tweet_activity" and parser.lists_posts is False
    # account totals per day, no follower count: its 'follows' are follows from tweets
    assert "follows" in rows[0] and not any("follower" in h for h in rows[0])
    assert result.post_records == [] and result.daily_records == [] and result.rejected_rows == []
    assert len(rows) == 31 == len(result.skipped) == rows_accounted(result)
    assert [p.row for p in result.skipped] == list(range(2, 33))
    assert len({p.message for p in result.skipped}) == 1 and "no follower count" in result.skipped[0].message


def test_koe_hand_made_file_is_refused_with_the_reason():
    assert len(data_rows(KOE)) == 1
    with pytest.raises(UnrecognisedExport) as info:
        parse_real(KOE, "2024-W03")
    message = str(info.value)
    assert message.startswith(f"{KOE}: not a known platform export")
    assert "'Tweet ID', 'Tweet text', 'Posted date'" in message
    assert "classic X/Twitter tweet activity export (Tweet id, Tweet permalink, Tweet text, time)" in message
