"""The batch: what travels between the stages, in one place.

A batch is a folder in ``MEDSOS_WORK`` named after its run; between stages only its
path travels (``Batch``, which the DAG passes through XCom as a dict). Its parts:

- ``files.json`` (``FILES_JSON``): the manifest, one entry per landing file with its
  status, written by find and updated by parse and validate;
- ``parsed_posts.parquet`` / ``account_daily.parquet``: what parse read
  (``part_file`` names one week's part of a batch of many weeks);
- ``accepted_posts.parquet`` / ``accepted_daily.parquet``: the rows validate passed, for
  a chunk where they differ from the parsed rows (one held back, repeated, or of a
  rejected file); a chunk accepted whole as parsed is named in the manifest instead
  (``accepted_as_parsed`` / ``accepted_daily_as_parsed``: chunk -> its parts), and the
  load reads its parsed parts;
- ``quarantine.json``, ``warnings.json``, ``validation_results.json``: what validate
  held back, warned about and checked, for load to record.

The rows' columns are ``POST_COLUMNS`` and ``ACCOUNT_DAILY_COLUMNS`` (the parsers'
column contract, re-exported here); ``write_frame``/``read_frame`` keep their types
through parquet. Run ids (``new_run_id``) name batches and ``raw.runs`` rows.
"""

from __future__ import annotations

import gc
import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

# the columns of a batch's rows (the parsers' column contract), named here with the batch
from medsos.parsers.base import ACCOUNT_DAILY_COLUMNS as ACCOUNT_DAILY_COLUMNS
from medsos.parsers.base import POST_COLUMNS as POST_COLUMNS
from medsos.parsers.base import conform
from medsos.processes import KeptPerThread

FILES_JSON = "files.json"
PARSED_POSTS = "parsed_posts.parquet"
ACCOUNT_DAILY = "account_daily.parquet"
ACCEPTED_POSTS = "accepted_posts.parquet"
ACCEPTED_DAILY = "accepted_daily.parquet"
QUARANTINE_JSON = "quarantine.json"
VALIDATION_JSON = "validation_results.json"
WARNINGS_JSON = "warnings.json"


@dataclass(frozen=True)
class Batch:
    folder: Path
    week: str
    run_id: str

    def to_dict(self) -> dict[str, str]:
        return {"folder": str(self.folder), "week": self.week, "run_id": self.run_id}

    @classmethod
    def from_dict(cls, d: dict[str, str]) -> Batch:
        return cls(Path(d["folder"]), d["week"], d["run_id"])

    def read_json(self, name: str) -> Any:
        import msgspec

        data = (self.folder / name).read_bytes()
        # A JSON document holds no reference cycles, so the cyclic collector has nothing
        # to find while one is decoded; left on, it walked the growing manifest of a
        # year's backfill in four full passes at each reading (about 1 s).
        collecting = gc.isenabled()
        gc.disable()
        try:
            # twice as fast as json.loads on a year's manifest (0.5 s against 1 s), which
            # each stage of a backfill reads
            return msgspec.json.decode(data)
        except msgspec.DecodeError:
            # what only Python's json takes (NaN, which json.dumps writes; a lone surrogate)
            return json.loads(data)
        finally:
            if collecting:
                gc.enable()

    def write_json(self, name: str, data: Any) -> None:
        with (self.folder / name).open("w", encoding="utf-8") as fh:
            _write_json(data, fh)


JSON_PART = 1000  # list items encoded at a time


def _write_json(data: Any, fh) -> None:
    """``data`` as JSON, streamed: the manifest of a year's backfill is 150,000 files, too
    much to hold as one string, and ``json.dump`` encodes in Python (0.3-0.6 s for a
    week's manifest beside a year of folders), ``json.dumps`` in C. So dictionaries and
    long lists are written part by part, each part by ``json.dumps``."""
    if isinstance(data, dict) and len(data) > JSON_PART:
        # many small values (the folders' modification times): a part of keys at a time
        items = list(data.items())
        fh.write("{")
        for i in range(0, len(items), JSON_PART):
            part = {str(k): v for k, v in items[i : i + JSON_PART]}
            fh.write(("," if i else "") + json.dumps(part, default=str)[1:-1])
        fh.write("}")
    elif isinstance(data, dict):
        fh.write("{")
        for i, (key, value) in enumerate(data.items()):
            fh.write(("," if i else "") + json.dumps(str(key)) + ":")
            _write_json(value, fh)
        fh.write("}")
    elif isinstance(data, list) and len(data) > JSON_PART:
        fh.write("[")
        for i in range(0, len(data), JSON_PART):
            fh.write(("," if i else "") + json.dumps(data[i : i + JSON_PART], default=str)[1:-1])
        fh.write("]")
    else:
        fh.write(json.dumps(data, default=str))


def new_run_id(week: str, prefix: str = "cli") -> str:
    return f"{prefix}__{week}__{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


# A stage writing and reading many small Parquet files (the parse of a backfill: two a
# week, and its workers' rows) keeps one in-memory DuckDB connection for them
# (``frames_connection_kept``): opening one costs about 12 ms. Elsewhere each call has
# its own, so no connection holds DuckDB's memory beyond the stage that used it.
def _new_frames_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


_connections = KeptPerThread(_new_frames_connection)
_frames = _connections.local
# the batch's Parquet files written and read on one connection inside the block
frames_connection_kept = _connections.kept
# for a worker process (a pool's initializer): one connection as long as it lives
keep_frames_connection_for_good = _connections.keep_for_good
_frames_connection = _connections.using


def write_frame(df: pd.DataFrame, path: Path) -> None:
    """Parquet through DuckDB (no pyarrow needed); types survive the round trip."""
    with _frames_connection() as con:
        con.register("_df", df)
        try:
            con.sql("select * from _df").write_parquet(str(path))  # the path is never SQL text
        finally:
            con.unregister("_df")  # the frame is not held after the call


def write_frame_with(
    df: pd.DataFrame, parquet_files: list[str], start: int, end: int, path: Path
) -> int:
    """The rows of ``df`` and of ``parquet_files`` (both with ``_position``, and the same
    columns) whose ``_position`` is in ``[start, end)``, ordered by it, written to
    ``path`` without it. Each position's rows are all in one of them and keep their order
    there. DuckDB reads the files itself: read into pandas first and written back, a
    parse worker's rows cost the task's process about 0.15 s a week. Returns the rows
    written."""
    with _frames_connection() as con:
        con.register("_df", df.assign(_seq=np.arange(len(df), dtype=np.int64)))
        try:
            con.sql(
                """select * exclude (_position, _seq) from (
                       select * from _df where _position >= $start and _position < $end
                       union all by name
                       select * exclude (file_row_number), file_row_number as _seq
                       from read_parquet($files, file_row_number = true)
                       where _position >= $start and _position < $end)
                   order by _position, _seq""",
                params={"start": start, "end": end, "files": parquet_files},
            ).write_parquet(str(path))  # the path is never SQL text
        finally:
            con.unregister("_df")
        # (the count is in the file's footer: nothing is read again)
        (rows,) = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()[0]
    return int(rows)


def read_frame(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    return read_frames([str(path)], columns)


def read_frames(paths: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """The rows of several parquet files (the parts of a batch) in one frame, in order."""
    with _frames_connection() as con:
        df = con.execute("select * from read_parquet(?)", [paths]).df()
    return conform(df, columns)


BATCH_KEEP_DAYS = 14


def _is_batch(folder: Path) -> bool:
    """A batch folder ``find_new_files`` made (it writes the manifest first thing)."""
    return folder.is_dir() and not folder.is_symlink() and (folder / FILES_JSON).is_file()


def _forget_old_batches(work: Path) -> None:
    """Batch folders are only needed while their run goes on (and for a retry of one of
    its tasks); after two weeks they are only disk space. Only batch folders go: anything
    else in the work folder (MEDSOS_WORK set to a folder shared with other data) stays."""
    if not work.is_dir():
        return
    cutoff = datetime.now(UTC).timestamp() - BATCH_KEEP_DAYS * 86400
    for folder in work.iterdir():
        if _is_batch(folder) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def run_week_of(delivery_week: str, first_week: str) -> str:
    """The weekly run that takes a file of ``delivery_week`` when runs start at
    ``first_week``: its own week's run, or the first run for older week folders."""
    return max(delivery_week or "", first_week)


def part_file(name: str, part: str) -> str:
    """The file of one part of a batch: ``parsed_posts.parquet`` for a weekly batch (one
    part), ``parsed_posts.2024-W07.parquet`` for a week of a batch of many weeks."""
    stem, _, suffix = name.rpartition(".")
    return f"{stem}.{part}.{suffix}" if part else name


def _part_files(batch: Batch, name: str, parts: list[str]) -> list[str]:
    return [str(batch.folder / part_file(name, part)) for part in parts]
