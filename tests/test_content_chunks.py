"""The content categories of a build are read a chunk of captions at a time (a national
year no longer holds every caption in pandas at once): however small the chunk, the
table must be the one a single chunk gives, and the one reading every post's caption
directly gives, in a full build and in a weekly one.

On the Jawa Timur sample (every platform, two weeks), loaded and built by the real
stages, then classified again on a copy of its warehouse."""

from __future__ import annotations

import logging
import re
import shutil

import pytest

from medsos.config import Evaluation
from medsos.content import Classifier, Lexicon, classify_posts_to_build
from medsos.pipeline import build_tables, load_weeks, new_run_id
from medsos.warehouse import connect

TABLE = "select * from core.post_categories order by all"


@pytest.fixture(scope="module")
def sample(tmp_path_factory, settings_for):
    from medsos.sample import build_plan, write_sample

    settings = settings_for(tmp_path_factory.mktemp("sample"))
    plan = build_plan("2024-W07", "2024-W08")
    write_sample(settings.landing, plan)
    run_id = new_run_id(plan.weeks[-1], "test")
    load_weeks(settings, plan.weeks[0], plan.weeks[-1], run_id)
    build_tables(settings, plan.weeks[-1], run_id)
    return settings


@pytest.fixture
def con(sample, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(sample.warehouse, copy)
    con = connect(copy)
    yield con
    con.close()


def classify(con, evaluation, incremental: bool, chunk_size: int, caplog) -> tuple[int, int]:
    """(posts written, chunks read)."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="medsos.content"):
        n = classify_posts_to_build(con, evaluation, incremental=incremental, chunk_size=chunk_size)
    (chunks,) = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r" in (\d+) chunks", r.getMessage()))
    ]
    return n, chunks


def read_one_by_one(con, evaluation) -> list[tuple]:
    """Every post of meta.posts_to_build classified from its own caption, no chunks and no
    sharing of verdicts between equal captions: what the table must hold."""
    clf = Classifier(Lexicon.from_evaluation(evaluation))
    rows = con.sql(
        """select platform::varchar, office_code::varchar, post_id::varchar, caption
           from core.post_snapshots
           semi join meta.posts_to_build using (platform, office_code, post_id)
           where snapshot_rank = 1"""
    ).fetchall()
    out = []
    for platform, office, post, caption in rows:
        v = clf.classify(caption or "")
        out.append((platform, office, post, v.category, v.reason))
    return sorted(out)


def test_tiny_chunks_give_the_table_one_chunk_gives(sample, con, caplog):
    evaluation = Evaluation.load(sample.evaluation)
    (posts, captions) = con.sql(
        """select count(*), count(distinct coalesce(caption, '')) from core.post_snapshots
           semi join meta.posts_to_build using (platform, office_code, post_id)
           where snapshot_rank = 1"""
    ).fetchall()[0]
    # the sample repeats captions (templates), so sharing verdicts is exercised too
    assert posts > captions > 100

    n, chunks = classify(con, evaluation, False, chunk_size=7, caplog=caplog)
    tiny = con.sql(TABLE).fetchall()
    assert n == posts == len(tiny)
    assert chunks == -(-captions // 7)  # every caption read, in many chunks

    n, chunks = classify(con, evaluation, False, chunk_size=10**9, caplog=caplog)
    whole = con.sql(TABLE).fetchall()
    assert chunks == 1 and n == posts
    assert tiny == whole
    assert whole == read_one_by_one(con, evaluation)
    assert len({r[3] for r in whole}) >= 3  # categories differ: the test can tell posts apart
    # the column types the table always had (read from pandas strings before)
    assert {t for _, t, *_ in con.sql("describe core.post_categories").fetchall()} == {"VARCHAR"}
    # nothing left behind in the connection
    assert con.sql(
        "select count(*) from duckdb_tables() where table_name in ('_captions', '_caption_verdicts')"
    ).fetchall() == [(0,)]


def spoil_a_third(con) -> int:
    """A third of the posts to build, their categories spoiled, so only a recomputation
    restores them; how many they are."""
    con.execute(
        """create or replace table meta.posts_to_build as
           select platform, office_code, post_id from core.post_categories
           where hash(post_id) % 3 = 0"""
    )
    con.execute(
        """update core.post_categories set content_category = 'lainnya', content_category_reason = 'basi'
           where (platform, office_code, post_id) in (select (platform, office_code, post_id) from meta.posts_to_build)"""
    )
    return con.sql("select count(*) from meta.posts_to_build").fetchall()[0][0]


def test_a_weekly_build_in_tiny_chunks_replaces_exactly_its_posts(sample, con, caplog):
    evaluation = Evaluation.load(sample.evaluation)
    full = con.sql(TABLE).fetchall()
    chosen = spoil_a_third(con)
    assert 0 < chosen < len(full)
    assert con.sql(TABLE).fetchall() != full
    # the captions classified by earlier builds are reused: forget them, so this build
    # classifies its posts' captions, in chunks
    con.execute("delete from meta.caption_verdicts")

    n, chunks = classify(con, evaluation, True, chunk_size=3, caplog=caplog)
    assert n == chosen and chunks > 1
    assert con.sql(TABLE).fetchall() == full


def test_a_weekly_build_classifies_only_captions_it_has_not_seen(sample, con, caplog):
    evaluation = Evaluation.load(sample.evaluation)
    full = con.sql(TABLE).fetchall()
    spoil_a_third(con)
    # one of the posts to build got a caption no build has seen
    (post,) = con.sql(
        """select platform, office_code, post_id from meta.posts_to_build
           order by post_id limit 1"""
    ).fetchall()
    con.execute(
        """update core.post_snapshots set caption = 'Rapat pleno rekapitulasi suara tingkat kabupaten'
           where (platform, office_code, post_id) = (?, ?, ?)""",
        list(post),
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="medsos.content"):
        classify_posts_to_build(con, evaluation, incremental=True, chunk_size=3)
    (classified,) = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r"(\d+) classified now", r.getMessage()))
    ]
    assert classified == 1  # the new caption; the others' verdicts came from earlier builds
    after = {r[:3]: r[3:] for r in con.sql(TABLE).fetchall()}
    verdict = Classifier(Lexicon.from_evaluation(evaluation)).classify(
        "Rapat pleno rekapitulasi suara tingkat kabupaten"
    )
    assert after[post] == (verdict.category, verdict.reason)
    assert verdict.category == "kegiatan"
    # every other post is as a full build made it
    assert {k: v for k, v in after.items() if k != post} == {
        r[:3]: r[3:] for r in full if r[:3] != post
    }


def test_a_chunk_must_hold_a_caption(sample, con):
    with pytest.raises(ValueError, match="chunk_size"):
        classify_posts_to_build(con, Evaluation.load(sample.evaluation), False, chunk_size=0)


def test_chunks_shared_with_a_second_process_give_the_same_table(sample, con, caplog, monkeypatch):
    # a full build of a year classifies every other chunk in a second process
    evaluation = Evaluation.load(sample.evaluation)
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    n, chunks = classify(con, evaluation, False, chunk_size=40, caplog=caplog)
    shared = con.sql(TABLE).fetchall()
    assert chunks >= 4 and n == len(shared)
    assert shared == read_one_by_one(con, evaluation)

