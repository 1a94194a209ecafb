"""The real YouTube Studio exports in tests/fixtures/real/youtube (provenance in the README
there), one test per file: what it is recognised as, every row accounted for (counted here
with the csv module, apart from the parsers) and values read off the file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from real_exports import REAL, parse_real, real_bytes, rows_accounted

from medsos.parsers import ALL_PARSERS
from medsos.parsers.base import read_raw

DUBBY = "youtube/dubby/Table data.csv"
LIGARDO_TABLE = "youtube/ligardo/Table data.csv"
LIGARDO_CHART = "youtube/ligardo/Chart data.csv"
LIGARDO_TOTALS = "youtube/ligardo/Totals.csv"
WEEK = "2025-W47"


def data_rows(rel: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows, read with the csv module alone (blank lines are no rows)."""
    text = real_bytes(rel).decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return header, [r for r in rows if any(c.strip() for c in r)]


def parse(rel: str):
    parser, result = parse_real(rel, WEEK)
    assert [p.kind for p in ALL_PARSERS if p.matches(read_raw(REAL / rel, rel))] == [parser.kind]
    assert all(r["message"] for r in result.rejected_rows) and all(p.message for p in result.skipped)
    return parser, result


def test_dubby_table_data():
    header, rows = data_rows(DUBBY)
    parser, result = parse(DUBBY)
    assert parser.kind == "youtube_table_data" and getattr(parser, "lists_posts", True)
    assert len(rows) == 78 == rows_accounted(result)
    assert (len(result.post_records), len(result.rejected_rows), len(result.skipped)) == (75, 2, 1)
    # the Total row is counted, with its reason
    assert rows[0][0] == "Total"
    assert [(p.row, p.message) for p in result.skipped] == [(2, "the channel total row")]
    posts = {r["post_id"]: r for r in result.post_records}
    # an id that begins with '-' is written with a leading space; the id has none
    assert rows[2][0] == " -jBLlV16Dko" and "-jBLlV16Dko" in posts
    assert not any(c.isspace() for r in result.post_records for c in r["post_id"])
    assert posts["-jBLlV16Dko"]["permalink"] == "https://www.youtube.com/watch?v=-jBLlV16Dko"
    first = posts["Vd9L2_y30Wk"]  # "May 27, 2024",29,9,0.0334,0,100
    assert (first["views"], first["impressions"], first["duration_seconds"]) == (9, 100, 29.0)
    assert first["watch_time_hours"] == pytest.approx(0.0334)
    # a publish date: the office's local day (WIB midnight), day precision
    assert first["published_local"] == datetime(2024, 5, 27) and first["publish_time_precision"] == "day"
    assert first["published_at"] == datetime(2024, 5, 26, 17, 0, tzinfo=UTC)
    assert first["post_type"] == "short" and posts["-jBLlV16Dko"]["post_type"] == "video"
    # two real videos without a publish date: quarantined, with the reason
    undated = {r[0]: r for r in rows[1:] if r[2] == ""}
    assert set(undated) == {"NIjVKGxe-tE", "RVEPlaJCPuM"}
    assert all(r[1] and r[4] == "1" and r[7] == "0" for r in undated.values())  # title, views, no impressions
    assert {r["post_id"]: (r["source_row"], r["column"]) for r in result.rejected_rows} == {
        "NIjVKGxe-tE": (10, "Video publish time"), "RVEPlaJCPuM": (12, "Video publish time")}
    assert all("no publish date" in r["message"] and "week" in r["message"] for r in result.rejected_rows)


def test_ligardo_table_data_reads_views_not_engaged_views():
    header, rows = data_rows(LIGARDO_TABLE)
    assert header.index("Engaged views") < header.index("Views")
    parser, result = parse(LIGARDO_TABLE)
    assert parser.kind == "youtube_table_data"
    assert len(rows) == 318 == rows_accounted(result)
    assert (len(result.post_records), len(result.rejected_rows)) == (317, 0)
    assert [(p.row, p.message) for p in result.skipped] == [(2, "the channel total row")]
    posts = {r["post_id"]: r for r in result.post_records}
    views_at, engaged_at = header.index("Views"), header.index("Engaged views")
    for r in rows[1:]:
        assert posts[r[0].strip()]["views"] == (int(r[views_at]) if r[views_at] else None), r[0]
    differ = [r[0] for r in rows[1:] if r[views_at] != r[engaged_at]]
    assert len(differ) == 45  # rows where the two counts differ: reading the wrong column would show
    short = posts["zvF3ifucdPA"]  # Engaged views 526, Views 2109, Impressions 96, Likes 11, Shares 1
    assert (short["views"], short["impressions"], short["likes"], short["shares"], short["comments"]) == (
        2109, 96, 11, 1, 0)
    assert short["published_local"] == datetime(2025, 11, 10) and short["post_type"] == "short"
    old = posts["1geIQxkXYGs"]  # "Sep 30, 2023",394,534,...,Likes 5,...,Views 534, Watch time 12.6245
    assert (old["views"], old["impressions"], old["likes"], old["shares"]) == (534, 1856, 5, 11)
    assert old["watch_time_hours"] == pytest.approx(12.6245) and old["caption"] == "March 27, 2021"


def test_ligardo_chart_data_with_engaged_views_is_recognised_and_loads_nothing():
    header, rows = data_rows(LIGARDO_CHART)
    assert header == ["Date", "Content", "Video title", "Video publish time", "Duration", "Engaged views"]
    parser, result = parse(LIGARDO_CHART)
    assert parser.kind == "youtube_chart_data" and parser.lists_posts is False
    assert result.post_records == [] and result.daily_records == [] and result.rejected_rows == []
    assert len(rows) == 6802 == len(result.skipped) == rows_accounted(result)
    assert len({p.message for p in result.skipped}) == 1


def test_ligardo_totals_of_engaged_views_is_recognised_and_loads_nothing():
    header, rows = data_rows(LIGARDO_TOTALS)
    assert header == ["Date", "Engaged views"]
    parser, result = parse(LIGARDO_TOTALS)
    assert parser.kind == "youtube_totals" and parser.lists_posts is False
    assert result.post_records == [] and result.daily_records == [] and result.rejected_rows == []
    assert len(rows) == 6802 == len(result.skipped) == rows_accounted(result)
    assert result.skipped[0].row == 2 and "'Engaged views'" in result.skipped[0].message
