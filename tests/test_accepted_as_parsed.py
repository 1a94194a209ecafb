"""Validation writes a chunk's accepted rows only when they differ from the parsed ones.

A chunk whose every row GX accepted, none repeated and none of a rejected file, is
accepted as it was parsed: the manifest says so (``accepted_as_parsed``) and the load
reads the chunk's parsed parts. A chunk with a row held back or repeated is written as
before. Both give the tables that writing every chunk gives."""

from __future__ import annotations

import csv
from dataclasses import replace

import duckdb
from warehouse_tables import tables_of

from medsos.cli import main
from medsos.pipeline import load as load_stage
from medsos.pipeline import validate as validate_stage
from medsos.pipeline.batch import ACCEPTED_DAILY, ACCEPTED_POSTS, part_file

FIRST, LAST = "2024-W05", "2024-W07"
def _backfill(settings, monkeypatch) -> dict:
    """``medsos backfill`` of the sample weeks in chunks of 300 rows; what the load found."""
    for k, v in settings.as_env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(validate_stage, "VALIDATE_ROWS", 300)
    seen: dict = {}
    real = load_stage._read_accepted_parts

    def spy(batch, manifest):
        seen["chunks"] = list(manifest["accepted"])
        seen["day_chunks"] = list(manifest["accepted_daily"])
        seen["as_parsed"] = dict(manifest["accepted_as_parsed"])
        seen["days_as_parsed"] = dict(manifest["accepted_daily_as_parsed"])
        seen["written"] = {
            name for name in manifest["accepted"] if (batch.folder / part_file(ACCEPTED_POSTS, name)).exists()
        }
        seen["days_written"] = {
            name
            for name in manifest["accepted_daily"]
            if (batch.folder / part_file(ACCEPTED_DAILY, name)).exists()
        }
        return real(batch, manifest)

    monkeypatch.setattr(load_stage, "_read_accepted_parts", spy)
    assert main(["backfill", "--from", FIRST, "--to", LAST]) == 0
    return seen


def test_chunks_accepted_whole_are_loaded_from_their_parsed_parts(settings, tmp_path, monkeypatch):
    assert main(["sample", "--from", FIRST, "--to", LAST, "--landing", str(settings.landing)]) == 0
    # a week-6 X export with a negative count (GX holds that row back) and a row listed
    # twice (the first is kept): its chunk's accepted rows are not the parsed ones
    [export, *_] = sorted((settings.landing / "2024-W06").rglob("account_analytics_content_*.csv"))
    with export.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert len(rows) >= 2
    rows[0][header.index("Likes")] = "-5"
    with export.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows, rows[-1]])

    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")  # chunks shared with a second process
    seen = _backfill(settings, monkeypatch)
    chunks, as_parsed, written = set(seen["chunks"]), set(seen["as_parsed"]), seen["written"]
    assert len(chunks) >= 3
    # each chunk either left in its parsed parts or written, never both, and both happen
    assert as_parsed and written and as_parsed | written == chunks and not as_parsed & written
    assert all(seen["as_parsed"][name] for name in as_parsed)  # the parts (weeks) it stands for
    # the sample's account days are clean: left in their parsed parts
    assert set(seen["days_as_parsed"]) == set(seen["day_chunks"]) and not seen["days_written"]

    # every chunk written, as before: the same tables
    written_all = replace(
        settings,
        warehouse=tmp_path / "all.duckdb",
        published=tmp_path / "all_pub.duckdb",
        work=tmp_path / "w2",
        outbox=tmp_path / "o2",
        gx_dir=tmp_path / "gx2",
    )
    # (in this process alone: a second process would not see the patch)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "1")
    monkeypatch.setattr(validate_stage, "_without_rejected", lambda rows, rejected: (rows, False))
    seen_all = _backfill(written_all, monkeypatch)
    assert not seen_all["as_parsed"] and seen_all["written"] == set(seen_all["chunks"])

    mine, before = tables_of(settings.published), tables_of(written_all.published)
    assert set(mine) == set(before) and "raw.post_snapshots" in mine
    for name in before:
        assert mine[name] == before[name], name
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        (rows,) = con.sql("select count(*) from raw.post_snapshots").fetchall()[0]
        (repeated,) = con.sql("select sum(rows_duplicate) from raw.files").fetchall()[0]
        held = con.sql("select column_name, value from raw.quarantine where check_name like 'expect_%'").fetchall()
        assert rows > 300 and repeated == 1 and held == [("likes", "-5")]
    finally:
        con.close()
