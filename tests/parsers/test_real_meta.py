"""The real Meta Business Suite files (Facebook and Instagram) in tests/fixtures/real/:
what each is recognised as, every row accounted for, values as the file writes them, and
every publish instant against what the file itself proves.

Evidence for the clock: an Instagram permalink's shortcode encodes the creation instant
(``instagram_shortcode_instant``), independent of ``Publish time``. On every real
Instagram row ``Publish time`` is that instant on the US Pacific clock, never the
office's, so a post published in Indonesia before 14:00 WIB (15:00 in the northern winter)
lands on the right day only when the column is read on that clock.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from real_exports import REAL, instagram_shortcode_instant, parse_real, real_bytes, rows_accounted

from medsos.parsers.base import ParseError

WEEK = "2026-W24"  # after the newest day any of these files shows
PACIFIC, WIB = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Jakarta")


def _csv_rows(rel: str, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The file's data rows, read with the csv module alone (an independent count)."""
    return [r for r in csv.DictReader(io.StringIO(real_bytes(rel).decode(encoding), newline="")) if any(r.values())]


def _daily_lines(rel: str) -> int:
    """Lines of a Meta daily file that hold a day (``2025-01-01T…``), whatever the series."""
    data = real_bytes(rel)
    text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    return sum(1 for line in text.splitlines() if line.lstrip('"').startswith(("20", "19")))


def _pacific(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %H:%M").replace(tzinfo=PACIFIC).astimezone(UTC)


INSTAGRAM_CONTENT = [
    "instagram/oigetit/Mar-18-2025_Apr-14-2025_1019826952924933.csv",
    "instagram/oigetit/Mar-18-2025_Apr-14-2025_578982927868853.csv",
]


@pytest.mark.parametrize("rel", INSTAGRAM_CONTENT)
def test_instagram_content_every_instant_matches_its_shortcode(rel):
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "instagram_content"
    rows = _csv_rows(rel)
    assert len(rows) == 78 == rows_accounted(result) == len(result.post_records)
    assert result.rejected_rows == [] and result.skipped == []
    wrong_day_if_local = 0
    for r in result.post_records:
        proof = instagram_shortcode_instant(r["permalink"])
        # Publish time has whole minutes and is when the post went out; the id is when the
        # media was created, up to a few minutes earlier for a post that was scheduled
        assert timedelta(seconds=-60) < r["published_at"] - proof < timedelta(minutes=15), (r["post_id"], proof)
        assert r["published_local"] == r["published_at"].astimezone(WIB).replace(tzinfo=None)
        written = next(x["Publish time"] for x in rows if x["Post ID"] == r["post_id"])
        if datetime.strptime(written, "%m/%d/%Y %H:%M").date() != r["published_local"].date():
            wrong_day_if_local += 1
    assert wrong_day_if_local == 16  # the posts an office-local reading put on the wrong day


def test_instagram_content_values():
    _, result = parse_real(INSTAGRAM_CONTENT[0], WEEK)
    post = next(r for r in result.post_records if r["permalink"] == "https://www.instagram.com/reel/DHWRIh_CLiR/")
    assert post["published_local"] == datetime(2025, 3, 18, 23, 48)  # 09:48 PDT
    assert post["post_type"] == "reel" and post["account_handle"] == "oigetit_sa"
    assert post["account_id"] == "17841446494080465"
    assert post["metric_definition"] == "meta_views_2025"
    assert all(r["views"] is not None and r["reach"] is not None for r in result.post_records)


def test_instagram_copy_without_account_columns_is_still_instagram():
    rel = "instagram/ginnyjtm/instagram-jan-jun2025.csv"
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "instagram_content"
    rows = _csv_rows(rel, "utf-8")
    assert len(rows) == 62 == len(result.post_records) == rows_accounted(result)
    for r, written in zip(result.post_records, rows, strict=True):
        assert r["post_id"] == written["Post ID"]
        assert r["published_at"] == _pacific(written["Publish time"])  # Meta's clock
    first = result.post_records[0]
    assert (first["post_id"], first["views"], first["reach"], first["likes"], first["post_type"]) == (
        "18367425319140082", 3093, 2325, 69, "reel")
    assert first["published_local"] == datetime(2025, 1, 7, 21, 30)  # 06:30 PST
    assert first["account_handle"] is None and first["permalink"] is None


def test_instagram_daily_follows():
    rel = "instagram/elitravelguy/Follows.csv"
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "instagram_daily_follows"
    assert len(result.daily_records) == 20 == _daily_lines(rel) == rows_accounted(result)
    first = result.daily_records[0]
    assert (first["platform"], first["metric_date"], first["followers_gained"]) == ("instagram", datetime(2026, 5, 25), 65)
    assert result.daily_records[-1]["metric_date"] == datetime(2026, 6, 13)


def test_facebook_content_2025_shape():
    rel = "facebook/oigetit/Jan-14-2025_Apr-14-2025_1396269028466733.csv"
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "facebook_content"
    rows = _csv_rows(rel)
    assert len(rows) == 261 == len(result.post_records) == rows_accounted(result)
    by_id = {r["post_id"]: r for r in result.post_records}
    for written in rows:
        got = by_id[written["Post ID"]]
        assert got["published_at"] == _pacific(written["Publish time"])
        # the download's name gives its date range on the same clock: every post falls in it
        assert date(2025, 1, 14) <= got["published_at"].astimezone(PACIFIC).date() <= date(2025, 4, 14)
    post = by_id["939005954986064"]
    assert (post["views"], post["reach"], post["post_type"]) == (40, 15, "image")
    assert post["published_local"] == datetime(2025, 2, 16, 20, 14)  # 05:14 PST
    assert sum(r["post_type"] == "reel" for r in result.post_records) == 6


@pytest.mark.parametrize("rel", [
    "facebook/mh4u/Dec-12-2023_Mar-06-2024_1032418178499222.csv",
    "facebook/mh4u/data.zip::Dec-12-2023_Mar-06-2024_1032418178499222.csv",
])
def test_facebook_content_pre_2025_shape_keeps_reach_and_skips_metas_error_rows(rel):
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "facebook_content"
    rows = _csv_rows(rel)
    assert len(rows) == 44 == rows_accounted(result)
    assert len(result.post_records) == 41 and result.rejected_rows == []
    assert [p.row for p in result.skipped] == [38, 733, 763]  # lines in the file (captions span lines)
    assert all("could not compute" in p.message for p in result.skipped)
    post = next(r for r in result.post_records if r["post_id"] == "1142979803545328")
    assert (post["reach"], post["impressions"], post["likes"], post["views"]) == (5969, 6970, 236, None)
    assert post["metric_definition"] == "meta_impressions_legacy"
    assert post["published_at"] == _pacific("12/12/2023 01:12")
    assert all(r["reach"] is not None for r in result.post_records)


def test_facebook_videos_export_re_saved_with_every_line_wrapped():
    rel = "facebook/vintage/Oct-31-2025_Dec-30-2025_1664278361210560.csv"
    parser, result = parse_real(rel, WEEK)
    assert parser.kind == "facebook_videos"
    wrapped = [next(csv.reader([r[0]])) for r in csv.reader(io.StringIO(real_bytes(rel).decode("utf-8-sig"), newline=""))]
    assert len(wrapped) - 1 == 45 == len(result.post_records) == rows_accounted(result)
    post = next(r for r in result.post_records if r["post_id"] == "4388442338054561")
    assert (post["reach"], post["views"], post["duration_seconds"], post["post_type"]) == (2222, 1488, 10.0, "video")
    assert post["watch_time_hours"] == pytest.approx(14321.665 / 3600, abs=1e-6)
    assert post["published_at"] == _pacific("11/01/2025 11:04")


@pytest.mark.parametrize(("rel", "kind", "days", "skipped"), [
    ("facebook/oigetit/Follows.csv", "facebook_daily_follows", {"facebook": 105}, 0),
    ("facebook/oigetit/Views.csv", "facebook_daily_other", {}, 105),
    ("facebook/vintage/Follows.csv", "facebook_daily_follows", {"facebook": 62}, 0),
    ("facebook/mh4u/data.zip::Follows.csv", "facebook_daily_follows", {"facebook": 242, "instagram": 229}, 0),
    ("facebook/mh4u/data.zip::Reach.csv", "facebook_daily_other", {}, 484),
    ("facebook/mh4u/data.zip::Visits.csv", "facebook_daily_other", None, None),
])
def test_meta_daily_files(rel, kind, days, skipped):
    parser, result = parse_real(rel, WEEK)
    assert result.kind == kind
    assert rows_accounted(result) == _daily_lines(rel)
    assert result.rejected_rows == []
    if days is not None:
        got: dict[str, int] = {}
        for r in result.daily_records:
            got[r["platform"]] = got.get(r["platform"], 0) + 1
        assert got == days
        assert len(result.skipped) == skipped


def test_meta_daily_values_and_the_resave_note():
    _, result = parse_real("facebook/oigetit/Follows.csv", WEEK)
    assert (result.daily_records[0]["metric_date"], result.daily_records[0]["followers_gained"]) == (datetime(2025, 1, 1), 0)
    from medsos.parsers.base import read_raw

    raw = read_raw(REAL / "facebook/vintage/Follows.csv", "facebook/vintage/Follows.csv")
    assert any("';'" in note for note in raw.notes)
    _, result = parse_real("facebook/vintage/Follows.csv", WEEK)
    first = result.daily_records[0]
    assert (first["metric_date"], first["followers_gained"], first["platform"]) == (datetime(2025, 10, 31), 4, "facebook")


def test_meta_audience_files():
    parser, result = parse_real("facebook/oigetit/Audience.csv", WEEK)
    assert parser.kind == "facebook_audience"
    assert result.daily_records == [] and rows_accounted(result) == len(result.skipped) == 8
    parser, result = parse_real("facebook/mh4u/data.zip::Audience.csv", WEEK)
    totals = {(r["platform"], r["followers"], r["metric_date"]) for r in result.daily_records}
    assert totals == {("facebook", 30222, datetime(2026, 6, 14)), ("instagram", 3098, datetime(2026, 6, 14))}
    assert rows_accounted(result) == 2 + 6 + 6 + 10 + 5 + 10 + 5
    assert all("no date" in n.message for n in result.notes)


@pytest.mark.parametrize(("rel", "words"), [
    ("facebook/mh4u/data-export.csv", "Google Analytics"),
    ("facebook/mh4u/data.zip::data-export.xlsx", "Google Analytics"),
    ("facebook/mh4u/data.zip::MH4U-Ads-Feb-11-2021-Mar-11-2024.xlsx", "Ads Manager"),
    ("facebook/mh4u/data.zip::Untitled-report-Apr-1-2023-to-Mar-11-2024.xlsx", "Ads Manager"),
])
def test_files_that_are_no_account_export_are_refused_for_what_they_are(rel, words):
    with pytest.raises(ParseError, match=words) as err:
        parse_real(rel, WEEK)
    assert str(err.value).startswith(rel)


def test_every_real_meta_file_is_covered_here():
    here = open(__file__, encoding="utf-8").read()
    for path in sorted((REAL / "facebook").rglob("*")) + sorted((REAL / "instagram").rglob("*")):
        if path.is_file():
            assert path.relative_to(REAL).as_posix() in here, path
