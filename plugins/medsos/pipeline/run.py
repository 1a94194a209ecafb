"""The stages in order, without Airflow: one week (``run_week``, ``load_week``) or many
weeks as one batch (``load_weeks``, for ``medsos backfill``).

The batch folder of a run is removed once its rows are in the warehouse.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

from medsos.config import Settings
from medsos.pipeline.batch import FILES_JSON, new_run_id
from medsos.pipeline.build import build_tables
from medsos.pipeline.find import find_new_files
from medsos.pipeline.load import load_batch
from medsos.pipeline.parse import parse_files, release_parse_workers
from medsos.pipeline.publish import publish_copy
from medsos.pipeline.report import render_summaries, send_summaries
from medsos.pipeline.validate import checker_early, validate_batch


def run_week(
    settings: Settings,
    week: str,
    reprocess: bool = False,
    run_id: str | None = None,
    resend: bool = False,
    send: bool = True,
) -> dict[str, Any]:
    """The whole weekly job without Airflow, in the DAG's order."""
    run_id = run_id or new_run_id(week)
    loaded = load_week(settings, week, run_id, reprocess=reprocess)
    build_tables(settings, week, run_id)
    published = publish_copy(settings)
    emails = render_summaries(settings, week)
    sent = send_summaries(settings, week, run_id, resend=resend) if send else {}
    return {
        "run_id": run_id,
        "week": week,
        **loaded,
        "published": published,
        "emails": emails,
        "sent": sent,
    }


def load_week(
    settings: Settings, week: str, run_id: str, reprocess: bool = False
) -> dict[str, Any]:
    """Stages 1-4 (find, parse, validate, load) for one week; the tables are not rebuilt.
    A backfill loads week after week this way and builds the tables once at the end,
    which gives the same tables as building after every week."""
    batch = find_new_files(settings, week, run_id, reprocess=reprocess)
    parsed = parse_files(settings, batch)
    validated = validate_batch(settings, batch)
    loaded = load_batch(settings, batch)
    layout_problems = batch.read_json(FILES_JSON)["layout_problems"]
    shutil.rmtree(batch.folder, ignore_errors=True)  # the batch is in the warehouse now
    return {**parsed, **validated, **loaded, "layout_problems": layout_problems}


def load_weeks(
    settings: Settings,
    first_week: str,
    last_week: str,
    run_id: str,
    reprocess: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    timed: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Stages 1-4 for the weeks ``first_week`` … ``last_week`` as one batch (``medsos
    backfill``): the landing zone is listed once, every file parsed (two weeks at a
    time, ``progress`` called after each week), validated with one GX context and loaded in one
    transaction. The tables it leaves are those of weekly runs of each week in order
    (tests/test_backfill_batch.py): files are taken week by week, each compared with the
    weeks before it. ``timed(stage, fn, *args)`` runs each stage (the benchmark times them)."""
    timed = timed or (lambda _stage, fn, *args, **kw: fn(*args, **kw))
    batch = timed(
        "find",
        find_new_files,
        settings,
        last_week,
        run_id,
        reprocess=reprocess,
        first_week=first_week,
    )
    with checker_early(batch) as started:

        def parsed_so_far(week: str, files: int, rows: int) -> None:
            started(rows)  # validation's second process, once the rows call for one
            if progress is not None:
                progress(week, files, rows)

        parsed = timed("parse", parse_files, settings, batch, progress=parsed_so_far)
        release_parse_workers()  # the batch is parsed; its workers' memory is for the rest
        validated = timed("validate", validate_batch, settings, batch)
    loaded = timed("load", load_batch, settings, batch)
    layout_problems = batch.read_json(FILES_JSON)["layout_problems"]
    shutil.rmtree(batch.folder, ignore_errors=True)  # the batch is in the warehouse now
    return {**parsed, **validated, **loaded, "layout_problems": layout_problems}
