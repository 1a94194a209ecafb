"""Shared helpers for the parser tests: fixture files, a file context, and the round
trip sample writer -> read_raw -> detect -> parse."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from medsos.parsers import detect
from medsos.parsers.base import FileContext, ParseResult, read_raw
from medsos.sample.model import ExportRequest, ExportRow, Metrics, SampleAccount, SamplePost

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OFFICE = "35.06"
TZ = "Asia/Jakarta"
WEEK = "2024-W07"
SNAPSHOT = datetime(2024, 2, 18, 17, 0, tzinfo=UTC)  # Monday 00:00 WIB after 2024-W07

# A caption with a newline, emoji, a comma and quotes: what breaks naive CSV handling.
TRICKY_CAPTION = 'Ayo cek DPT, sekarang! 🗳️\n"Pemilih berdaulat, negara kuat." #KPUMelayani'
METRIC_FIELDS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves")


def context(relative_path: str = "file.csv", snapshot_at: datetime = SNAPSHOT) -> FileContext:
    return FileContext(relative_path, OFFICE, TZ, WEEK, snapshot_at)


def parse_path(path: Path, relative_path: str | None = None, snapshot_at: datetime = SNAPSHOT):
    """``(parser, result)`` for one file, the way the pipeline reads it."""
    rel = relative_path or path.name
    raw = read_raw(path, rel)
    parser = detect(raw)
    return parser, parser.parse(raw, context(rel, snapshot_at))


@pytest.fixture
def fixture_file():
    def get(platform: str, name: str) -> Path:
        path = FIXTURES / platform / name
        assert path.exists(), path
        return path

    return get


@pytest.fixture
def parse_fixture(fixture_file):
    def run(platform: str, name: str, snapshot_at: datetime = SNAPSHOT):
        return parse_path(fixture_file(platform, name), f"{WEEK}/{OFFICE}/{name}", snapshot_at)

    return run


def account(platform: str, handle: str = "kpukabbojonegoro", account_id: str | None = None) -> SampleAccount:
    return SampleAccount(OFFICE, "KPU Kabupaten Bojonegoro", platform, handle, account_id, "KPU Kabupaten Bojonegoro")


def post(platform: str, post_id: str, published: datetime, post_type: str, caption: str,
         permalink: str, duration: float | None = None) -> SamplePost:
    return SamplePost(OFFICE, platform, post_id, published, post_type, caption, permalink, "edukasi", 1, duration)


def request(acct: SampleAccount, rows: list[ExportRow], language: str = "en") -> ExportRequest:
    return ExportRequest(
        account=acct,
        iso_week=WEEK,
        window_start=date(2024, 2, 8),
        window_end=date(2024, 2, 18),
        snapshot_local=datetime(2024, 2, 19, 0, 0),
        language=language,
        rows=rows,
    )


def row(p: SamplePost, **metrics) -> ExportRow:
    return ExportRow(p, Metrics(**metrics))


def round_trip(writer, req: ExportRequest, folder: Path) -> tuple[list[Path], object, ParseResult]:
    paths = writer.write(req, folder)
    assert len(paths) == 1
    parser, result = parse_path(paths[0], f"{WEEK}/{OFFICE}/{paths[0].name}")
    return paths, parser, result


def _value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def assert_same_posts(req: ExportRequest, result: ParseResult, *, day_precision: bool = False,
                      fields: tuple[str, ...] = METRIC_FIELDS) -> None:
    """The parsed posts are exactly the request's: ids, local times (to the precision the
    format carries), types, captions and metrics (None stays None)."""
    assert result.problems == []
    assert result.rejected_rows == []
    got = {r["post_id"]: r for r in result.posts.to_dict("records")}
    assert sorted(got) == sorted(r.post.post_id for r in req.rows)
    for r in req.rows:
        g, p = got[r.post.post_id], r.post
        want_time = p.published_local.replace(hour=0, minute=0) if day_precision else p.published_local
        assert g["published_local"].to_pydatetime() == want_time, p.post_id
        assert g["published_at"].to_pydatetime() == want_time.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
        assert g["post_type"] == p.post_type, p.post_id
        assert g["caption"] == p.caption, p.post_id
        assert g["office_code"] == OFFICE
        for name in fields:
            assert _value(g[name]) == getattr(r.metrics, name), (p.post_id, name)
        if r.metrics.watch_time_hours is None:
            assert _value(g["watch_time_hours"]) is None
        else:
            assert g["watch_time_hours"] == pytest.approx(r.metrics.watch_time_hours, abs=1 / 3600)
