"""Stage 2, parse: each new file of a batch read, recognised and normalised.

Reads the manifest and the landing files it lists; writes ``parsed_posts.parquet`` and
``account_daily.parquet`` (per week for a batch of many weeks) and each file's outcome
(platform, rows, rejected rows, notes) back into the manifest. A big batch is shared with
worker processes (``parse_workers_kept`` keeps them across the batches of a backfill).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from medsos import landing, weeks
from medsos.config import Settings
from medsos.parsers.base import ACCOUNT_DAILY_COLUMNS, POST_COLUMNS, FileContext, conform, frame
from medsos.parsers.sheets import ParseError, read_raw
from medsos.pipeline.batch import (
    ACCOUNT_DAILY,
    FILES_JSON,
    PARSED_POSTS,
    Batch,
    frames_connection_kept,
    keep_frames_connection_for_good,
    part_file,
    run_week_of,
    write_frame,
    write_frame_with,
)
from medsos.processes import from_both_ends, lasting_objects, processes, settle, spawn_pool

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)  # asked for every file; a national year has 52 weeks x 3 zones
def snapshot_time(delivery_week: str, tz: str) -> datetime:
    """When an export delivered for ``delivery_week`` is taken to be true: the end of that
    week in the office's zone (Monday 00:00 local after it), as a UTC instant."""
    end = datetime.combine(weeks.week_end(delivery_week) + timedelta(days=1), time())
    return end.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


# Below this many files a batch is parsed in this process: starting workers costs more.
PARSE_IN_PARALLEL_FROM = 400
# Weeks of a backfill read together: a CSV group read has a fixed cost (DuckDB's
# statements, pandas' columns: about 0.15 s of a week's 0.6 s), two weeks at once pay it
# once; more weeks gain less and hold more rows at once.
READ_WEEKS = 2
# Files handed to a worker at a time: big enough that sending them costs little, small
# enough that the work evens out between the workers and this process.
PARSE_CHUNK = 32

_kept_pool: Any = None  # the parse workers of a run that keeps them (parse_workers_kept)


def _parse_workers(files: int, workers: int | None = None) -> int:
    return 1 if files < PARSE_IN_PARALLEL_FROM else processes(workers)


@contextmanager
def parse_workers_kept(workers: int | None = None):
    """Keep one set of parse workers for every batch parsed inside this block.

    A worker takes one to two seconds to start (Python, pandas, the parsers); a backfill
    parses one batch a week, so starting workers for each would cost that every week.
    """
    global _kept_pool
    n = processes(workers)
    if n <= 1 or _kept_pool is not None:
        yield
        return
    with spawn_pool(n - 1, _start_worker) as pool:  # this process is the n-th
        for _ in range(n - 1):
            pool.submit(_warm_up)  # start them now, not when the first batch waits
        _kept_pool = pool
        try:
            yield
        finally:
            _kept_pool = None


def release_parse_workers() -> None:
    """Stop the kept parse workers now, not at the end of their block: a backfill parses
    once, and an idle worker holding what it parsed would count against the memory its
    validation and load need."""
    global _kept_pool
    if _kept_pool is not None:
        _kept_pool.shutdown(wait=True)
        _kept_pool = None


def _warm_up() -> None:
    import medsos.parsers  # noqa: F401


def _start_worker() -> None:
    from medsos.parsers import csv_groups

    global _in_worker
    _in_worker = True
    # a worker reads groups and writes their rows week after week
    csv_groups.keep_connection_for_good()
    keep_frames_connection_for_good()


@dataclass
class _Rows:
    """Files read by the row path: each one's manifest fields, and their posts and account
    days as columns (lists of values, ``POST_COLUMNS`` / ``ACCOUNT_DAILY_COLUMNS``) with
    each row's file (an index into ``fields``). Taken apart where the files were read:
    picking each column out of the records is a tenth of a week's parse, which the
    task's process, the busier one, need not do for the workers' files."""

    fields: list[dict[str, Any]]
    posts: dict[str, list[Any]]
    post_files: list[int]
    days: dict[str, list[Any]]
    day_files: list[int]


def _rows_of(results: list[tuple[dict[str, Any], list, list]]) -> _Rows:
    posts = [r for _, p, _ in results for r in p]
    days = [r for _, _, d in results for r in d]
    return _Rows(
        [f for f, _, _ in results],
        {name: [r.get(name) for r in posts] for name in POST_COLUMNS},
        [k for k, (_, p, _) in enumerate(results) for _ in p],
        {name: [r.get(name) for r in days] for name in ACCOUNT_DAILY_COLUMNS},
        [k for k, (_, _, d) in enumerate(results) for _ in d],
    )


def _parse_chunk(landing_root: Path, entries: list[dict[str, Any]]) -> _Rows:
    return _rows_of([_parse_entry(landing_root, e) for e in entries])


@dataclass
class _Started:
    """A part whose files are grouped and queued: first the CSV groups the second process
    reads (``apart``), then the row-path files in chunks, for the workers to take from the
    front and this process from the back."""

    entries: list[dict[str, Any]]
    groups: dict[str, list]  # CSV groups this process reads
    first: list[int]  # positions of the files the row path reads
    tasks: list[tuple[str, Any]]  # ("groups", {header: files}) or ("files", [entries])
    futures: list[Any]

    def cancel(self) -> None:
        for f in self.futures:
            # a stopped task must not wait for the rest of the batch; one already running
            # or done leaves no file of rows behind once it ends
            if not f.cancel():
                f.add_done_callback(_drop_spill_of)


def _run_task(landing_root: Path, task: tuple[str, Any]) -> Any:
    from medsos.parsers import csv_groups

    kind, payload = task
    if kind == "groups":
        read = csv_groups.read_groups(payload)
        return _spilled(read) if _in_worker and len(read.posts) else read
    return _parse_chunk(landing_root, payload)


_in_worker = False  # set in a parse worker (``_start_worker``)
SPILL_PREFIX = "medsos-parsed-rows-"


def _spilled(read):
    """A worker's CSV group rows written to a Parquet file for the task's process to read.
    Pickled, two weeks of them are about 20 MB, which a pipe passes in small pieces,
    each waiting until the task's busy process lets its receiving thread run: the worker
    stood idle 0.13-0.34 s after each such task."""
    import dataclasses
    import os
    import tempfile

    fd, name = tempfile.mkstemp(prefix=SPILL_PREFIX, suffix=".parquet")
    os.close(fd)
    try:
        write_frame(read.posts, Path(name))
    except BaseException:
        os.unlink(name)
        raise
    return dataclasses.replace(read, posts=read.posts.iloc[0:0], posts_file=name)


def _drop_spilled(done: list[Any]) -> None:
    """After a failure: remove the files of the group reads that were spilled (those of
    the tasks still running go when they end, ``_Started.cancel``)."""
    _drop_files([name for d in done if (name := getattr(d, "posts_file", None))])


def _drop_files(names: list[str]) -> None:
    """Remove the Parquet files of rows that ``_spilled`` made."""
    import os

    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _drop_spill_of(future: Any) -> None:
    if not future.cancelled() and future.exception() is None:
        _drop_spilled([future.result()])


def _start_part(
    pool, landing_root: Path, entries: list[dict[str, Any]], share_groups: bool = False
) -> _Started:
    """Group a part's CSV files by header (``medsos.parsers.csv_groups``) and queue the
    work for the pool's workers. With ``share_groups`` (a backfill, whose workers are
    running by its second week), every CSV group but the biggest is theirs: DuckDB reads
    a group on one core, and this process also puts each week together. A single week
    keeps its groups here, where they are read while the workers start."""
    from medsos.parsers import csv_groups
    from medsos.registry import load_offices

    groups: dict[str, list] = {}
    if csv_groups.enabled():
        offices = load_offices()
        files = [
            (i, e["relative_path"], _context(e, offices[e["office_code"]]))
            for i, e in enumerate(entries)
            if e["office_code"] in offices
        ]
        # a header without a column reader (YouTube's table) is left out of the groups:
        # the row path's from the start
        groups, _ = csv_groups.group_files(landing_root, files)
    grouped = {c.position for members in groups.values() for c in members}
    first = [i for i in range(len(entries)) if i not in grouped]
    todo = [entries[i] for i in first]
    tasks: list[tuple[str, Any]] = []
    if pool is not None and share_groups and len(groups) > 1:
        biggest = max(groups, key=lambda k: sum(c.lines for c in groups[k]))
        theirs = {k: v for k, v in groups.items() if k != biggest}
        tasks.append(("groups", csv_groups.without_bodies(theirs)))
        groups = {biggest: groups[biggest]}
    tasks += [("files", todo[i : i + PARSE_CHUNK]) for i in range(0, len(todo), PARSE_CHUNK)]
    futures = [] if pool is None else [pool.submit(_run_task, landing_root, t) for t in tasks]
    return _Started(entries, groups, first, tasks, futures)


@dataclass
class _WeekPosts:
    """The post rows of a stretch of a part's files (``start <= position < end``): those
    in memory (``rows``, with ``_position``) and a parse worker's CSV group rows still in
    their Parquet files (``spills``), put together only as they are written."""

    rows: pd.DataFrame
    spills: list[str]
    start: int
    end: int

    def write(self, path: Path) -> int:
        """Write them in the order of their files; the rows written."""
        if not self.spills:
            write_frame(_without_position(self.rows), path)
            return len(self.rows)
        return write_frame_with(self.rows, self.spills, self.start, self.end, path)


def _finish_part(
    started: _Started,
    landing_root: Path,
    then: Callable[[], Any] | None = None,
    ends: list[int] | None = None,
) -> tuple[list[list[dict[str, Any]]], list[_WeekPosts], list[pd.DataFrame]]:
    """Parse the rest of a started part.

    This process reads its CSV groups with DuckDB, then takes the queued tasks from the
    back until it meets the workers, which take them from the front (it would otherwise
    wait idle while they start; what it parses needs no sending back). ``then`` runs
    first: the backfill starts the next week there, so its tasks are queued behind this
    week's and the workers go on to them while this process puts this week together.

    Returns (each file's manifest fields, in order; its posts; its account days) for
    each stretch of files ``ends`` marks (where each week's files end in the part's list;
    default: the whole part). The posts of each stretch are a ``_WeekPosts``: a worker's
    CSV group rows stay in their files, which the caller writes into the weeks' files and
    then removes."""
    from medsos.parsers import csv_groups

    entries, tasks, futures = started.entries, started.tasks, started.futures
    done: list[Any] = []
    try:
        if then is not None:
            then()
        reads = [csv_groups.read_groups(started.groups)] if started.groups else []
        done, ran_here = from_both_ends(
            futures, lambda i: _run_task(landing_root, tasks[i]), len(tasks)
        )
        for i, f in enumerate(futures):
            if not ran_here[i]:
                done[i] = f.result()
        chunks: list[_Rows] = []
        spills: list[str] = []
        for (kind, _), d in zip(tasks, done, strict=True):
            if kind == "groups":
                reads.append(d)  # a worker's rows stay in their file (``_WeekPosts``)
                if d.posts_file is not None:
                    spills.append(d.posts_file)
            else:
                chunks.append(d)
    except BaseException:
        started.cancel()
        _drop_spilled(done)
        raise
    try:
        if futures:

            def files_in(task: tuple[str, Any]) -> int:
                kind, payload = task
                return len(payload) if kind == "files" else sum(map(len, payload.values()))

            here = sum(files_in(t) for t, h in zip(tasks, ran_here, strict=True) if h)
            log.info(
                "parse: %d files in this process, %d in workers",
                here,
                sum(map(files_in, tasks)) - here,
            )
        read = csv_groups.combine(reads) if reads else None
        fields: list[dict[str, Any] | None] = [None] * len(entries)
        posts_by_rows: dict[str, list[Any]] = {name: [] for name in POST_COLUMNS}
        days_by_rows: dict[str, list[Any]] = {name: [] for name in ACCOUNT_DAILY_COLUMNS}
        post_positions: list[int] = []
        day_positions: list[int] = []

        def take(at: list[int], rows: _Rows) -> None:
            """The row path's files ``at`` (positions in the part), read as ``rows``."""
            for i, updated in zip(at, rows.fields, strict=True):
                fields[i] = updated
            for name, values in rows.posts.items():
                posts_by_rows[name] += values
            for name, values in rows.days.items():
                days_by_rows[name] += values
            post_positions.extend(at[k] for k in rows.post_files)
            day_positions.extend(at[k] for k in rows.day_files)

        first = iter(started.first)
        for rows in chunks:
            take([next(first) for _ in rows.fields], rows)
        assert next(first, None) is None, "every file of the row path read once"
        if read is not None:
            for outcome in read.outcomes:
                fields[outcome.position] = outcome.fields
        group_sets = [started.groups, *(payload for kind, payload in tasks if kind == "groups")]
        grouped = sorted(c.position for g in group_sets for members in g.values() for c in members)
        # a file the DuckDB path left to the row path
        again = [i for i in grouped if fields[i] is None]
        if again:
            take(again, _parse_chunk(landing_root, [entries[i] for i in again]))
        # the files' rows in manifest order, whichever path read them
        posts = _in_order(
            [
                _columns_frame(posts_by_rows, POST_COLUMNS, post_positions),
                *([read.posts] if read is not None else []),
            ],
            POST_COLUMNS,
        )
        days = _in_order(
            [_columns_frame(days_by_rows, ACCOUNT_DAILY_COLUMNS, day_positions)],
            ACCOUNT_DAILY_COLUMNS,
        )
        done_fields = [f or {} for f in fields]
        ends = ends or [len(entries)]
        starts = [0, *ends[:-1]]
        cut = np.searchsorted(posts["_position"].to_numpy(), [*starts, ends[-1]], side="left")
        week_posts = [
            _WeekPosts(posts.iloc[cut[i] : cut[i + 1]].reset_index(drop=True), spills, a, b)
            for i, (a, b) in enumerate(zip(starts, ends, strict=True))
        ]
        return (
            [done_fields[a:b] for a, b in zip(starts, ends, strict=True)],
            week_posts,
            _between(days, starts, ends),
        )
    except BaseException:
        _drop_files(spills)  # the workers' rows not yet in the weeks' files
        raise


def _without_position(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns="_position").reset_index(drop=True)


def _between(rows: pd.DataFrame, starts: list[int], ends: list[int]) -> list[pd.DataFrame]:
    """The rows of the files ``starts[i] <= position < ends[i]``, for each i (the rows
    are in the order of their files)."""
    cut = np.searchsorted(rows["_position"].to_numpy(), [*starts, ends[-1]], side="left")
    return [_without_position(rows.iloc[cut[i] : cut[i + 1]]) for i in range(len(starts))]


def _parse_part(
    pool, landing_root: Path, entries: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Parse one part's files: (each file's manifest fields, in order; its posts; its
    account days). The CSV files of a recognised header group are read by DuckDB in this
    process while the workers read the rest row by row; a file that path leaves is read
    row by row after it."""
    (fields,), (posts,), (days,) = _finish_part(
        _start_part(pool, landing_root, entries), landing_root
    )
    assert not posts.spills, "a part's own CSV groups are read in this process"
    return fields, _without_position(posts.rows), days


def _columns_frame(
    values: dict[str, list[Any]], columns: dict[str, str], positions: list[int]
) -> pd.DataFrame:
    return conform(pd.DataFrame(values, columns=list(columns)), columns).assign(
        _position=np.asarray(positions, dtype=np.int64)
    )


def _in_order(frames: list[pd.DataFrame], columns: dict[str, str]) -> pd.DataFrame:
    """The rows of ``frames`` (each with ``_position``, its file's place in the part) in
    the order of their files, each file's rows in their own order (a file's rows are all
    in one frame), with ``_position``."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return frame([], columns).assign(_position=np.zeros(0, dtype=np.int64))
    rows = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    position = rows["_position"].to_numpy()
    if len(position) and (np.diff(position) < 0).any():
        rows = rows.sort_values("_position", kind="stable")
    return rows.reset_index(drop=True)


def parse_files(
    settings: Settings,
    batch: Batch,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Stage 2: recognise each new file from its headers and normalise it.

    A big batch (a national week, a backfill) is shared between this process and
    ``workers - 1`` more (default ``$MEDSOS_PARSE_WORKERS``, else 1), or the workers kept
    by ``parse_workers_kept``; each file is read by exactly one of them and the results
    come back in manifest order, so the outcome does not depend on the number of
    workers. Workers are started with ``spawn``, which imports the caller's main module
    again: the DAG and the ``medsos`` command ask for workers, a script of your own
    should only do so under ``if __name__ == "__main__"``.

    A batch of many weeks (``week_by_week``) is read ``READ_WEEKS`` weeks at a time, each
    week's rows written to files of their own; ``progress(week, files so far, rows so
    far)`` is called after each week.
    """
    with lasting_objects():
        return _parse_files(settings, batch, workers, progress)


def _parse_files(
    settings: Settings,
    batch: Batch,
    workers: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> dict[str, int]:
    from medsos.parsers import csv_groups

    manifest = batch.read_json(FILES_JSON)
    todo = [e for e in manifest["files"] if e["status"] == "new"]
    for entry in manifest["files"]:
        entry.setdefault("parse_rejects", [])
    settle()  # the manifest lasts the whole stage (lasting_objects)
    workers = _parse_workers(len(todo), workers)
    # A batch of many weeks is parsed a few weeks at a time and written week by week: a
    # year of rows as Python records would not fit in memory, and the progress bar moves
    # a week at a time.
    parts: dict[str, list[dict[str, Any]]] = {}
    if manifest.get("first_week"):
        # every week a part, a week without new files too: the progress goes week by week
        parts = {w: [] for w in weeks.weeks_between(manifest["first_week"], batch.week)}
    for entry in todo:
        parts.setdefault(
            run_week_of(entry["delivery_week"], manifest["first_week"])
            if manifest.get("first_week")
            else "",
            [],
        ).append(entry)
    manifest["parts"] = {}
    posts_parsed = days_parsed = files_done = 0
    with (
        (
            nullcontext(None)
            if workers <= 1
            else nullcontext(_kept_pool)
            if _kept_pool is not None
            else spawn_pool(workers - 1, _start_worker)
        ) as pool,
        csv_groups.connection_kept(),
        frames_connection_kept(),
    ):
        # Weeks are read READ_WEEKS at a time (each CSV group read costs a fixed part),
        # and each read is started (its files queued for the workers) before the one
        # before it is put together and written, so the workers never wait for that.
        items = sorted(parts.items()) or [("", [])]
        share = len(items) > 1
        reads = [items[i : i + READ_WEEKS] for i in range(0, len(items), READ_WEEKS)]

        def start(k: int) -> _Started:
            return _start_part(pool, settings.landing, [e for _, es in reads[k] for e in es], share)

        following: list[_Started] = [start(0)]
        for k, read in enumerate(reads):
            started = following.pop()

            def start_next(k: int = k) -> None:
                if k + 1 < len(reads):
                    following.append(start(k + 1))

            try:
                ends = list(itertools.accumulate(len(es) for _, es in read))
                per_week = _finish_part(started, settings.landing, start_next, ends)
                try:
                    for (part, entries), fields, posts, days in zip(read, *per_week, strict=True):
                        for entry, updated in zip(entries, fields, strict=True):
                            entry.update(updated)
                        n = posts.write(batch.folder / part_file(PARSED_POSTS, part))
                        write_frame(days, batch.folder / part_file(ACCOUNT_DAILY, part))
                        manifest["parts"][part] = {"posts": n, "days": len(days)}
                        posts_parsed += n
                        days_parsed += len(days)
                        files_done += len(entries)
                        if progress is not None:
                            progress(part, files_done, posts_parsed + days_parsed)
                finally:
                    # the workers' rows of the whole read, written into its weeks by now
                    _drop_files(per_week[1][0].spills if per_week[1] else [])
                settle()  # the files' fields, added to the manifest
            except BaseException:
                # the next read, queued already, is stopped with this one
                for other in following:
                    other.cancel()
                raise
    batch.write_json(FILES_JSON, manifest)
    counts = {
        "files_parsed": sum(1 for e in manifest["files"] if e["status"] == "parsed"),
        "files_rejected": sum(1 for e in manifest["files"] if e["status"] == "rejected"),
        "posts_parsed": posts_parsed,
        "account_days_parsed": days_parsed,
    }
    log.info("parsed: %s", counts)
    return counts


def _parse_entry(
    landing_root: Path, entry: dict[str, Any]
) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """Read and normalise one landing file: (manifest fields to update, post records,
    account-day records). Runs in a worker process for big batches."""
    from medsos.parsers import detect
    from medsos.registry import load_offices

    entry = dict(entry)
    office = load_offices()[entry["office_code"]]
    path = landing_root / entry["relative_path"].split(landing.MEMBER_SEPARATOR)[0]
    try:
        raw = read_raw(
            path, entry["relative_path"], landing.read_bytes(landing_root, entry["relative_path"])
        )
        parser = detect(raw)
        ctx = _context(entry, office)
        result = parser.parse(raw, ctx)
    except ParseError as exc:
        log.warning("rejected %s", exc)
        return {"status": "rejected", "reason": str(exc)}, [], []
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the others
        # A parser bug or a shape nobody foresaw: reject this file with what went wrong
        # (the traceback goes to the task log) and keep loading the rest.
        log.exception("unexpected error reading %s", entry["relative_path"])
        return (
            {
                "status": "rejected",
                "reason": f"{entry['relative_path']}: could not be read ({type(exc).__name__}: {exc}); "
                "the file was set aside, please send it to the data team",
            },
            [],
            [],
        )
    # a file cut off mid-row: the cut row is quarantined with the reason, the rest loads
    rejected_rows = [*result.rejected_rows, *(c.as_reject() for c in raw.cut_rows)]
    rows_in_file = (
        len(result.post_records)
        + len(result.daily_records)
        + len(rejected_rows)
        + len(result.skipped)
    )
    recognised = {
        "platform": result.platform,
        "export_kind": result.kind,
        "encoding": raw.encoding,
        "rows_in_file": rows_in_file,
        "lists_posts": bool(getattr(parser, "lists_posts", True)),
    }
    return (
        recognised
        | {
            "status": "parsed",
            "rows_parsed": len(result.post_records),
            "rows_skipped": len(result.skipped),
            "notes": raw.notes + [n.message for n in result.notes] + _skipped_notes(result.skipped),
            "parse_rejects": [
                {
                    "source_file": entry["relative_path"],
                    "source_sheet": r.get("source_sheet"),
                    "source_row": r.get("source_row"),
                    "platform": result.platform,
                    "office_code": office.office_code,
                    "post_id": r.get("post_id"),
                    "column_name": r.get("column"),
                    "value": None if r.get("value") is None else str(r.get("value")),
                    "check_name": "parse",
                    "severity": "critical",
                    "message": r.get("message"),
                }
                for r in rejected_rows
            ],
        },
        result.post_records,
        result.daily_records,
    )


def _context(entry: dict[str, Any], office) -> FileContext:
    """Who delivered a file and for which week, from its manifest entry."""
    return FileContext(
        relative_path=entry["relative_path"],
        office_code=office.office_code,
        office_timezone=office.timezone,
        delivery_week=entry["delivery_week"],
        snapshot_at=snapshot_time(entry["delivery_week"], office.timezone),
    )


def _skipped_notes(skipped: list) -> list[str]:
    """One warning per reason for the rows a parser skipped, with their row numbers."""
    rows_by_reason: dict[str, list[int]] = {}
    for p in skipped:
        rows_by_reason.setdefault(p.message, []).append(p.row)
    notes = []
    for reason, rows in rows_by_reason.items():
        shown = ", ".join(str(r) for r in rows[:10]) + (
            f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        )
        notes.append(f"{len(rows)} row(s) skipped ({reason}): row {shown}")
    return notes
