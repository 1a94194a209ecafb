"""Stage 1, find: which landing files are new, changed or gone since the last run.

Reads the landing zone (``landing.scan``) and what the warehouse recorded of it
(``raw.files``, ``meta.landing_folders``); writes a new batch folder with its manifest
(``files.json``). It changes nothing in the warehouse.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from medsos import landing, weeks
from medsos.config import Settings
from medsos.pipeline.batch import (
    FILES_JSON,
    Batch,
    _forget_old_batches,
    _is_batch,
    _safe,
    run_week_of,
)
from medsos.warehouse import open_warehouse

log = logging.getLogger(__name__)


# A weekly run looks at every file in this many recent week folders (a correction saved
# over an export changes only the file: its size and time are compared with the record);
# older week folders are listed only when a file was added, removed or renamed in them
# (see landing.scan).
DEFAULT_LATE_WEEKS = 8


def late_weeks() -> int:
    """``$MEDSOS_LATE_WEEKS``, else 8."""
    value = (os.environ.get("MEDSOS_LATE_WEEKS") or str(DEFAULT_LATE_WEEKS)).strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"MEDSOS_LATE_WEEKS must be a whole number of weeks, at least 1, not {value!r}"
        )
    return int(value)


@dataclass
class _Recorded:
    """What the warehouse and the landing zone say of the files up to the batch's week."""

    found: landing.Scan
    forget: list[str]  # recorded office folders whose times the load replaces or drops
    known: dict[str, dict[str, Any]]  # raw.files rows of the folders listed now, by path
    unlisted_originals: dict[str, dict[str, Any]]  # loaded files a listed file is a copy of
    recent: dict[str, float]  # median rows of each account's last four loaded files
    history: dict[str, list]  # every loaded file of each account (a batch of many weeks)


def _list_landing(
    settings: Settings, week: str, list_from: str, reprocess: bool, week_by_week: bool
) -> _Recorded:
    """Step 1: list the landing zone, passing over office folders unchanged since the last
    run, and read what the warehouse recorded of the files it lists."""
    with open_warehouse(settings) as con:
        con.execute(
            "create or replace temp macro office_folder(path) as regexp_extract(path, '^[^/]+/[^/]+')"
        )
        # the recorded folders by office folder, grouped once (a year holds 50,000 and more)
        recorded: dict[str, list[tuple[str, int]]] = {}
        for path, mtime in con.sql(
            "select folder, modified_ns from meta.landing_folders"
        ).fetchall():
            recorded.setdefault(landing.office_folder(path), []).append((path, mtime))
        # a folder holding a copy is always listed: the copy loads once its original goes
        with_copies = {
            folder
            for (folder,) in con.sql(
                "select distinct office_folder(relative_path) from raw.files where status = 'duplicate'"
            ).fetchall()
        }
        # --reprocess lists every folder (what was recorded is still replaced or forgotten)
        folder_mtimes = (
            {}
            if reprocess
            else {office: times for office, times in recorded.items() if office not in with_copies}
        )
        # fingerprints of the files a scan may list (--reprocess reads every file again),
        # and the files recorded in each office folder of the recent weeks (a scan passes
        # over such a folder when each is as recorded)
        fingerprints: dict[str, tuple[int, str, str]] = {}
        in_folders: dict[str, list[tuple[str, int, str]] | None] = {}
        for path, size, modified, sha, status in (
            []
            if reprocess
            else con.execute(
                """select relative_path, size_bytes,
                       strftime(file_modified_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00', sha256, status
                from raw.files
                where delivery_week >= ?
                   or office_folder(relative_path) not in (select folder from meta.landing_folders)""",
                [list_from],
            ).fetchall()
        ):
            if modified is not None:
                fingerprints[path] = (size, modified, sha)
            if status == "withdrawn":
                continue  # no longer in the landing zone
            folder = landing.office_folder(path)
            if modified is None or landing.MEMBER_SEPARATOR in path:
                in_folders[folder] = None  # its record cannot tell whether it changed
            elif (listed := in_folders.setdefault(folder, [])) is not None:
                listed.append((path, size, modified))
        found = _scan(
            settings,
            week,
            dict(
                known=None if reprocess else fingerprints,
                folder_times=folder_mtimes,
                always_list_from=list_from,
                recorded_files=in_folders,
            ),
            share=week_by_week,
        )
        files = found.files
        # what the load records of the folders: the times of those listed now replace what
        # was recorded of them and of folders that are gone; unchanged ones stay as they are
        forget = sorted(
            path
            for office, times in recorded.items()
            if office not in found.unchanged
            for path, _ in times
            if path[:8] <= week
        )
        con.register("_unlisted", pd.DataFrame({"folder": sorted(found.unchanged)}, dtype="string"))
        con.register(
            "_listed_sha",
            pd.DataFrame({"sha256": sorted({f.sha256 for f in files})}, dtype="string"),
        )
        known = {
            path: {
                "sha256": sha,
                "status": status,
                "duplicate_of": duplicate_of,
                "first_seen_at": first_seen_at,
                "delivery_week": delivery_week,
                "office_code": office_code,
                "size_bytes": size_bytes,
            }
            for (
                path,
                sha,
                status,
                duplicate_of,
                first_seen_at,
                delivery_week,
                office_code,
                size_bytes,
            ) in con.sql(
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
        # median rows of each account's last four loaded files (latest week, then path),
        # for the row-count check; max_by keeps four per account instead of sorting a year
        recent = {
            f"{office}|{platform}": median
            for office, platform, median in con.sql(
                """select office_code, platform,
                          -- wrapped, so a file without a count still takes its place
                          list_median(list_transform(
                              max_by({'n': rows_in_file}, (delivery_week, relative_path), 4),
                              lambda f: f.n))
                   from raw.files where status in ('loaded', 'loaded_with_quarantine') and lists_posts
                   group by all"""
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
    return _Recorded(found, forget, known, unlisted_originals, recent, history)


def _scan(settings: Settings, week: str, options: dict[str, Any], share: bool) -> landing.Scan:
    """``landing.scan`` of the weeks up to ``week``. With ``share`` (a backfill) and a parse
    worker kept for it (``parse_workers_kept``: started now, idle until the parse), the
    later two fifths of the week folders are listed and hashed by the worker meanwhile
    (a year's 143,780 files took one core 6 s, shared 4.3-4.6 s). The result is the one
    scan's: the same files, folders and problems, in the order it gives them."""
    from medsos.pipeline import parse

    pool = parse._kept_pool
    week_names = (
        sorted(
            d.name
            for d in settings.landing.iterdir()
            if weeks.is_week(d.name) and weeks.week_start(d.name) <= weeks.week_start(week)
        )
        if share and pool is not None and settings.landing.is_dir()
        else []
    )
    if len(week_names) < 4:
        return landing.scan(settings.landing, week, **options)
    # the worker's share a little smaller: it starts on it once it has warmed up
    middle = week_names[len(week_names) * 3 // 5]

    def later(values: dict[str, Any] | None) -> dict[str, Any] | None:
        # what is known of the worker's weeks ('YYYY-Www/…' sorts as the week does)
        return None if values is None else {k: v for k, v in values.items() if k[:8] >= middle}

    theirs = pool.submit(
        landing.scan,
        settings.landing,
        week,
        since_week=middle,
        weeks_only=True,
        **{k: later(v) if isinstance(v, dict) else v for k, v in options.items()},
    )
    try:
        ours = landing.scan(settings.landing, weeks.shift(middle, -1), **options)
    except BaseException:
        theirs.cancel()
        raise
    rest = theirs.result()
    log.info("the weeks from %s listed by a parse worker: %s files", middle, len(rest.files))

    def in_walk_order(here: list[Any], there: list[Any], path: Callable[[Any], str]) -> list[Any]:
        # where one scan would have come to the worker's weeks: after what lies before
        # them at the top of the landing zone (a problem starts with its path)
        first = [x for x in here if path(x).split(":", 1)[0].split("/", 1)[0] < middle]
        return first + there + here[len(first) :]

    return landing.Scan(
        in_walk_order(ours.files, rest.files, lambda f: f.relative_path),
        in_walk_order(ours.problems, rest.problems, str),
        ours.folders | rest.folders,
        ours.unchanged | rest.unchanged,
        ours.checked + rest.checked,
    )


def _office_of(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else ""


def _new_and_changed(
    rec: _Recorded, week: str, reprocess: bool, first_week: str | None
) -> list[dict[str, Any]]:
    """Step 2: the manifest's entries: files new or changed since they were loaded (with
    the original a copy has the same bytes as), and files gone from the landing zone."""
    files, known, unlisted_originals = rec.found.files, rec.known, rec.unlisted_originals
    on_disk = {f.relative_path for f in files} | set(unlisted_originals)

    # Same bytes from the same office under another path: a re-dropped file. Only files
    # still in the landing zone count as originals, so moving a file from the wrong week
    # folder to the right one loads it in its new place. Decided after parsing, because
    # an export with no rows (a silent week) is byte-identical from week to week and is
    # still a delivery.
    live_sha: dict[tuple[str, str], str] = {}
    for path, k in sorted((known | unlisted_originals).items()):
        if k["status"] in ("loaded", "loaded_with_quarantine") and path in on_disk:
            live_sha.setdefault((_office_of(path), k["sha256"]), path)

    entries = []

    # oldest first, so of two identical files in one batch the one saved first is the original
    # (the one in the earlier week folder first, when the batch stands for weekly runs)
    def taken(f: landing.LandingFile) -> tuple:
        return (
            run_week_of(f.delivery_week, first_week) if first_week is not None else "",
            f.modified_at or "",
            f.relative_path,
        )

    for f in sorted(files, key=taken):
        before = known.get(f.relative_path)
        unchanged = before is not None and before["sha256"] == f.sha256
        # a copy whose original has left the landing zone (or stopped loading) loads now,
        # and so does a file put back where it was taken from
        prior = before or {}
        orphaned = (
            unchanged
            and prior["status"] == "duplicate"
            and prior["duplicate_of"] not in live_sha.values()
        )
        returned = unchanged and prior["status"] == "withdrawn"
        if unchanged and not reprocess and not orphaned and not returned:
            continue
        entry = f.to_dict() | {
            "status": "rejected" if f.problem else "new",
            "reason": f.problem,
            "first_seen_at": before["first_seen_at"] if before else None,
        }
        original = live_sha.get((_office_of(f.relative_path), f.sha256))
        if original and original != f.relative_path:
            entry["same_content_as"] = original
        elif not f.problem:
            live_sha.setdefault((_office_of(f.relative_path), f.sha256), f.relative_path)
        entries.append(entry)
    # A file taken out of the landing zone takes its rows with it: the landing zone is the
    # record of what offices delivered, and a file moved to another week folder must not
    # count twice.
    for path, k in sorted(known.items()):
        if path in on_disk or k["status"] == "withdrawn":
            continue
        if weeks.is_week(k["delivery_week"]) and weeks.week_start(
            k["delivery_week"]
        ) > weeks.week_start(week):
            continue
        entries.append(
            {
                "relative_path": path,
                "delivery_week": k["delivery_week"],
                "office_code": k["office_code"],
                "sha256": k["sha256"],
                "size_bytes": k["size_bytes"],
                "first_seen_at": k["first_seen_at"],
                "status": "withdrawn",
                "reason": "no longer in the landing zone; its rows were removed",
            }
        )
    return entries


def find_new_files(
    settings: Settings,
    week: str,
    run_id: str,
    reprocess: bool = False,
    first_week: str | None = None,
) -> Batch:
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

    rec = _list_landing(settings, week, list_from, reprocess, week_by_week)
    entries = _new_and_changed(rec, week, reprocess, first_week)
    found = rec.found
    batch.write_json(
        FILES_JSON,
        {
            "files": entries,
            "layout_problems": found.problems,
            "files_seen": len(found.files) + found.checked,
            "recent_rows": rec.recent,
            "folders": found.folders,
            "folders_forgotten": rec.forget,
        }
        | ({"first_week": first_week, "recent_history": rec.history} if week_by_week else {}),
    )
    log.info(
        "%s files listed in the landing zone up to %s (%s office folders unchanged, %s files "
        "in recent ones found as recorded); %s new or changed",
        len(found.files),
        week,
        len(found.unchanged),
        found.checked,
        len(entries),
    )
    for p in found.problems:
        log.warning("landing layout: %s", p)
    return batch
