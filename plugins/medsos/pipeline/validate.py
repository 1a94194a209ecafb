"""Stage 3, validate: the Great Expectations suites on a batch (``medsos.validate``).

Reads the manifest and the parsed rows; writes ``accepted_posts.parquet`` /
``accepted_daily.parquet``, ``quarantine.json`` (rows held back), ``warnings.json`` and
``validation_results.json``, and rejects whole files in the manifest. ``check_files`` runs
the same pieces on single files for the portal's verdict on an upload.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, insort
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medsos.config import Settings
from medsos.parsers.base import (
    ACCOUNT_DAILY_COLUMNS,
    POST_COLUMNS,
    conform,
    frame,
)
from medsos.pipeline.batch import (
    ACCEPTED_DAILY,
    ACCEPTED_POSTS,
    ACCOUNT_DAILY,
    FILES_JSON,
    PARSED_POSTS,
    QUARANTINE_JSON,
    VALIDATION_JSON,
    WARNINGS_JSON,
    Batch,
    _part_files,
    _safe,
    part_file,
    read_frames,
    run_week_of,
    write_frame,
)
from medsos.pipeline.load import _settle_files, file_status
from medsos.pipeline.parse import _parse_entry
from medsos.processes import OneAhead, lasting_objects, processes, settle, spawn_pool

log = logging.getLogger(__name__)


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

    # a national year has 2.87 M rows but a few thousand accounts: each distinct (office,
    # platform, id, handle) is compared once, and the rows numbered by it in C
    keys = ["office_code", "platform", "account_id", "account_handle"]
    group = posts.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    first_row = np.unique(group, return_index=True)[1]  # each account's first row, by number
    accounts = posts[keys].astype(object).iloc[first_row]
    verdicts = pd.array(
        [
            matches(tuple(None if pd.isna(v) else v for v in a))
            for a in accounts.itertuples(index=False)
        ],
        dtype="boolean",
    )
    out = posts.copy()
    matched = verdicts.take(group)
    # A post of another account in a file that also lists the office's own account is a
    # collaboration post (Instagram co-authors): both accounts published it, so it counts
    # for the office. A file where no account is the office's stays refused.
    own_file = (
        pd.Series(matched, index=posts.index)
        .fillna(False)
        .groupby(posts["source_file"])
        .transform("any")
    )
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
    them, and ``loads`` saying which files of the batch loaded.

    Each account's runs are taken in order, keeping the files its warehouse holds then
    sorted: a file of the batch joins after its own run; a file loaded before the batch
    leaves after the run whose file replaces it. (Looking back from every file instead
    went over the account's year once per file: 3 s of a national year's validation.)"""
    from statistics import median

    first = manifest["first_week"]
    run_of = {e["relative_path"]: run_week_of(e["delivery_week"], first) for e in manifest["files"]}
    joins: dict[str, dict[str, list[tuple]]] = {}  # account -> run -> files loaded by it
    asked: dict[str, dict[str, list[str]]] = {}  # account -> run -> files to answer for
    for e in manifest["files"]:
        if e["status"] != "parsed" or not e.get("lists_posts", True):
            continue
        account, path = f"{e['office_code']}|{e['platform']}", e["relative_path"]
        asked.setdefault(account, {}).setdefault(run_of[path], []).append(path)
        if loads(e):
            joins.setdefault(account, {}).setdefault(run_of[path], []).append(
                (e["delivery_week"], path, e["rows_in_file"])
            )
    out: dict[str, float] = {}
    for account, questions in asked.items():
        held = sorted(tuple(f) for f in manifest["recent_history"].get(account, ()))
        leaves: dict[str, list[tuple]] = {}  # run -> files before the batch it replaces
        for f in held:
            if f[1] in run_of:
                leaves.setdefault(run_of[f[1]], []).append(f)
        joining = joins.get(account, {})
        for run in sorted(questions.keys() | joining.keys() | leaves.keys()):
            last = held[-4:]  # the newest four: by week, then path
            if last and run in questions:
                typical = median(n for _, _, n in last)
                for path in questions[run]:
                    out[path] = typical
            for f in leaves.get(run, ()):
                del held[bisect_left(held, f)]
            for f in joining.get(run, ()):
                insort(held, f)
    return out


def _files_frame(
    manifest: dict, accounts_path: Path, recent_per_file: dict[str, float] | None = None
) -> pd.DataFrame:
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
    df = pd.DataFrame(
        rows,
        columns=[
            "source_file",
            "office_code",
            "platform",
            "export_kind",
            "rows_in_file",
            "platform_registered",
            "rows_vs_recent",
        ],
    )
    return df.astype({"platform_registered": "boolean", "rows_vs_recent": "Float64"})


# Rows of a batch validated by one GX call: a year of national rows in one pandas frame
# (and GX's copies of it) would take several GB; six national weeks take about 400 MB
# more than the frame itself. Each GX run also has a fixed cost (about 0.3 s), so the
# chunks are as big as memory allows (ten for a year on one process).
VALIDATE_ROWS = 300_000
# With a second process (``_checker``) two chunks are held at once, so each is smaller:
# 3/5 of the size (three national weeks) kept a year's backfill under 2 GB. A GX run's
# fixed cost is about 0.3 s, so the extra chunks cost little.
SHARED_CHUNK_FRACTION = 0.6


@dataclass
class _Checked:
    """A chunk of posts (or the account days) after GX: its accepted rows are written
    (or, all of them accepted as they were parsed, left in the parsed parts); the rest is
    to collect."""

    outcome: Any  # a ValidationOutcome without its accepted rows
    loaded_per_file: dict[str, int]
    copies_per_file: dict[str, int]
    rows_validated: int
    rows_accepted: int
    apart: bool = False  # checked by the second process (its GX result is to adopt)
    # every row read was accepted, unchanged: the load reads the chunk's parsed parts
    # (``as_parsed`` in the manifest) and no copy of them is written
    as_parsed: bool = False


def _without_rejected(rows: pd.DataFrame, rejected: list[str]) -> tuple[pd.DataFrame, bool]:
    """The rows of the files not rejected, and whether that is every row (then the frame
    itself, not a copy)."""
    kept = ~rows["source_file"].isin(rejected).to_numpy()
    return (rows, True) if kept.all() else (rows[kept], False)


def _check_posts(
    validator,
    batch: Batch,
    chunk: list[str],
    name: str,
    rejected: list[str],
    accounts: Path,
    params,
) -> _Checked:
    """GX on one chunk of the batch's posts; the accepted rows written to their part."""

    def posts() -> tuple[pd.DataFrame, bool]:
        rows = read_frames(_part_files(batch, PARSED_POSTS, chunk), POST_COLUMNS)
        rows, whole = _without_rejected(rows, rejected)
        return _registry_checks(rows, accounts), whole

    out = batch.folder / part_file(ACCEPTED_POSTS, name)
    return _check_rows(validator, posts, "post_snapshots", params, ACCOUNT_KEY, POST_COLUMNS, out)


def _check_days(
    validator, batch: Batch, parts: list[str], name: str, rejected: list[str], params
) -> _Checked:
    """GX on a chunk of the batch's account days; the accepted days written to their part."""

    def days() -> tuple[pd.DataFrame, bool]:
        rows = read_frames(_part_files(batch, ACCOUNT_DAILY, parts), ACCOUNT_DAILY_COLUMNS)
        return _without_rejected(rows, rejected)

    key = ["platform", "office_code", "metric_date", "source_file"]
    out = batch.folder / part_file(ACCEPTED_DAILY, name)
    return _check_rows(validator, days, "account_daily", params, key, ACCOUNT_DAILY_COLUMNS, out)


def _check_rows(
    validator,
    read: Callable[[], tuple[pd.DataFrame, bool]],
    suite: str,
    params,
    key: list[str],
    columns: dict[str, str],
    out: Path,
) -> _Checked:
    """GX on the rows ``read`` gives (and whether they are every parsed row of the chunk);
    the accepted ones, each once by ``key``, written to ``out``, unless they are every
    parsed row unchanged: then the parsed parts stand for them (``as_parsed``), which
    spares a national year's backfill writing its 2.87 M rows a second time. The rows
    are read here (not passed in) so that nothing else holds them."""
    rows, whole = read()
    count = len(rows)
    outcome = validator.run(rows, suite, params)
    del rows  # GX works on its own copy; a chunk's rows are held once, not three times
    # a row listed twice in one file: the first is kept (the warning says so, and the
    # manifest counts the copies, so every row of the file is accounted for)
    copy = outcome.accepted.duplicated(subset=key, keep="first").to_numpy()
    accepted, copies = outcome.accepted[~copy], outcome.accepted[copy]
    # nothing held back, repeated or of a rejected file: the accepted rows are the parsed
    # ones, in their order, with their values (GX checks a copy; ``work`` is untouched)
    as_parsed = whole and len(accepted) == count
    if not as_parsed:
        write_frame(conform(accepted, columns), out)
    outcome.accepted = outcome.accepted.iloc[0:0].copy()  # a slice would hold the rows
    return _Checked(
        outcome, _per_file(accepted), _per_file(copies), count, len(accepted), as_parsed=as_parsed
    )


def _per_file(df: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(n) for k, n in df.groupby("source_file").size().items()} if len(df) else {}


def _check(validator, task: tuple[str, tuple]) -> _Checked:
    kind, args = task
    return (_check_days if kind == "days" else _check_posts)(validator, *args)


# The second process's own GX context (ephemeral: it writes nothing in the GX folder,
# which this process owns; its results are adopted into this one's store).
_apart_validator: Any = None


def _start_apart(run_name: str | None) -> None:
    global _apart_validator
    from medsos.validate import Validator

    _apart_validator = Validator(None, run_name=run_name)


def _check_apart(task: tuple[str, tuple]) -> _Checked:
    checked = _check(_apart_validator, task)
    checked.apart = True
    checked.outcome = _sealed(checked.outcome)
    return checked


def _sealed(outcome):
    """The outcome with its GX result pickled apart (``Validator.adopt`` opens it). The
    pool's thread unpickles a result as soon as it arrives: a GX object would make it
    import GX, which may be half-imported by this process's loading thread then, and a
    failed unpickling breaks the pool (it did, once in three national backfills)."""
    import pickle

    if outcome.stored is not None:
        outcome.stored = pickle.dumps(outcome.stored)
    return outcome


def _start_checker(run_name: str):
    pool = spawn_pool(1, _start_apart, (run_name,))
    pool.submit(int)  # start it now (it imports GX), not when the first chunk waits
    return pool


# a second process started while the batch was still being parsed (``checker_early``)
_early: dict[str, Any] = {}


@contextmanager
def _checker(wanted: bool, run_name: str):
    """A second process for a batch of several chunks (a backfill), when parsing may use
    more than one (``MEDSOS_PARSE_WORKERS``): GX is single-threaded, so this doubles
    what a two-core machine checks at once. It starts (imports GX) while this one does,
    unless ``checker_early`` started it already."""
    if not wanted:
        yield None
        return
    early = _early.pop(run_name, None)
    with early or _start_checker(run_name) as pool:
        yield pool


@contextmanager
def checker_early(batch: Batch):
    """For a backfill: ``started(rows parsed so far)``, called as the weeks are parsed,
    starts validation's second process once the rows are sure to make several chunks,
    so that it imports GX (3-4 s) while the last weeks are parsed rather than while
    validation waits. Stopped at the end of the block if validation did not take it."""
    run_name = _safe(f"{batch.week}_{batch.run_id}")

    def started(rows: int) -> None:
        if run_name not in _early and rows > VALIDATE_ROWS and processes() > 1:
            _early[run_name] = _start_checker(run_name)

    try:
        yield started
    finally:
        left = _early.pop(run_name, None)
        if left is not None:
            left.shutdown(wait=True, cancel_futures=True)


def _files_apart(files: pd.DataFrame, params: dict[str, Any]):
    return _sealed(_apart_validator.run(files, "files", params))


def _validation_chunks(
    manifest: dict, limit: int | None = None, rows_of: tuple[str, ...] = ("posts", "days")
) -> list[list[str]]:
    """The batch's parts (weeks) in chunks of about ``limit`` (``VALIDATE_ROWS``) rows
    (posts and account days, or those named in ``rows_of``), whole parts each."""
    limit = limit or VALIDATE_ROWS
    chunks: list[list[str]] = [[]]
    rows = 0
    for part, n in (manifest.get("parts") or {"": {}}).items():
        size = sum(n.get(kind, 0) for kind in rows_of)
        if chunks[-1] and rows + size > limit:
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

    with lasting_objects():
        manifest = batch.read_json(FILES_JSON)
        settle()  # the manifest lasts the whole stage (lasting_objects)
        return _validate_in_chunks(settings, batch, manifest, Validator, ROW_KEY, load_offices)


def _validate_in_chunks(
    settings: Settings,
    batch: Batch,
    manifest: dict,
    Validator,  # noqa: N803
    ROW_KEY,  # noqa: N803
    load_offices,
) -> dict[str, int]:
    run_name = _safe(f"{batch.week}_{batch.run_id}")
    two = processes() > 1 and len(_validation_chunks(manifest)) > 1
    if two:
        # the account days in chunks too: with two processes, two runs are held at once
        limit = int(VALIDATE_ROWS * SHARED_CHUNK_FRACTION)
        chunks = _validation_chunks(manifest, limit)
        day_chunks = _validation_chunks(manifest, limit, ("days",))
    else:
        # one process: the account days of the whole batch in one run (a year of them
        # is a few hundred thousand narrow rows; each GX run has a fixed cost)
        chunks = _validation_chunks(manifest)
        day_chunks = [[part for chunk in chunks for part in chunk]]
    with _exclusive(settings.gx_dir), _checker(two, run_name) as pool:
        return _validate_batch(
            settings,
            batch,
            manifest,
            chunks,
            day_chunks,
            run_name,
            pool,
            Validator,
            ROW_KEY,
            load_offices,
        )


def _rejected_by(files_outcome) -> dict[str, list[str]]:
    """Files failing a critical check of the ``files`` suite -> why."""
    rejected: dict[str, list[str]] = {}
    for f in files_outcome.failures:
        if f["severity"] == "critical":
            rejected.setdefault(f["source_file"], []).append(f["message"])
    return rejected


def _chunk_names(chunks: list[list[str]]) -> list[str]:
    return [f"{i:03d}" if len(chunks) > 1 else "" for i in range(len(chunks))]


def _chunk_tasks(
    batch: Batch,
    chunks: list[list[str]],
    day_chunks: list[list[str]],
    rejected_files: dict[str, list[str]],
    accounts: Path,
    params: dict[str, Any],
) -> list[tuple]:
    """The GX runs of a batch's rows: the account days first in line (the second process
    takes them while this one starts on the posts from the back), then the posts."""
    rejected = sorted(rejected_files)
    return [
        ("days", (batch, chunk, name, rejected, params))
        for chunk, name in zip(day_chunks, _chunk_names(day_chunks), strict=True)
    ] + [
        ("posts", (batch, chunk, name, rejected, accounts, params))
        for chunk, name in zip(chunks, _chunk_names(chunks), strict=True)
    ]


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


def _validate_batch(
    settings: Settings,
    batch: Batch,
    manifest: dict,
    chunks: list[list[str]],
    day_chunks: list[list[str]],
    run_name: str,
    pool,
    Validator,  # noqa: N803
    ROW_KEY,  # noqa: N803
    load_offices,
) -> dict[str, int]:
    params = {"office_codes": sorted(load_offices())}
    held: list[dict[str, Any]] = []
    warned: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    per_file: list[dict[str, Any]] = []

    def collect(dataset: str, outcome) -> None:
        rows_by_key = outcome.quarantined.set_index(ROW_KEY) if len(outcome.quarantined) else None
        for f in outcome.failures:
            record = {k: v for k, v in f.items() if k != ROW_KEY}
            if f["severity"] == "critical":
                if rows_by_key is not None and f[ROW_KEY] in rows_by_key.index:
                    record["row_json"] = rows_by_key.loc[f[ROW_KEY]].to_json(
                        date_format="iso", default_handler=str
                    )
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
            {
                "dataset": dataset,
                "source_file": k[0],
                "expectation": k[1],
                "column_name": k[2],
                "severity": k[3],
                "unexpected_count": n,
            }
            for k, n in counts.items()
        )

    # Files first: a file that fails a critical file-level check is rejected whole.
    # (A batch of many weeks compares row counts with the weeks before each file; which of
    # its files load is known only after their rows are checked, so it counts them as
    # loading here and checks again below if some did not.)
    many_weeks = bool(manifest.get("first_week"))
    recent = _recent_in_batch(manifest, lambda e: True) if many_weeks else None
    files = _files_frame(manifest, settings.accounts, recent)
    if pool is None:
        # Data Docs names each result by the week and run it validated
        validator = Validator(settings.gx_dir, run_name=run_name)
        files_outcome = validator.run(files, "files", params)
        rejected_files = _rejected_by(files_outcome)
        work = _chunk_tasks(batch, chunks, day_chunks, rejected_files, settings.accounts, params)
        shared = OneAhead(None, _check_apart, work)
    else:
        # The second process has GX loaded (``checker_early``): it checks the files, then
        # the first chunks, while this process loads GX (3-4 s) in a thread of its own.
        with ThreadPoolExecutor(1) as thread:
            loading = thread.submit(Validator, settings.gx_dir, run_name=run_name)
            files_outcome = pool.submit(_files_apart, files, params).result()
            rejected_files = _rejected_by(files_outcome)
            work = _chunk_tasks(
                batch, chunks, day_chunks, rejected_files, settings.accounts, params
            )
            shared = OneAhead(pool, _check_apart, work).start()
            validator = loading.result()
        validator.adopt(files_outcome.stored)
    settle()  # GX, loaded for the rest of the stage
    del files
    for e in manifest["files"]:
        if e["relative_path"] in rejected_files:
            e.update(status="rejected", reason="; ".join(rejected_files[e["relative_path"]]))
    batch.write_json(FILES_JSON, manifest)

    # The rows in chunks of whole weeks: a year of rows at once would not fit in memory;
    # GX's fixed cost (its context, the suites, Data Docs) is still paid once. A batch of
    # several chunks shares them with a second process (``_checker``), started first.
    rows_validated = rows_accepted = rows_quarantined = 0
    loaded_per_file: dict[str, int] = {}
    copies_per_file: dict[str, int] = {}
    manifest["accepted"] = _chunk_names(chunks)
    manifest["accepted_daily"] = _chunk_names(day_chunks)
    # each chunk checked once, by the second process from the front or by this one from
    # the back, until they meet
    checked = shared.run(lambda task: _check(validator, task))
    days, checked = checked[: len(day_chunks)], checked[len(day_chunks) :]
    # the chunks whose accepted rows are their parsed parts (the load reads those);
    # set afresh, so a validation tried again never keeps an earlier attempt's
    for field, done, parts in (
        ("accepted_as_parsed", checked, chunks),
        ("accepted_daily_as_parsed", days, day_chunks),
    ):
        manifest[field] = {
            name: chunk
            for name, chunk, c in zip(_chunk_names(parts), parts, done, strict=True)
            if c.as_parsed
        }
    labelled = [("post_snapshots", c) for c in checked] + [("account_daily", c) for c in days]
    for dataset, c in labelled:
        if c.apart:
            validator.adopt(c.outcome.stored)  # its page in this run's Data Docs
        collect(dataset, c.outcome)
        for counts, total in (
            (c.loaded_per_file, loaded_per_file),
            (c.copies_per_file, copies_per_file),
        ):
            for rel, n in counts.items():
                total[rel] = total.get(rel, 0) + n
        rows_validated += c.rows_validated
        rows_accepted += c.rows_accepted
        rows_quarantined += len(c.outcome.quarantined)
    if pool is not None:
        log.info(
            "validate: %d of %d GX runs in the second process (%d of account days, %d of posts)",
            sum(c.apart for c in [*days, *checked]),
            len(checked) + len(days),
            len(days),
            len(checked),
        )
    del checked, days

    for e in manifest["files"]:
        if e["relative_path"] in copies_per_file:
            e["rows_duplicate"] = copies_per_file[e["relative_path"]]

    if many_weeks:
        # now that the rows are checked: which files load, as the load will settle them
        held_per_file: dict[str, set] = {}
        for r in [r for e in manifest["files"] for r in e.get("parse_rejects", [])] + held:
            held_per_file.setdefault(r["source_file"], set()).add(
                (r.get("source_sheet"), r.get("source_row"))
            )
        settled = _settle_files(manifest["files"], loaded_per_file, held_per_file)

        def loads(e: dict[str, Any]) -> bool:
            return settled[e["relative_path"]][0].startswith("loaded")

        # The comparison above counted every parsed file as loading. When no file was
        # rejected since and every parsed one loads, it stands as it was (asked again,
        # it took 1.3 s of a year's validation to give the same answer).
        unchanged = not rejected_files and all(
            loads(e) for e in manifest["files"] if e["status"] == "parsed"
        )
        exact = recent if unchanged else _recent_in_batch(manifest, loads)
        if exact != recent:
            files_outcome = validator.run(
                _files_frame(manifest, settings.accounts, exact), "files", params
            )
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
    validator.release()
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


def check_files(
    settings: Settings,
    entries: list[dict[str, Any]],
    validator: Any = None,
    recent_rows: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
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
    held: dict[str, list[dict[str, Any]]] = {
        e["relative_path"]: list(e["parse_rejects"]) for e in out
    }

    files_outcome = validator.run(
        _files_frame({"files": out, "recent_rows": recent_rows or {}}, settings.accounts),
        "files",
        params,
    )
    rejected_files = _rejected_by(files_outcome)
    for e in out:
        if e["relative_path"] in rejected_files:
            e.update(status="rejected", reason="; ".join(rejected_files[e["relative_path"]]))
        warnings = [
            f["message"]
            for f in files_outcome.failures
            if f["source_file"] == e["relative_path"] and f["severity"] != "critical"
        ]
        e["warnings"] = e.get("notes", []) + warnings

    accepted_rows: dict[str, int] = {}
    kept: dict[str, list[pd.DataFrame]] = {"post_snapshots": [], "account_daily": []}
    for dataset, records, columns, key in (
        ("post_snapshots", post_records, POST_COLUMNS, ACCOUNT_KEY),
        (
            "account_daily",
            daily_records,
            ACCOUNT_DAILY_COLUMNS,
            ["platform", "office_code", "metric_date", "source_file"],
        ),
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
                    {k: v for k, v in f.items() if k != ROW_KEY}
                )
        accepted = outcome.accepted.drop_duplicates(subset=key, keep="first")
        for name, n in accepted.groupby("source_file").size().items() if len(accepted) else ():
            accepted_rows[name] = accepted_rows.get(name, 0) + int(n)
        kept[dataset].append(conform(accepted, columns))
    for e in out:
        rel = e["relative_path"]
        bad = len({(r.get("source_sheet"), r.get("source_row")) for r in held[rel]})
        e["status"], e["reason"] = file_status(
            e["status"], e.get("reason"), accepted_rows.get(rel, 0), bad
        )
        loaded = e["status"].startswith("loaded")
        e["rows_loaded"] = accepted_rows.get(rel, 0) if loaded else 0
        e["quarantine"] = held[rel] if loaded or e["status"] == "rejected" else []
        posts, days = kept["post_snapshots"][0], kept["account_daily"][0]
        # the accounts the file names, whatever became of its rows (a wrong account's posts are held)
        e["accounts"] = sorted(
            {
                (r.get("account_handle") or "", r.get("account_id") or "")
                for r in (*post_records, *daily_records)
                if r.get("source_file") == rel
            }
            - {("", "")}
        )
        e["posts"] = posts[posts["source_file"] == rel] if loaded else posts.iloc[0:0]
        e["days"] = days[days["source_file"] == rel] if loaded else days.iloc[0:0]
    return out
