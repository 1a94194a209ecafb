"""`medsos backfill` loads its weeks as one batch (the landing zone listed once, one
validation, one load) and leaves the same tables as weekly runs of each week in order:
every core.* and marts.* table row for row, and what raw.files, raw.quarantine and
raw.row_warnings say of each file and row (only the run's id and times differ)."""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from warehouse_tables import tables_of

from medsos.cli import main
from medsos.pipeline import run_week
from medsos.pipeline import validate as validate_stage
from medsos.weeks import weeks_between

FIRST, LAST = "2024-W05", "2024-W08"


def _landing_with_twists(landing: Path) -> None:
    assert main(["sample", "--from", FIRST, "--to", LAST, "--landing", str(landing)]) == 0
    w5, w6 = landing / "2024-W05" / "35.01", landing / "2024-W06" / "35.01"
    [fb5, *_] = sorted(w5.glob("Jan-*.csv"))
    [fb6, *_] = sorted(w6.glob("*.csv"))
    # a copy dropped again into a later week (same office, same bytes): loads once
    shutil.copy2(fb5, landing / "2024-W07" / "35.01" / "salinan.csv")
    # a week-6 export also put in the week-5 folder and saved later than the week-6 one:
    # the week-5 run sees it first, so it is the original there (and its posts are too
    # new for week 5); a batch taking files by time alone would pick the other
    early = w5 / "dari_minggu_depan.csv"
    shutil.copy2(fb6, early)
    later = fb6.stat().st_mtime + 60
    os.utime(early, (later, later))
    # a file cut off mid-row: the cut row is quarantined, the rest loads
    cut = landing / "2024-W07" / "35.02"
    [victim, *_] = sorted(p for p in cut.glob("*.csv") if p.stat().st_size > 300)
    victim.write_bytes(victim.read_bytes().rstrip(b"\r\n") + b"\n123456789,\"Potongan")


class _Said(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("chunk_rows", [None, 500], ids=["one_chunk", "chunks_by_two_processes"])
def test_backfill_as_one_batch_equals_weekly_runs(settings, tmp_path, monkeypatch, chunk_rows):
    _landing_with_twists(settings.landing)
    for k, v in settings.as_env().items():
        monkeypatch.setenv(k, v)
    if chunk_rows:
        # a year's backfill validates its posts in chunks, shared with a second process
        monkeypatch.setattr(validate_stage, "VALIDATE_ROWS", chunk_rows)
        monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    said = _Said()
    logger = logging.getLogger("medsos.pipeline.validate")
    logger.addHandler(said)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        assert main(["backfill", "--from", FIRST, "--to", LAST]) == 0
    finally:
        logger.removeHandler(said)
    if chunk_rows:
        [(apart, runs, day_chunks, chunks)] = [tuple(map(int, m)) for m in re.findall(
            r"validate: (\d+) of (\d+) GX runs in the second process \((\d+) of account days, (\d+) of posts\)",
            "\n".join(said.lines))]
        assert chunks >= 3 and day_chunks >= 2 and runs == chunks + day_chunks
        # the two processes race for the runs; which took how many is not fixed
        assert 0 <= apart <= runs
        pages = list((settings.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations"
                      / "post_snapshots").rglob("*.html"))
        assert len(pages) == chunks  # every chunk has its Data Docs page, wherever it ran
        # the files were checked by the second process while this one loaded GX
        assert list((pages[0].parents[3] / "files").rglob("*.html"))

    weekly = replace(settings, warehouse=tmp_path / "weekly.duckdb", published=tmp_path / "weekly_pub.duckdb",
                     work=tmp_path / "w2", outbox=tmp_path / "o2", gx_dir=tmp_path / "gx2")
    for week in weeks_between(FIRST, LAST):
        run_week(weekly, week, send=False)

    batch, by_week = tables_of(settings.published), tables_of(weekly.published)
    assert set(batch) == set(by_week) and len(batch) > 15
    for name in by_week:
        assert batch[name] == by_week[name], name
    # the twists happened (the test would prove little otherwise)
    con = duckdb.connect(str(weekly.published), read_only=True)
    try:
        statuses = dict(con.sql("select relative_path, status from raw.files").fetchall())
        assert statuses["2024-W07/35.01/salinan.csv"] == "duplicate"
        assert statuses["2024-W05/35.01/dari_minggu_depan.csv"] in ("rejected", "loaded", "loaded_with_quarantine")
        assert "loaded_with_quarantine" in statuses.values()
        (runs,) = con.sql("select count(*) from raw.runs").fetchall()[0]
        assert runs == 4
    finally:
        con.close()
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        (runs,) = con.sql("select count(*) from raw.runs").fetchall()[0]
        assert runs == 1  # one batch
    finally:
        con.close()
