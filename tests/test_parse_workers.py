"""A big batch is parsed by worker processes; the outcome must not depend on how many."""

from __future__ import annotations

import pytest

from medsos import pipeline
from medsos.sample import build_plan, write_sample


@pytest.mark.parametrize("workers", ["2"])
def test_worker_processes_give_the_same_batch_as_one_process(settings, monkeypatch, workers):
    write_sample(settings.landing, build_plan(first_week="2024-W06", last_week="2024-W07"))
    # a landing file that cannot be read, to see rejections come back from a worker too
    (settings.landing / "2024-W07" / "35.06" / "rusak.csv").write_bytes(b"\x00\x01 junk")
    outcomes = []
    for n in ("1", workers):
        monkeypatch.setenv("MEDSOS_PARSE_WORKERS", n)
        monkeypatch.setattr(pipeline, "PARSE_IN_PARALLEL_FROM", 1)
        batch = pipeline.find_new_files(settings, "2024-W07", f"workers_{n}")
        counts = pipeline.parse_files(settings, batch)
        posts = pipeline.read_frame(batch.folder / pipeline.PARSED_POSTS, pipeline.POST_COLUMNS)
        daily = pipeline.read_frame(batch.folder / pipeline.ACCOUNT_DAILY, pipeline.ACCOUNT_DAILY_COLUMNS)
        manifest = batch.read_json(pipeline.FILES_JSON)["files"]
        outcomes.append((counts, posts, daily, manifest))
    (c1, p1, d1, m1), (c2, p2, d2, m2) = outcomes
    assert c1 == c2 and c1["files_parsed"] > 300 and c1["files_rejected"] == 1
    assert p1.equals(p2) and d1.equals(d2)
    assert m1 == m2
    assert pipeline._parse_workers(1000) >= 1
