"""The weekly job, stage by stage. The CLI (``medsos run``) and the Airflow DAG
(``medsos_weekly``) call exactly these functions; between stages only a batch folder
path travels (files on disk, not DataFrames in XCom).

    find_new_files -> parse_files -> validate_batch -> load_batch -> build_tables
                   -> publish_copy -> render_summaries -> send_summaries

One module per stage: ``find``, ``parse``, ``validate``, ``load``, ``build``,
``publish``, ``report`` (render and send); ``batch`` holds what travels between them
(the ``Batch``, the names of its files, their columns) and ``run`` runs the stages in
order without Airflow. The names callers use are re-exported here.

Only ``find_new_files``, ``load_batch``, ``build_tables`` and ``send_summaries`` (its send
log) open the warehouse file, and
only ``publish_copy`` copies it; the DAG serialises them through a one-slot pool.
"""

from __future__ import annotations

from medsos.pipeline.batch import (
    ACCOUNT_DAILY,
    ACCOUNT_DAILY_COLUMNS,
    FILES_JSON,
    PARSED_POSTS,
    POST_COLUMNS,
    Batch,
    new_run_id,
    read_frame,
    write_frame,
)
from medsos.pipeline.build import build_tables
from medsos.pipeline.find import find_new_files, late_weeks
from medsos.pipeline.load import file_status, load_batch
from medsos.pipeline.parse import parse_files, parse_workers_kept, snapshot_time
from medsos.pipeline.publish import publish_copy
from medsos.pipeline.report import render_summaries, send_summaries
from medsos.pipeline.run import load_week, load_weeks, run_week
from medsos.pipeline.validate import check_files, validate_batch

__all__ = [
    "ACCOUNT_DAILY",
    "ACCOUNT_DAILY_COLUMNS",
    "FILES_JSON",
    "PARSED_POSTS",
    "POST_COLUMNS",
    "Batch",
    "build_tables",
    "check_files",
    "file_status",
    "find_new_files",
    "late_weeks",
    "load_batch",
    "load_week",
    "load_weeks",
    "new_run_id",
    "parse_files",
    "parse_workers_kept",
    "publish_copy",
    "read_frame",
    "render_summaries",
    "run_week",
    "send_summaries",
    "snapshot_time",
    "validate_batch",
    "write_frame",
]
