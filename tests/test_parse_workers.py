"""A big batch is parsed by worker processes; the outcome must not depend on how many."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from medsos import pipeline
from medsos.pipeline.batch import part_file
from medsos.sample import build_plan, write_sample


def parse_week(settings, run_id):
    batch = pipeline.find_new_files(settings, "2024-W07", run_id)
    counts = pipeline.parse_files(settings, batch)
    posts = pipeline.read_frame(batch.folder / pipeline.PARSED_POSTS, pipeline.POST_COLUMNS)
    daily = pipeline.read_frame(
        batch.folder / pipeline.ACCOUNT_DAILY, pipeline.ACCOUNT_DAILY_COLUMNS
    )
    manifest = batch.read_json(pipeline.FILES_JSON)["files"]
    return counts, posts, daily, manifest


def files_in_workers(caplog) -> list[int]:
    return [
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r"parse: \d+ files in this process, (\d+) in workers", r.getMessage()))
    ]


@pytest.mark.parametrize("workers", ["2", "3"])
def test_worker_processes_give_the_same_batch_as_one_process(
    settings, monkeypatch, caplog, workers
):
    caplog.set_level(logging.INFO, logger="medsos.pipeline")
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W07"))
    # a landing file that cannot be read, to see rejections come back from a worker too
    (settings.landing / "2024-W07" / "35.06" / "rusak.csv").write_bytes(b"\x00\x01 junk")
    monkeypatch.setattr(pipeline.parse, "PARSE_IN_PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline.parse, "PARSE_CHUNK", 4)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "1")
    alone = parse_week(settings, "alone")
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", workers)
    shared = [parse_week(settings, "fresh_workers")]
    # a backfill keeps its workers from batch to batch: by the second they are running
    with pipeline.parse_workers_kept():
        shared += [parse_week(settings, f"kept_workers_{i}") for i in range(2)]
    (c1, p1, d1, m1) = alone
    assert c1["files_parsed"] > 300 and c1["files_rejected"] == 1
    for c2, p2, d2, m2 in shared:
        assert c1 == c2 and p1.equals(p2) and d1.equals(d2) and m1 == m2
    # Work is shared by racing: this process cancels chunks from the back while the workers
    # start on the front, so on a busy machine it can, rarely, take a whole batch itself.
    # Over the three batches with workers, the workers must have parsed some of them.
    assert any(n > 0 for n in files_in_workers(caplog)[1:])
    assert pipeline.parse._kept_pool is None
    assert pipeline.parse._parse_workers(1000) >= 1


def parse_weeks(settings, run_id):
    batch = pipeline.find_new_files(settings, "2024-W08", run_id, first_week="2024-W06")
    counts = pipeline.parse_files(settings, batch)
    # the connections kept for the parse are closed with it: none holds DuckDB's memory
    # into validation
    from medsos.parsers import csv_groups
    from medsos.pipeline import batch as batch_module

    assert getattr(batch_module._frames, "con", None) is None
    assert getattr(csv_groups._kept, "con", None) is None
    manifest = batch.read_json(pipeline.FILES_JSON)
    parts = {
        part: (
            pipeline.read_frame(
                batch.folder / part_file(pipeline.PARSED_POSTS, part), pipeline.POST_COLUMNS
            ),
            pipeline.read_frame(
                batch.folder / part_file(pipeline.ACCOUNT_DAILY, part),
                pipeline.ACCOUNT_DAILY_COLUMNS,
            ),
        )
        for part in manifest["parts"]
    }
    return counts, parts, manifest["files"]


def test_a_backfill_parsed_by_workers_week_after_week_gives_the_same_weeks(settings, monkeypatch):
    # each week's files are queued for the workers before the week before it is written:
    # every week must still get exactly its own rows, in the same order
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W08"))
    monkeypatch.setattr(pipeline.parse, "PARSE_IN_PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline.parse, "PARSE_CHUNK", 4)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "1")
    monkeypatch.setattr(pipeline.parse, "READ_WEEKS", 1)
    c1, parts1, m1 = parse_weeks(settings, "alone")
    assert sorted(parts1) == ["2024-W06", "2024-W07", "2024-W08"]
    assert all(len(parts1[w][0]) > 0 for w in parts1)
    # weeks read two at a time (the last alone) or all three at once, with workers: each
    # week still gets exactly its own rows, in the same order
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    for read_weeks in (2, 3):
        monkeypatch.setattr(pipeline.parse, "READ_WEEKS", read_weeks)
        c2, parts2, m2 = parse_weeks(settings, f"workers{read_weeks}")
        assert c1 == c2 and m1 == m2 and sorted(parts1) == sorted(parts2)
        for week in parts1:
            assert parts1[week][0].equals(parts2[week][0]), (week, read_weeks)
            assert parts1[week][1].equals(parts2[week][1]), (week, read_weeks)


def test_a_workers_group_rows_come_back_through_a_file_unchanged(tmp_path):
    # a worker writes its CSV group rows to a Parquet file (a pipe would keep it waiting);
    # read back they are the same rows, dtypes included, and the file is gone
    from medsos.parsers import csv_groups
    from medsos.pipeline import POST_COLUMNS, read_frame
    from medsos.pipeline.parse import _context, _drop_files, _spilled
    from medsos.registry import load_offices

    fixtures = Path(__file__).resolve().parent / "fixtures"
    files = sorted(p for p in fixtures.rglob("*.csv") if "/youtube/" not in str(p))
    office = load_offices()["35.07"]
    entries = [
        (
            i,
            str(p.relative_to(fixtures)),
            _context(
                {"relative_path": str(p.relative_to(fixtures)), "delivery_week": "2025-W10"}, office
            ),
        )
        for i, p in enumerate(files)
    ]
    groups, _ = csv_groups.group_files(fixtures, entries)
    read = csv_groups.read_groups(groups)
    assert len(read.posts) > 100
    spilled = _spilled(read)
    assert len(spilled.posts) == 0 and Path(spilled.posts_file).is_file()
    back = read_frame(Path(spilled.posts_file), {**POST_COLUMNS, "_position": "int64"})
    _drop_files([spilled.posts_file])  # as the parse does once the rows are in the weeks' files
    pd.testing.assert_frame_equal(back, read.posts)
    assert spilled.outcomes == read.outcomes and spilled.left == read.left
    assert not Path(spilled.posts_file).exists()


def _spills() -> set[Path]:
    import tempfile

    from medsos.pipeline.parse import SPILL_PREFIX

    return set(Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*"))


def test_a_backfills_workers_send_their_groups_rows_through_files_and_leave_none(
    settings, monkeypatch
):
    # with its workers kept (as ``medsos backfill`` runs), a worker reads the CSV groups
    # but the biggest and sends their rows back as a file, which DuckDB reads into the
    # weeks' files here and which is then removed; the weeks are those of one process
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W08"))
    monkeypatch.setattr(pipeline.parse, "PARSE_IN_PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline.parse, "PARSE_CHUNK", 4)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "1")
    c1, parts1, m1 = parse_weeks(settings, "alone")
    before = _spills()
    came_back: list[str] = []
    write_with = pipeline.parse.write_frame_with

    def noted(df, parquet_files, start, end, path):
        came_back.extend(parquet_files)
        return write_with(df, parquet_files, start, end, path)

    monkeypatch.setattr(pipeline.parse, "write_frame_with", noted)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    with pipeline.parse_workers_kept():
        c2, parts2, m2 = parse_weeks(settings, "kept")
    assert came_back, "no worker sent its group rows through a file"
    assert c1 == c2 and m1 == m2
    for week in parts1:
        assert parts1[week][0].equals(parts2[week][0]), week
    assert _spills() == before  # every file read was removed


def test_a_failure_before_the_weeks_are_written_leaves_no_files_of_rows(settings, monkeypatch):
    # the workers' rows have come back as files, and putting the week together fails
    # before they are merged into the weeks' files: those files are removed too
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W08"))
    monkeypatch.setattr(pipeline.parse, "PARSE_IN_PARALLEL_FROM", 1)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    before = _spills()
    came_back: list[str] = []
    unsorted = pipeline.parse._in_order

    def failing(frames, columns):
        came_back.extend(f for f in _spills() - before)
        raise RuntimeError("a week could not be put together")

    monkeypatch.setattr(pipeline.parse, "_in_order", failing)
    with pipeline.parse_workers_kept():
        batch = pipeline.find_new_files(settings, "2024-W08", "failing", first_week="2024-W06")
        with pytest.raises(RuntimeError, match="put together"):
            pipeline.parse_files(settings, batch)
    assert came_back, "the worker sent no rows back as a file"
    assert unsorted is not failing
    assert _spills() == before


def test_a_parse_stopped_midway_leaves_no_files_of_rows(settings, monkeypatch):
    # the next read is queued (its groups possibly read by the worker already) when the
    # parse stops: the rows' files of its groups are removed as its tasks end
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W08"))
    monkeypatch.setattr(pipeline.parse, "PARSE_IN_PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline.parse, "READ_WEEKS", 1)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    before = _spills()

    def stop(week, files, rows):
        raise KeyboardInterrupt  # as Ctrl-C after the first week

    with pipeline.parse_workers_kept():
        batch = pipeline.find_new_files(settings, "2024-W08", "stopped", first_week="2024-W06")
        with pytest.raises(KeyboardInterrupt):
            pipeline.parse_files(settings, batch, progress=stop)
    # the pool is shut down with its block: every task has ended and been cleared up
    assert _spills() == before
