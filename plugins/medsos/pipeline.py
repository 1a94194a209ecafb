"""The weekly job, stage by stage. The CLI (``medsos run``) and the Airflow DAG
(``medsos_weekly``) call exactly these functions; between stages only a batch folder
path travels (files on disk, not DataFrames in XCom).

    find_new_files -> parse_files -> validate_batch -> load_batch -> build_tables
                   -> publish_copy -> render_summaries -> send_summaries

Only ``find_new_files``, ``load_batch``, ``build_tables`` and ``send_summaries`` (its send
log) open the warehouse file, and
only ``publish_copy`` copies it; the DAG serialises them through a one-slot pool.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from medsos import landing, weeks
from medsos.config import Settings, sql_dir
from medsos.parsers.base import (
    ACCOUNT_DAILY_COLUMNS,
    POST_COLUMNS,
    FileContext,
    ParseError,
    conform,
    frame,
    read_raw,
)
from medsos.warehouse import build, open_warehouse, publish, transaction

log = logging.getLogger(__name__)

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
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    def write_json(self, name: str, data: Any) -> None:
        # streamed: the manifest of a year's backfill is 150,000 files
        with (self.folder / name).open("w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=str)


def new_run_id(week: str, prefix: str = "cli") -> str:
    return f"{prefix}__{week}__{datetime.now(UTC):%Y%m%dT%H%M%S%f}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def snapshot_time(delivery_week: str, tz: str) -> datetime:
    """When an export delivered for ``delivery_week`` is taken to be true: the end of that
    week in the office's zone (Monday 00:00 local after it), as a UTC instant."""
    end = datetime.combine(weeks.week_end(delivery_week) + timedelta(days=1), time())
    return end.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


# --------------------------------------------------------------------------- parquet io


def write_frame(df: pd.DataFrame, path: Path) -> None:
    """Parquet through DuckDB (no pyarrow needed); types survive the round trip."""
    con = duckdb.connect()
    try:
        con.register("_df", df)
        con.sql("select * from _df").write_parquet(str(path))  # the path is never SQL text
    finally:
        con.close()


def read_frame(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    return read_frames([str(path)], columns)


def read_frames(paths: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """The rows of several parquet files (the parts of a batch) in one frame, in order."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        df = con.execute("select * from read_parquet(?)", [paths]).df()
    finally:
        con.close()
    return conform(df, columns)


# --------------------------------------------------------------------------- stages


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


# A weekly run lists every file in this many recent week folders (a correction saved over
# an export changes only the file); older week folders are listed only when a file was
# added, removed or renamed in them (see landing.scan).
DEFAULT_LATE_WEEKS = 8


def late_weeks() -> int:
    """``$MEDSOS_LATE_WEEKS``, else 8."""
    value = (os.environ.get("MEDSOS_LATE_WEEKS") or str(DEFAULT_LATE_WEEKS)).strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"MEDSOS_LATE_WEEKS must be a whole number of weeks, at least 1, not {value!r}")
    return int(value)


def find_new_files(settings: Settings, week: str, run_id: str, reprocess: bool = False,
                   first_week: str | None = None) -> Batch:
    """Stage 1: list landing files for weeks up to ``week`` that are new or changed.

    Earlier week folders are looked at too, so an export that arrives late fills its week
    in on the next run. Unchanged files (same path and SHA-256) are skipped, which makes
    re-runs cheap and idempotent; ``reprocess`` loads everything again.

    ``first_week``: the batch stands for the weekly runs of ``first_week`` … ``week`` in
    order (``medsos backfill``), the first of them taking every older week folder too: the
    files are taken week by week (``run_week``), so of two identical files the one in the
    earlier week is the original, and each file's row count is later compared with the
    account's files of the weeks before it (``recent_history``), as those runs would.
    """
    week_by_week = first_week is not None
    weeks.parse_week(week)
    _forget_old_batches(settings.work)
    folder = settings.work / _safe(run_id)
    if _is_batch(folder):
        shutil.rmtree(folder)  # the same run's batch, from a task tried again
    folder.mkdir(parents=True)  # anything else by that name: an error, never deleted
    batch = Batch(folder, week, run_id)
    batch.write_json(FILES_JSON, {"files": []})  # marks the folder as a batch
    list_from = weeks.shift(week, -(late_weeks() - 1))

    with open_warehouse(settings) as con:
        con.execute("create or replace temp macro office_folder(path) as regexp_extract(path, '^[^/]+/[^/]+')")
        recorded = dict(con.sql("select folder, modified_ns from meta.landing_folders").fetchall())
        # a folder holding a copy is always listed: the copy loads once its original goes
        with_copies = {
            folder for (folder,) in con.sql(
                "select distinct office_folder(relative_path) from raw.files where status = 'duplicate'"
            ).fetchall()
        }
        # --reprocess lists every folder (what was recorded is still replaced or forgotten)
        folder_mtimes = {} if reprocess else {
            path: mtime for path, mtime in recorded.items()
            if landing.office_folder(path) not in with_copies
        }
        # fingerprints of the files a scan may list (--reprocess reads every file again)
        fingerprints = {} if reprocess else {
            path: (size, modified, sha)
            for path, size, modified, sha in con.execute(
                """select relative_path, size_bytes,
                           strftime(file_modified_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00', sha256
                    from raw.files
                    left join meta.landing_folders
                        on meta.landing_folders.folder = office_folder(relative_path)
                    where file_modified_at is not null
                      and (delivery_week >= ? or meta.landing_folders.folder is null)""",
                [list_from],
            ).fetchall()
        }
        found = landing.scan(settings.landing, week, known=None if reprocess else fingerprints,
                             folder_mtimes=folder_mtimes, always_list_from=list_from)
        files, layout_problems = found.files, found.problems
        # what the load records of the folders: the times of those listed now replace what
        # was recorded of them and of folders that are gone; unchanged ones stay as they are
        forget = sorted(
            path for path in recorded
            if path[:8] <= week and landing.office_folder(path) not in found.unchanged
        )
        con.register("_unlisted", pd.DataFrame({"folder": sorted(found.unchanged)}, dtype="string"))
        con.register("_listed_sha", pd.DataFrame({"sha256": sorted({f.sha256 for f in files})}, dtype="string"))
        known = {
            row[0]: dict(zip(("sha256", "status", "duplicate_of", "first_seen_at", "delivery_week",
                              "office_code", "size_bytes"), row[1:], strict=True))
            for row in con.sql(
                """select relative_path, sha256, status, duplicate_of, first_seen_at::varchar,
                          delivery_week, office_code, size_bytes
                   from raw.files
                   where office_folder(relative_path) not in (select folder from _unlisted)"""
            ).fetchall()
        }
        # loaded files in folders that were not listed (so still there) with the bytes of a
        # listed file: the originals a file dropped again is a copy of
        unlisted_originals = {
            path: {"sha256": sha, "status": status}
            for path, sha, status in con.sql(
                """select relative_path, sha256, status from raw.files
                   where status in ('loaded', 'loaded_with_quarantine')
                     and sha256 in (select sha256 from _listed_sha)
                     and office_folder(relative_path) in (select folder from _unlisted)"""
            ).fetchall()
        }
        # median rows of each account's last four loaded files, for the row-count check
        recent = {
            f"{office}|{platform}": median
            for office, platform, median in con.sql(
                """select office_code, platform, median(rows_in_file) from (
                       select office_code, platform, rows_in_file,
                              row_number() over (partition by office_code, platform
                                                 order by delivery_week desc, relative_path desc) as n
                       from raw.files where status in ('loaded', 'loaded_with_quarantine') and lists_posts
                   ) where n <= 4 group by all"""
            ).fetchall()
        }
        # every loaded file of each account that lists posts, for a batch of many weeks
        history: dict[str, list] = {}
        if week_by_week:
            for account, delivery_week, path, rows in con.sql(
                """select office_code || '|' || platform, delivery_week, relative_path, rows_in_file from raw.files
                   where status in ('loaded', 'loaded_with_quarantine') and lists_posts"""
            ).fetchall():
                history.setdefault(account, []).append([delivery_week, path, rows])
    on_disk = {f.relative_path for f in files} | set(unlisted_originals)

    def office_of(path: str) -> str:
        parts = path.split("/")
        return parts[1] if len(parts) > 2 else ""

    # Same bytes from the same office under another path: a re-dropped file. Only files
    # still in the landing zone count as originals, so moving a file from the wrong week
    # folder to the right one loads it in its new place. Decided after parsing, because
    # an export with no rows (a silent week) is byte-identical from week to week and is
    # still a delivery.
    live_sha: dict[tuple[str, str], str] = {}
    for path, k in sorted((known | unlisted_originals).items()):
        if k["status"] in ("loaded", "loaded_with_quarantine") and path in on_disk:
            live_sha.setdefault((office_of(path), k["sha256"]), path)

    entries = []
    # oldest first, so of two identical files in one batch the one saved first is the original
    # (the one in the earlier week folder first, when the batch stands for weekly runs)
    def taken(f: landing.LandingFile) -> tuple:
        return (run_week_of(f.delivery_week, first_week) if week_by_week else "", f.modified_at or "",
                f.relative_path)

    for f in sorted(files, key=taken):
        before = known.get(f.relative_path)
        unchanged = before is not None and before["sha256"] == f.sha256
        # a copy whose original has left the landing zone (or stopped loading) loads now,
        # and so does a file put back where it was taken from
        orphaned = unchanged and before["status"] == "duplicate" and before["duplicate_of"] not in live_sha.values()
        returned = unchanged and before["status"] == "withdrawn"
        if unchanged and not reprocess and not orphaned and not returned:
            continue
        entry = f.to_dict() | {
            "status": "rejected" if f.problem else "new",
            "reason": f.problem,
            "first_seen_at": before["first_seen_at"] if before else None,
        }
        original = live_sha.get((office_of(f.relative_path), f.sha256))
        if original and original != f.relative_path:
            entry["same_content_as"] = original
        elif not f.problem:
            live_sha.setdefault((office_of(f.relative_path), f.sha256), f.relative_path)
        entries.append(entry)
    # A file taken out of the landing zone takes its rows with it: the landing zone is the
    # record of what offices delivered, and a file moved to another week folder must not
    # count twice.
    for path, k in sorted(known.items()):
        if path in on_disk or k["status"] == "withdrawn":
            continue
        if weeks.is_week(k["delivery_week"]) and weeks.week_start(k["delivery_week"]) > weeks.week_start(week):
            continue
        entries.append({
            "relative_path": path, "delivery_week": k["delivery_week"], "office_code": k["office_code"],
            "sha256": k["sha256"], "size_bytes": k["size_bytes"], "first_seen_at": k["first_seen_at"],
            "status": "withdrawn", "reason": "no longer in the landing zone; its rows were removed",
        })
    batch.write_json(
        FILES_JSON,
        {"files": entries, "layout_problems": layout_problems, "files_seen": len(files), "recent_rows": recent,
         "folders": found.folders, "folders_forgotten": forget}
        | ({"first_week": first_week, "recent_history": history} if week_by_week else {}),
    )
    log.info("%s files listed in the landing zone up to %s (%s older office folders unchanged); %s new or changed",
             len(files), week, len(found.unchanged), len(entries))
    for p in layout_problems:
        log.warning("landing layout: %s", p)
    return batch


# Below this many files a batch is parsed in this process: starting workers costs more.
PARSE_IN_PARALLEL_FROM = 400
# Files handed to a worker at a time: big enough that sending them costs little, small
# enough that the work evens out between the workers and this process.
PARSE_CHUNK = 32

_kept_pool: Any = None  # the parse workers of a run that keeps them (parse_workers_kept)


def _parse_processes(workers: int | None = None) -> int:
    """Processes a big batch is parsed by, this one included."""
    wanted = workers or int(os.environ.get("MEDSOS_PARSE_WORKERS", "1") or 1)
    return max(1, min(wanted, 8))


def _parse_workers(files: int, workers: int | None = None) -> int:
    return 1 if files < PARSE_IN_PARALLEL_FROM else _parse_processes(workers)


def _start_parse_pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # spawn, not fork: the Airflow task process has threads that a fork would copy
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"))


@contextmanager
def parse_workers_kept(workers: int | None = None):
    """Keep one set of parse workers for every batch parsed inside this block.

    A worker takes one to two seconds to start (Python, pandas, the parsers); a backfill
    parses one batch a week, so starting workers for each would cost that every week.
    """
    global _kept_pool
    n = _parse_processes(workers)
    if n <= 1 or _kept_pool is not None:
        yield
        return
    with _start_parse_pool(n - 1) as pool:  # this process is the n-th
        for _ in range(n - 1):
            pool.submit(_warm_up)  # start them now, not when the first batch waits
        _kept_pool = pool
        try:
            yield
        finally:
            _kept_pool = None


def _warm_up() -> None:
    import medsos.parsers  # noqa: F401


def _parse_chunk(landing_root: Path, entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list, list]]:
    return [_parse_entry(landing_root, e) for e in entries]


def _parse_shared(pool, landing_root: Path, todo: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list, list]]:
    """Parse ``todo`` with the pool's workers taking chunks from the front and this
    process taking them from the back, until the two meet. This process would otherwise
    wait idle while the workers start; what it parses also needs no sending back."""
    chunks = [todo[i:i + PARSE_CHUNK] for i in range(0, len(todo), PARSE_CHUNK)]
    futures = [pool.submit(_parse_chunk, landing_root, c) for c in chunks]
    done: list[list | None] = [None] * len(chunks)
    try:
        for i in range(len(chunks) - 1, -1, -1):
            if not futures[i].cancel():
                break  # a worker has it (and every chunk before it)
            done[i] = _parse_chunk(landing_root, chunks[i])
    except BaseException:
        for f in futures:
            f.cancel()  # a stopped task must not wait for the rest of the batch
        raise
    here = sum(len(chunks[i]) for i, d in enumerate(done) if d is not None)
    log.info("parse: %d files in this process, %d in workers", here, len(todo) - here)
    return [r for i, f in enumerate(futures) for r in (done[i] if done[i] is not None else f.result())]


def parse_files(settings: Settings, batch: Batch, workers: int | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Stage 2: recognise each new file from its headers and normalise it.

    A big batch (a national week, a backfill) is shared between this process and
    ``workers - 1`` more (default ``$MEDSOS_PARSE_WORKERS``, else 1), or the workers kept
    by ``parse_workers_kept``; each file is read by exactly one of them and the results
    come back in manifest order, so the outcome does not depend on the number of
    workers. Workers are started with ``spawn``, which imports the caller's main module
    again: the DAG and the ``medsos`` command ask for workers, a script of your own
    should only do so under ``if __name__ == "__main__"``.

    A batch of many weeks (``week_by_week``) is parsed a week at a time, each week's rows
    written to files of their own; ``progress(week, files so far, rows so far)`` is called
    after each.
    """
    manifest = batch.read_json(FILES_JSON)
    todo = [e for e in manifest["files"] if e["status"] == "new"]
    for entry in manifest["files"]:
        entry.setdefault("parse_rejects", [])
    workers = _parse_workers(len(todo), workers)
    # A batch of many weeks is parsed and written week by week: a year of rows as Python
    # records would not fit in memory, and the progress bar moves a week at a time.
    parts: dict[str, list[dict[str, Any]]] = {}
    if manifest.get("first_week"):
        # every week a part, a week without new files too: the progress goes week by week
        parts = {w: [] for w in weeks.weeks_between(manifest["first_week"], batch.week)}
    for entry in todo:
        parts.setdefault(run_week_of(entry["delivery_week"], manifest["first_week"]) if manifest.get("first_week")
                         else "", []).append(entry)
    manifest["parts"] = {}
    posts_parsed = days_parsed = files_done = 0
    with (nullcontext(None) if workers <= 1 else nullcontext(_kept_pool) if _kept_pool is not None
          else _start_parse_pool(workers - 1)) as pool:
        for part, entries in sorted(parts.items()) or [("", [])]:
            if pool is not None:
                results = _parse_shared(pool, settings.landing, entries)
            else:
                results = [_parse_entry(settings.landing, e) for e in entries]
            post_records: list[dict[str, Any]] = []
            daily_records: list[dict[str, Any]] = []
            for entry, (updated, posts_part, daily_part) in zip(entries, results, strict=True):
                entry.update(updated)
                post_records.extend(posts_part)
                daily_records.extend(daily_part)
            del results
            write_frame(frame(post_records, POST_COLUMNS), batch.folder / part_file(PARSED_POSTS, part))
            write_frame(frame(daily_records, ACCOUNT_DAILY_COLUMNS), batch.folder / part_file(ACCOUNT_DAILY, part))
            manifest["parts"][part] = {"posts": len(post_records), "days": len(daily_records)}
            posts_parsed += len(post_records)
            days_parsed += len(daily_records)
            files_done += len(entries)
            if progress is not None:
                progress(part, files_done, posts_parsed + days_parsed)
    batch.write_json(FILES_JSON, manifest)
    counts = {
        "files_parsed": sum(1 for e in manifest["files"] if e["status"] == "parsed"),
        "files_rejected": sum(1 for e in manifest["files"] if e["status"] == "rejected"),
        "posts_parsed": posts_parsed,
        "account_days_parsed": days_parsed,
    }
    log.info("parsed: %s", counts)
    return counts


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


def _parse_entry(landing_root: Path, entry: dict[str, Any]) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """Read and normalise one landing file: (manifest fields to update, post records,
    account-day records). Runs in a worker process for big batches."""
    from medsos.parsers import detect
    from medsos.registry import load_offices

    entry = dict(entry)
    office = load_offices()[entry["office_code"]]
    path = landing_root / entry["relative_path"].split(landing.MEMBER_SEPARATOR)[0]
    try:
        raw = read_raw(path, entry["relative_path"], landing.read_bytes(landing_root, entry["relative_path"]))
        parser = detect(raw)
        ctx = FileContext(
            relative_path=entry["relative_path"],
            office_code=office.office_code,
            office_timezone=office.timezone,
            delivery_week=entry["delivery_week"],
            snapshot_at=snapshot_time(entry["delivery_week"], office.timezone),
        )
        result = parser.parse(raw, ctx)
    except ParseError as exc:
        log.warning("rejected %s", exc)
        return {"status": "rejected", "reason": str(exc)}, [], []
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the others
        # A parser bug or a shape nobody foresaw: reject this file with what went wrong
        # (the traceback goes to the task log) and keep loading the rest.
        log.exception("unexpected error reading %s", entry["relative_path"])
        return {
            "status": "rejected",
            "reason": f"{entry['relative_path']}: could not be read ({type(exc).__name__}: {exc}); "
            "the file was set aside, please send it to the data team",
        }, [], []
    # a file cut off mid-row: the cut row is quarantined with the reason, the rest loads
    rejected_rows = [*result.rejected_rows, *(c.as_reject() for c in raw.cut_rows)]
    rows_in_file = (len(result.post_records) + len(result.daily_records) + len(rejected_rows)
                    + len(result.skipped))
    recognised = {
        "platform": result.platform,
        "export_kind": result.kind,
        "encoding": raw.encoding,
        "rows_in_file": rows_in_file,
        "lists_posts": bool(getattr(parser, "lists_posts", True)),
    }
    return recognised | {
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
    }, result.post_records, result.daily_records


def _skipped_notes(skipped: list) -> list[str]:
    """One warning per reason for the rows a parser skipped, with their row numbers."""
    rows_by_reason: dict[str, list[int]] = {}
    for p in skipped:
        rows_by_reason.setdefault(p.message, []).append(p.row)
    notes = []
    for reason, rows in rows_by_reason.items():
        shown = ", ".join(str(r) for r in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        notes.append(f"{len(rows)} row(s) skipped ({reason}): row {shown}")
    return notes


PLATFORM_LAUNCH = {
    "facebook": datetime(2004, 2, 4, tzinfo=UTC),
    "youtube": datetime(2005, 4, 23, tzinfo=UTC),
    "x": datetime(2006, 3, 21, tzinfo=UTC),
    "instagram": datetime(2010, 10, 6, tzinfo=UTC),
    "tiktok": datetime(2016, 9, 20, tzinfo=UTC),
}
ACCOUNT_KEY = ["platform", "office_code", "post_id", "snapshot_at", "source_file"]


def _registry_checks(posts: pd.DataFrame, accounts_path: Path) -> pd.DataFrame:
    """Columns the suite checks that need the registry or the platform's launch date.

    ``account_matches_registry`` is NULL (not checked) when the file names no account or
    the office has no registered account on that platform, and true for a collaboration
    post (another account's, in a file that lists the office's own account too).
    """
    from medsos.registry import load_accounts

    registry = {(a.office_code, a.platform): a for a in load_accounts(accounts_path)}

    def matches(account: tuple) -> bool | None:
        office_code, platform, file_id, file_handle = account
        reg = registry.get((office_code, platform))
        if reg is None:
            return None
        if reg.account_id and isinstance(file_id, str) and file_id:
            return file_id.strip() == reg.account_id.strip()
        if isinstance(file_handle, str) and file_handle:
            names = {reg.handle.lower(), (reg.display_name or "").lower()}
            return file_handle.strip().lstrip("@").lower() in names
        return None

    # a national week has ~50,000 rows but only a few thousand accounts: each distinct
    # (office, platform, id, handle) is compared once
    def values(column: str) -> list:
        return [None if pd.isna(v) else v for v in posts[column].astype(object)]

    accounts = zip(*(values(c) for c in ("office_code", "platform", "account_id", "account_handle")), strict=True)
    seen: dict[tuple, bool | None] = {}
    out = posts.copy()
    matched = pd.array(
        [seen[a] if a in seen else seen.setdefault(a, matches(a)) for a in accounts], dtype="boolean"
    )
    # A post of another account in a file that also lists the office's own account is a
    # collaboration post (Instagram co-authors): both accounts published it, so it counts
    # for the office. A file where no account is the office's stays refused.
    own_file = pd.Series(matched, index=posts.index).fillna(False).groupby(posts["source_file"]).transform("any")
    collaboration = (pd.Series(matched, index=posts.index) == False) & own_file  # noqa: E712 - NA stays NA
    matched[collaboration.fillna(False).to_numpy()] = True
    out["account_matches_registry"] = matched
    launch = pd.to_datetime(posts["platform"].map(PLATFORM_LAUNCH), utc=True)
    published = pd.to_datetime(posts["published_at"], utc=True)
    after = pd.array((published >= launch).to_numpy(), dtype="boolean")
    after[(published.isna() | launch.isna()).to_numpy()] = pd.NA
    out["published_after_platform_launch"] = after
    return out


def _recent_in_batch(manifest: dict, loads: Callable[[dict[str, Any]], bool]) -> dict[str, float]:
    """For a batch standing for weekly runs (``first_week``): each file's median rows of
    its account's last four loaded files as its own week's run would find them, the files
    loaded before the batch (``recent_history``) as the earlier runs of the batch left
    them, and ``loads`` saying which files of the batch loaded."""
    from statistics import median

    first = manifest["first_week"]
    run_of = {e["relative_path"]: run_week_of(e["delivery_week"], first) for e in manifest["files"]}
    loaded: dict[str, list[tuple[str, str, int, str]]] = {}
    for e in manifest["files"]:
        if e["status"] == "parsed" and e.get("lists_posts", True) and loads(e):
            loaded.setdefault(f"{e['office_code']}|{e['platform']}", []).append(
                (e["delivery_week"], e["relative_path"], e["rows_in_file"], run_of[e["relative_path"]]))
    out: dict[str, float] = {}
    for e in manifest["files"]:
        if e["status"] != "parsed" or not e.get("lists_posts", True):
            continue
        account, run = f"{e['office_code']}|{e['platform']}", run_of[e["relative_path"]]
        # a file the batch replaces is gone from the warehouse after its own week's run
        seen = [(w, p, n) for w, p, n in manifest["recent_history"].get(account, ())
                if not (p in run_of and run_of[p] < run)]
        seen += [(w, p, n) for w, p, n, r in loaded.get(account, ()) if r < run]
        last = sorted(seen, reverse=True)[:4]
        if last:
            out[e["relative_path"]] = median(n for _, _, n in last)
    return out


def _files_frame(manifest: dict, accounts_path: Path,
                 recent_per_file: dict[str, float] | None = None) -> pd.DataFrame:
    from medsos.registry import load_accounts

    registered = {(a.office_code, a.platform) for a in load_accounts(accounts_path)}
    recent = manifest.get("recent_rows", {})
    rows = []
    for e in manifest["files"]:
        if e["status"] != "parsed":
            continue
        # only exports that list posts are compared with the account's usual count
        if not e.get("lists_posts", True):
            typical = None
        elif recent_per_file is not None:
            typical = recent_per_file.get(e["relative_path"])
        else:
            typical = recent.get(f"{e['office_code']}|{e['platform']}")
        if typical is not None and typical < 3:
            typical = None  # an account posting once or twice a week swings by nature
        rows.append(
            {
                "source_file": e["relative_path"],
                "office_code": e["office_code"],
                "platform": e["platform"],
                "export_kind": e["export_kind"],
                "rows_in_file": e["rows_in_file"],
                "platform_registered": (e["office_code"], e["platform"]) in registered,
                "rows_vs_recent": None if not typical else round(e["rows_in_file"] / typical, 3),
            }
        )
    df = pd.DataFrame(rows, columns=["source_file", "office_code", "platform", "export_kind",
                                     "rows_in_file", "platform_registered", "rows_vs_recent"])
    return df.astype({"platform_registered": "boolean", "rows_vs_recent": "Float64"})


# Rows of a batch validated by one GX call: a year of national rows in one pandas frame
# (and GX's copies of it) would take several GB; a few national weeks take a few hundred MB.
VALIDATE_ROWS = 150_000


def _validation_chunks(manifest: dict) -> list[list[str]]:
    """The batch's parts (weeks) in chunks of about ``VALIDATE_ROWS`` rows, whole parts each."""
    chunks: list[list[str]] = [[]]
    rows = 0
    for part, n in (manifest.get("parts") or {"": {}}).items():
        size = n.get("posts", 0) + n.get("days", 0)
        if chunks[-1] and rows + size > VALIDATE_ROWS:
            chunks.append([])
            rows = 0
        chunks[-1].append(part)
        rows += size
    return chunks


def validate_batch(settings: Settings, batch: Batch) -> dict[str, int]:
    """Stage 3: Great Expectations on the week's batch, one call per dataset (files, posts,
    account figures). Critical failures hold rows (or whole files) back; warnings are
    recorded for the weekly email."""
    from medsos.registry import load_offices
    from medsos.validate import ROW_KEY, Validator

    with _exclusive(settings.gx_dir):
        return _validate_batch(settings, batch, Validator, ROW_KEY, load_offices)


@contextmanager
def _exclusive(folder: Path):
    """Hold a lock file in ``folder`` for the block: the GX project folder is a set of
    files that two runs started at once would otherwise rewrite under each other."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".medsos.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _validate_batch(settings: Settings, batch: Batch, Validator, ROW_KEY, load_offices) -> dict[str, int]:  # noqa: N803
    manifest = batch.read_json(FILES_JSON)
    params = {"office_codes": sorted(load_offices())}
    # Data Docs names each result by the week and run it validated
    validator = Validator(settings.gx_dir, run_name=_safe(f"{batch.week}_{batch.run_id}"))
    held, warned, results, per_file = [], [], [], []

    def collect(dataset: str, outcome) -> None:
        rows_by_key = outcome.quarantined.set_index(ROW_KEY) if len(outcome.quarantined) else None
        for f in outcome.failures:
            record = {k: v for k, v in f.items() if k != ROW_KEY}
            if f["severity"] == "critical":
                if rows_by_key is not None and f[ROW_KEY] in rows_by_key.index:
                    record["row_json"] = rows_by_key.loc[f[ROW_KEY]].to_json(date_format="iso", default_handler=str)
                held.append(record)
            else:
                warned.append(record)
        for r in outcome.results:
            results.append({**r, "dataset": dataset})
        counts: dict[tuple, int] = {}
        for f in outcome.failures:
            key = (f.get("source_file"), f["check_name"], f["column_name"], f["severity"])
            counts[key] = counts.get(key, 0) + 1
        per_file.extend(
            {"dataset": dataset, "source_file": k[0], "expectation": k[1], "column_name": k[2],
             "severity": k[3], "unexpected_count": n}
            for k, n in counts.items()
        )

    # Files first: a file that fails a critical file-level check is rejected whole.
    # (A batch of many weeks compares row counts with the weeks before each file; which of
    # its files load is known only after their rows are checked, so it counts them as
    # loading here and checks again below if some did not.)
    many_weeks = bool(manifest.get("first_week"))
    recent = _recent_in_batch(manifest, lambda e: True) if many_weeks else None
    files_outcome = validator.run(_files_frame(manifest, settings.accounts, recent), "files", params)
    rejected_files = {}
    for f in files_outcome.failures:
        if f["severity"] == "critical":
            rejected_files.setdefault(f["source_file"], []).append(f["message"])
    for e in manifest["files"]:
        if e["relative_path"] in rejected_files:
            e.update(status="rejected", reason="; ".join(rejected_files[e["relative_path"]]))
    batch.write_json(FILES_JSON, manifest)

    # The rows in chunks of whole weeks: a year of rows at once would not fit in memory;
    # GX's fixed cost (its context, the suites, Data Docs) is still paid once.
    rows_validated = rows_accepted = rows_quarantined = 0
    loaded_per_file: dict[str, int] = {}
    copies_per_file: dict[str, int] = {}
    manifest["accepted"] = []
    chunks = _validation_chunks(manifest)
    for i, chunk in enumerate(chunks):
        name = f"{i:03d}" if len(chunks) > 1 else ""
        posts = read_frames(_part_files(batch, PARSED_POSTS, chunk), POST_COLUMNS)
        posts = _registry_checks(posts[~posts["source_file"].isin(rejected_files)], settings.accounts)
        rows_validated += len(posts)
        outcome = validator.run(posts, "post_snapshots", params)
        del posts  # GX works on its own copy; a chunk's rows are held once, not three times
        collect("post_snapshots", outcome)
        # a post listed twice in one file: the first row is kept (the warning says so, and
        # the manifest counts the copies, so every row of the file is accounted for)
        accepted = outcome.accepted.drop_duplicates(subset=ACCOUNT_KEY, keep="first")
        copies = outcome.accepted[outcome.accepted.duplicated(subset=ACCOUNT_KEY, keep="first")]
        write_frame(conform(accepted, POST_COLUMNS), batch.folder / part_file(ACCEPTED_POSTS, name))

        daily = read_frames(_part_files(batch, ACCOUNT_DAILY, chunk), ACCOUNT_DAILY_COLUMNS)
        daily = daily[~daily["source_file"].isin(rejected_files)]
        rows_validated += len(daily)
        daily_outcome = validator.run(daily, "account_daily", params)
        del daily
        collect("account_daily", daily_outcome)
        day_key = ["platform", "office_code", "metric_date", "source_file"]
        daily_ok = daily_outcome.accepted.drop_duplicates(subset=day_key, keep="first")
        copies = pd.concat([copies[["source_file"]], daily_outcome.accepted[
            daily_outcome.accepted.duplicated(subset=day_key, keep="first")][["source_file"]]])
        for rel, n in (copies.groupby("source_file").size().items() if len(copies) else ()):
            copies_per_file[rel] = copies_per_file.get(rel, 0) + int(n)
        write_frame(conform(daily_ok, ACCOUNT_DAILY_COLUMNS), batch.folder / part_file(ACCEPTED_DAILY, name))
        manifest["accepted"].append(name)
        for part in (accepted, daily_ok):
            for rel, n in (part.groupby("source_file").size().items() if len(part) else ()):
                loaded_per_file[rel] = loaded_per_file.get(rel, 0) + int(n)
        rows_accepted += len(accepted) + len(daily_ok)
        rows_quarantined += len(outcome.quarantined) + len(daily_outcome.quarantined)
        del outcome, accepted, copies, daily_outcome, daily_ok
    for e in manifest["files"]:
        if e["relative_path"] in copies_per_file:
            e["rows_duplicate"] = copies_per_file[e["relative_path"]]

    if many_weeks:
        # now that the rows are checked: which files load, as the load will settle them
        held_per_file: dict[str, set] = {}
        for r in [r for e in manifest["files"] for r in e.get("parse_rejects", [])] + held:
            held_per_file.setdefault(r["source_file"], set()).add((r.get("source_sheet"), r.get("source_row")))
        settled = _settle_files(manifest["files"], loaded_per_file, held_per_file)
        exact = _recent_in_batch(manifest, lambda e: settled[e["relative_path"]][0].startswith("loaded"))
        if exact != recent:
            files_outcome = validator.run(_files_frame(manifest, settings.accounts, exact), "files", params)
    collect("files", files_outcome)
    warnings_of: dict[str, list[str]] = {}
    for f in files_outcome.failures:
        if f["severity"] != "critical":
            warnings_of.setdefault(f["source_file"], []).append(f["message"])
    for e in manifest["files"]:
        warnings = e.get("notes", []) + warnings_of.get(e["relative_path"], [])
        if warnings:
            e["warnings"] = warnings
    batch.write_json(FILES_JSON, manifest)

    validator.build_docs()
    batch.write_json(QUARANTINE_JSON, held)
    batch.write_json(WARNINGS_JSON, warned)
    batch.write_json(VALIDATION_JSON, {"results": results, "per_file": per_file})
    counts = {
        "rows_validated": rows_validated,
        "rows_accepted": rows_accepted,
        "rows_quarantined": rows_quarantined,
        "rows_with_warnings": len({(w.get("source_file"), w.get("source_row")) for w in warned}),
        "files_rejected_by_checks": len(rejected_files),
        "checks_failed": sum(1 for r in results if not r["success"]),
    }
    log.info("validated: %s (Data Docs: %s)", counts, validator.docs_index)
    return counts


def file_status(status: str, reason: str | None, loaded: int, bad: int) -> tuple[str, str | None]:
    """A file's status once its rows are checked: ``status`` after parsing and the file
    checks ('parsed' or 'rejected'), with ``loaded`` rows accepted and ``bad`` rows held
    back. The load and the portal's instant check (``check_files``) both settle here."""
    if status != "parsed":
        return status, reason
    if bad and not loaded:
        return "rejected", f"all {bad} rows failed checks; see raw.quarantine"
    if bad:
        return "loaded_with_quarantine", f"{bad} of {bad + loaded} rows quarantined; see raw.quarantine"
    return "loaded", reason


def check_files(settings: Settings, entries: list[dict[str, Any]], validator: Any = None,
                recent_rows: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """What a weekly run will make of landing files, decided now and without the warehouse
    (the portal's verdict on an upload). ``entries`` are ``LandingFile.to_dict()`` rows of
    files already in the landing zone. Each goes through the stages' own pieces: read by
    ``_parse_entry``, the ``files`` suite on ``_files_frame``, the ``post_snapshots``
    suite on ``_registry_checks`` and the ``account_daily`` suite (every expectation is
    per row or per file, so checking one file alone decides as the batch does), repeated
    rows counted once, and the status from ``file_status``. Whether the file is a copy of
    another is left to the caller: that depends on what else lies in the landing zone.

    Returns one dict per entry: the manifest fields (platform, export_kind, rows_in_file,
    warnings…), ``status``/``reason`` as ``raw.files`` would have them, ``rows_loaded``,
    ``quarantine`` (the held rows: row, column, value, check, message), ``posts`` (the
    accepted post records) and ``days`` (the accepted account-day records).
    """
    from medsos.registry import load_offices
    from medsos.validate import ROW_KEY, Validator

    validator = validator or Validator()
    params = {"office_codes": sorted(load_offices())}
    out, post_records, daily_records = [], [], []
    for e in entries:
        e = dict(e, status="rejected" if e.get("problem") else "new", reason=e.get("problem"))
        if e["status"] == "new":
            updated, posts_part, daily_part = _parse_entry(settings.landing, e)
            e.update(updated)
            post_records.extend(posts_part)
            daily_records.extend(daily_part)
        e.setdefault("parse_rejects", [])
        out.append(e)
    by_path = {e["relative_path"]: e for e in out}
    held: dict[str, list[dict[str, Any]]] = {e["relative_path"]: list(e["parse_rejects"]) for e in out}

    files_outcome = validator.run(_files_frame({"files": out, "recent_rows": recent_rows or {}}, settings.accounts),
                                  "files", params)
    rejected_files: dict[str, list[str]] = {}
    for f in files_outcome.failures:
        if f["severity"] == "critical":
            rejected_files.setdefault(f["source_file"], []).append(f["message"])
    for e in out:
        if e["relative_path"] in rejected_files:
            e.update(status="rejected", reason="; ".join(rejected_files[e["relative_path"]]))
        warnings = [f["message"] for f in files_outcome.failures
                    if f["source_file"] == e["relative_path"] and f["severity"] != "critical"]
        e["warnings"] = e.get("notes", []) + warnings

    accepted_rows: dict[str, int] = {}
    kept: dict[str, list[pd.DataFrame]] = {"post_snapshots": [], "account_daily": []}
    for dataset, records, columns, key in (
        ("post_snapshots", post_records, POST_COLUMNS, ACCOUNT_KEY),
        ("account_daily", daily_records, ACCOUNT_DAILY_COLUMNS, ["platform", "office_code", "metric_date", "source_file"]),
    ):
        rows = frame(records, columns)
        rows = rows[~rows["source_file"].isin(rejected_files)]
        if dataset == "post_snapshots":
            rows = _registry_checks(rows, settings.accounts)
        outcome = validator.run(rows, dataset, params)
        for f in outcome.failures:
            if f["severity"] == "critical":
                held[f["source_file"]].append({k: v for k, v in f.items() if k != ROW_KEY})
            elif f.get("source_file") in by_path:
                by_path[f["source_file"]].setdefault("row_warnings", []).append(
                    {k: v for k, v in f.items() if k != ROW_KEY})
        accepted = outcome.accepted.drop_duplicates(subset=key, keep="first")
        for name, n in (accepted.groupby("source_file").size().items() if len(accepted) else ()):
            accepted_rows[name] = accepted_rows.get(name, 0) + int(n)
        kept[dataset].append(conform(accepted, columns))
    for e in out:
        rel = e["relative_path"]
        bad = len({(r.get("source_sheet"), r.get("source_row")) for r in held[rel]})
        e["status"], e["reason"] = file_status(e["status"], e.get("reason"), accepted_rows.get(rel, 0), bad)
        loaded = e["status"].startswith("loaded")
        e["rows_loaded"] = accepted_rows.get(rel, 0) if loaded else 0
        e["quarantine"] = held[rel] if loaded or e["status"] == "rejected" else []
        posts, days = kept["post_snapshots"][0], kept["account_daily"][0]
        # the accounts the file names, whatever became of its rows (a wrong account's posts are held)
        e["accounts"] = sorted({(r.get("account_handle") or "", r.get("account_id") or "")
                                for r in (*post_records, *daily_records) if r.get("source_file") == rel} - {("", "")})
        e["posts"] = posts[posts["source_file"] == rel] if loaded else posts.iloc[0:0]
        e["days"] = days[days["source_file"] == rel] if loaded else days.iloc[0:0]
    return out


def _rows_per_file(paths: list[str]) -> dict[str, int]:
    con = duckdb.connect()
    try:
        return dict(con.execute("select source_file, count(*) from read_parquet(?) group by all", [paths]).fetchall())
    finally:
        con.close()


def _copies_set_aside(files: list[dict[str, Any]], settled: Callable[[dict[str, Any]], tuple]) -> dict[str, str]:
    """The copies (``same_content_as``) set aside, each with the file that loads instead.

    A copy (the same bytes from the same office under another path) was read like any
    file. It is set aside only when its original loads, now or in an earlier run: when
    this run rejects the original (say it lies in a week folder its posts are too new
    for), the copy loads in its place instead of both being lost until the next run.
    Several copies of one rejected original: the first that loads stands in for it and
    the others are copies of that one (the manifest lists the oldest first)."""
    in_batch = {e["relative_path"]: e for e in files}
    stand_in: dict[str, str] = {}
    aside: dict[str, str] = {}

    def loads(e: dict[str, Any]) -> bool:
        return e["relative_path"] not in aside and settled(e)[0].startswith("loaded")

    for e in files:
        original = e.get("same_content_as")
        # a copy that loads no row (only skipped ones) sets nothing aside: it loads as itself
        if e["status"] == "parsed" and original and (e.get("rows_in_file") or 0) > (e.get("rows_skipped") or 0):
            if original not in in_batch or loads(in_batch[original]):
                loads_instead = original
            else:
                loads_instead = stand_in.get(original)
            if loads_instead:
                aside[e["relative_path"]] = loads_instead
            elif loads(e):
                stand_in[original] = e["relative_path"]
    return aside


def _settle_files(files: list[dict[str, Any]], loaded_per_file: dict[str, int],
                  held_per_file: dict[str, set]) -> dict[str, tuple[str, str | None]]:
    """Each file's status as ``load_batch`` will settle it (copies set aside included)."""
    def settled(e: dict[str, Any]) -> tuple[str, str | None]:
        return file_status(e["status"], e.get("reason"), int(loaded_per_file.get(e["relative_path"], 0)),
                           len(held_per_file.get(e["relative_path"], ())))

    aside = _copies_set_aside(files, settled)
    return {e["relative_path"]: ("duplicate", None) if e["relative_path"] in aside else settled(e) for e in files}


def load_batch(settings: Settings, batch: Batch) -> dict[str, int]:
    """Stage 4: one transaction: the batch's files replace what they loaded before.

    A file that comes back changed (same path) replaces its earlier rows, and a file that
    left the landing zone takes its rows with it. Every loaded file counts; which of
    several files for the same office, week and export gives a post its numbers (the one
    saved later) is decided when the tables are built (``core.post_snapshots``), and what
    each one is next to the others is written to ``raw.files.overlap`` here. A failure
    anywhere rolls the whole batch back.
    """
    manifest = batch.read_json(FILES_JSON)
    # the accepted rows stay in their parquet files: DuckDB reads them in the transaction
    accepted = manifest.get("accepted", [""])
    posts_files = _part_files(batch, ACCEPTED_POSTS, accepted)
    daily_files = _part_files(batch, ACCEPTED_DAILY, accepted)
    gx_failures = batch.read_json(QUARANTINE_JSON)
    warnings = batch.read_json(WARNINGS_JSON)
    validation = batch.read_json(VALIDATION_JSON)
    results, per_file = validation["results"], validation["per_file"]
    now = datetime.now(UTC)

    quarantine_rows = [r for e in manifest["files"] for r in e.get("parse_rejects", [])] + gx_failures
    posts_per_file, loaded_per_file = _rows_per_file(posts_files), _rows_per_file(daily_files)
    for name, n in posts_per_file.items():
        loaded_per_file[name] = loaded_per_file.get(name, 0) + n
    quarantined_per_file: dict[str, set] = {}
    for r in quarantine_rows:
        quarantined_per_file.setdefault(r["source_file"], set()).add((r.get("source_sheet"), r.get("source_row")))

    def settled(e: dict[str, Any]) -> tuple[str, str | None]:
        return file_status(e["status"], e.get("reason"), int(loaded_per_file.get(e["relative_path"], 0)),
                           len(quarantined_per_file.get(e["relative_path"], ())))

    in_batch = {e["relative_path"]: e for e in manifest["files"]}
    set_aside = _copies_set_aside(manifest["files"], settled)
    for rel, original in set_aside.items():
        in_batch[rel].update(status="duplicate", duplicate_of=original, warnings=[])
    if set_aside:
        quarantine_rows = [r for r in quarantine_rows if r["source_file"] not in set_aside]
        warnings = [w for w in warnings if w.get("source_file") not in set_aside]
        per_file = [r for r in per_file if r.get("source_file") not in set_aside]
        for rel in set_aside:
            quarantined_per_file.pop(rel, None)

    file_rows = []
    for e in manifest["files"]:
        rel = e["relative_path"]
        loaded = int(loaded_per_file.get(rel, 0))
        bad = len(quarantined_per_file.get(rel, ()))
        status, reason = settled(e)
        if status == "duplicate":
            reason = f"same content as {e.get('duplicate_of')}; loaded once"
        elif status == "withdrawn":
            bad = 0
        if e.get("rows_duplicate") and status.startswith("loaded"):
            reason = "; ".join(filter(None, [reason, f"{e['rows_duplicate']} repeated rows loaded once"]))
        if e.get("warnings"):
            reason = "; ".join(filter(None, [reason, *(f"warning: {w}" for w in e["warnings"])]))
        file_rows.append(
            {
                "relative_path": rel,
                "delivery_week": e["delivery_week"],
                "office_code": e.get("office_code"),
                "sha256": e["sha256"],
                "size_bytes": e.get("size_bytes"),
                "platform": e.get("platform"),
                "export_kind": e.get("export_kind"),
                "encoding": e.get("encoding"),
                "status": status,
                "status_reason": reason,
                "rows_in_file": e.get("rows_in_file"),
                "rows_loaded": loaded if status.startswith("loaded") else 0,
                "rows_quarantined": bad,
                "rows_duplicate": e.get("rows_duplicate", 0) if status.startswith("loaded") else 0,
                "rows_skipped": e.get("rows_skipped", 0) if status.startswith("loaded") else 0,
                "duplicate_of": e.get("duplicate_of"),
                "superseded_by": None,
                "run_id": batch.run_id,
                "processed_at": now,
                "first_seen_at": pd.Timestamp(e["first_seen_at"]) if e.get("first_seen_at") else now,
                "file_modified_at": pd.Timestamp(e["modified_at"]) if e.get("modified_at") else None,
                "lists_posts": e.get("lists_posts"),
            }
        )
    files_df = pd.DataFrame(file_rows, columns=[
        "relative_path", "delivery_week", "office_code", "sha256", "size_bytes", "platform",
        "export_kind", "encoding", "status", "status_reason", "rows_in_file", "rows_loaded",
        "rows_quarantined", "duplicate_of", "superseded_by", "run_id", "processed_at",
        "first_seen_at", "file_modified_at", "lists_posts", "rows_duplicate", "rows_skipped",
    ]).astype({"lists_posts": "boolean"})
    for column in ("processed_at", "first_seen_at", "file_modified_at"):
        files_df[column] = pd.to_datetime(files_df[column], utc=True)
    live = set(files_df.loc[files_df["status"].str.startswith("loaded"), "relative_path"]) if len(files_df) else set()
    posts_loaded = sum(n for name, n in posts_per_file.items() if name in live)
    q_df = pd.DataFrame(
        [{**r, "run_id": batch.run_id} for r in quarantine_rows],
        columns=["run_id", "source_file", "source_sheet", "source_row", "platform", "office_code",
                 "post_id", "column_name", "value", "check_name", "severity", "message", "row_json"],
    )
    v_df = pd.DataFrame(
        [{**r, "run_id": batch.run_id, "validated_at": now} for r in results],
        columns=["run_id", "dataset", "expectation", "column_name", "severity", "success",
                 "element_count", "unexpected_count", "why", "validated_at"],
    )
    w_df = pd.DataFrame(
        [{**w, "run_id": batch.run_id} for w in warnings],
        columns=["run_id", "source_file", "source_sheet", "source_row", "platform", "office_code",
                 "post_id", "column_name", "value", "check_name", "severity", "message"],
    )
    pf_df = pd.DataFrame(
        [{**r, "run_id": batch.run_id} for r in per_file],
        columns=["run_id", "dataset", "source_file", "expectation", "column_name", "severity", "unexpected_count"],
    )
    touched = list(files_df["relative_path"]) if len(files_df) else []

    with open_warehouse(settings) as con, transaction(con):
        con.register("_files", files_df)
        con.register("_quarantine", q_df)
        con.register("_validation", v_df)
        con.register("_touched", pd.DataFrame({"relative_path": touched}, dtype="string"))
        con.register("_warnings", w_df)
        con.register("_per_file", pf_df)
        # only a file the warehouse already lists has rows to replace; a week of new files
        # skips scanning a year of rows for them. Asked inside the transaction, because
        # another run may have loaded the same files since this one looked.
        (listed,) = con.sql(
            "select count(*) from raw.files where relative_path in (select relative_path from _touched)"
        ).fetchall()[0]
        # the exports of the same kind, office and week as a file of this batch, as they
        # were (a withdrawn file's row no longer says its kind) and as they are now
        con.execute(
            """create or replace temp table _overlap_groups as
               select distinct office_code, delivery_week, export_kind from raw.files
               where relative_path in (select relative_path from _touched) and export_kind is not null
               union
               select distinct office_code, delivery_week, export_kind from _files where export_kind is not null"""
        )
        if listed:
            for table in ("raw.post_snapshots", "raw.account_daily", "raw.quarantine", "raw.row_warnings"):
                con.execute(f"delete from {table} where source_file in (select relative_path from _touched)")
        con.execute("delete from raw.files where relative_path in (select relative_path from _touched)")
        con.execute("insert into raw.files by name select * from _files")
        for table, files in (("raw.post_snapshots", posts_files), ("raw.account_daily", daily_files)):
            con.execute(
                f"""insert into {table} by name
                    select rows.*, live.delivery_week, $run_id as run_id
                    from read_parquet($files) as rows
                    join (select relative_path, delivery_week from _files
                          where status in ('loaded', 'loaded_with_quarantine')) as live
                      on live.relative_path = rows.source_file""",
                {"files": files, "run_id": batch.run_id},
            )
        con.execute("insert into raw.quarantine by name select * from _quarantine")
        _describe_overlaps(con)
        con.execute("insert into raw.validation_results by name select * from _validation")
        con.execute("insert into raw.row_warnings by name select * from _warnings")
        con.execute("insert into raw.validation_file_results by name select * from _per_file")
        # the office folders as listed, so the next run can pass over the unchanged ones
        con.register("_folders", pd.DataFrame(
            {"folder": list(manifest.get("folders", {})), "modified_ns": list(manifest.get("folders", {}).values())}
        ).astype({"folder": "string", "modified_ns": "int64"}))
        con.register("_forgotten", pd.DataFrame({"folder": manifest.get("folders_forgotten", [])}, dtype="string"))
        con.execute("delete from meta.landing_folders where folder in (select folder from _forgotten)")
        con.execute("insert or replace into meta.landing_folders by name select * from _folders")
        con.execute(
            """insert or replace into raw.runs
               (run_id, iso_week, started_at, status, files_seen, files_processed, rows_loaded, rows_quarantined)
               values (?, ?, ?, 'loaded', ?, ?, ?, ?)""",
            [batch.run_id, batch.week, now, manifest.get("files_seen", 0), len(file_rows), posts_loaded, len(q_df)],
        )
    counts = {
        "files_processed": len(file_rows),
        "files_loaded": sum(1 for r in file_rows if r["status"].startswith("loaded")),
        "files_rejected": sum(1 for r in file_rows if r["status"] == "rejected"),
        "files_duplicate": sum(1 for r in file_rows if r["status"] == "duplicate"),
        "rows_loaded": posts_loaded,
        "rows_quarantined": len(q_df),
    }
    log.info("loaded: %s", counts)
    return counts


def _describe_overlaps(con: duckdb.DuckDBPyConnection) -> None:
    """``raw.files.overlap``: what each loaded export of the groups in ``_overlap_groups``
    is next to the others of its kind, office and week (sql/load/file_overlap.sql)."""
    (shared,) = con.sql(
        """select count(*) from (
               select 1 from raw.files semi join _overlap_groups using (office_code, delivery_week, export_kind)
               where status in ('loaded', 'loaded_with_quarantine')
               group by office_code, delivery_week, export_kind having count(*) > 1)"""
    ).fetchall()[0]
    if shared:
        sql = (sql_dir() / "load" / "file_overlap.sql").read_text(encoding="utf-8")
        con.execute(
            f"""update raw.files
                set overlap = described.overlap, overlap_file = described.overlap_file
                from ({sql}) as described
                where raw.files.relative_path = described.relative_path"""
        )
    else:
        # no export shares its kind, office and week with another (most weeks): none
        # compares with another any more, without reading the loaded rows
        con.execute(
            """update raw.files set overlap = null, overlap_file = null
               where overlap is not null
                 and (office_code, delivery_week, export_kind) in (select * from _overlap_groups)"""
        )
    con.execute("drop table _overlap_groups")


def build_tables(settings: Settings, week: str, run_id: str | None = None) -> list[str]:
    """Stage 5: rebuild core and marts from sql/ for all weeks up to ``week``."""
    with open_warehouse(settings) as con:
        built = build(con, settings, week)
        if run_id:
            con.execute(
                "update raw.runs set status = 'built', finished_at = now() where run_id = ?", [run_id]
            )
        con.execute("checkpoint")
    log.info("built %s tables", len(built))
    return built


def publish_copy(settings: Settings) -> str:
    """Stage 6: refresh the read-only copy staff query."""
    return str(publish(settings))


def render_summaries(settings: Settings, week: str) -> list[str]:
    """Stage 7: the weekly summaries per province (and national) into the outbox."""
    from medsos.report import render_week

    return [str(p) for p in render_week(settings, week)]


def send_summaries(
    settings: Settings, week: str, run_id: str | None = None, resend: bool = False, only: list[str] | None = None
) -> dict[str, int]:
    """Stage 8: deliver the rendered summaries (all, or the ``only`` .eml files) through
    the SMTP connection, once per recipient."""
    from medsos.report.send import send_week

    return send_week(settings, week, run_id=run_id, resend=resend, only=only)


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


def load_week(settings: Settings, week: str, run_id: str, reprocess: bool = False) -> dict[str, Any]:
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


def load_weeks(settings: Settings, first_week: str, last_week: str, run_id: str, reprocess: bool = False,
               progress: Callable[[str, int, int], None] | None = None,
               timed: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Stages 1-4 for the weeks ``first_week`` … ``last_week`` as one batch (``medsos
    backfill``): the landing zone is listed once, every file parsed (a week at a time,
    ``progress`` called after each), validated with one GX context and loaded in one
    transaction. The tables it leaves are those of weekly runs of each week in order
    (tests/test_backfill_batch.py): files are taken week by week, each compared with the
    weeks before it. ``timed(stage, fn, *args)`` runs each stage (the benchmark times them)."""
    timed = timed or (lambda _stage, fn, *args, **kw: fn(*args, **kw))
    batch = timed("find", find_new_files, settings, last_week, run_id, reprocess=reprocess, first_week=first_week)
    parsed = timed("parse", parse_files, settings, batch, progress=progress)
    validated = timed("validate", validate_batch, settings, batch)
    loaded = timed("load", load_batch, settings, batch)
    layout_problems = batch.read_json(FILES_JSON)["layout_problems"]
    shutil.rmtree(batch.folder, ignore_errors=True)  # the batch is in the warehouse now
    return {**parsed, **validated, **loaded, "layout_problems": layout_problems}

