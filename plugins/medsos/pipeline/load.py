"""Stage 4, load: a batch into the warehouse's ``raw`` schema, in one transaction.

Reads the batch folder (manifest, accepted rows, quarantine, warnings, results); writes
``raw.files``, ``raw.post_snapshots``, ``raw.account_daily``, ``raw.quarantine``,
``raw.validation_results``, ``raw.row_warnings``, ``raw.validation_file_results``,
``meta.landing_folders`` and ``raw.runs``. How a file's status is settled from its rows
(``file_status``, copies set aside) lives here; validate and the portal use it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from medsos.config import Settings, sql_dir
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
)
from medsos.processes import lasting_objects, settle
from medsos.warehouse import open_warehouse, transaction

log = logging.getLogger(__name__)


# a row held back (raw.quarantine, which adds the row itself) or warned about (raw.row_warnings)
ROW_FINDING_COLUMNS = [
    "run_id",
    "source_file",
    "source_sheet",
    "source_row",
    "platform",
    "office_code",
    "post_id",
    "column_name",
    "value",
    "check_name",
    "severity",
    "message",
]


def file_status(status: str, reason: str | None, loaded: int, bad: int) -> tuple[str, str | None]:
    """A file's status once its rows are checked: ``status`` after parsing and the file
    checks ('parsed' or 'rejected'), with ``loaded`` rows accepted and ``bad`` rows held
    back. The load and the portal's instant check (``check_files``) both settle here."""
    if status != "parsed":
        return status, reason
    if bad and not loaded:
        return "rejected", f"all {bad} rows failed checks; see raw.quarantine"
    if bad:
        return (
            "loaded_with_quarantine",
            f"{bad} of {bad + loaded} rows quarantined; see raw.quarantine",
        )
    return "loaded", reason


def _rows_per_file(paths: list[str]) -> dict[str, int]:
    con = duckdb.connect()
    try:
        return dict(
            con.execute(
                "select source_file, count(*) from read_parquet(?) group by all", [paths]
            ).fetchall()
        )
    finally:
        con.close()


def _copies_set_aside(
    files: list[dict[str, Any]], settled: Callable[[dict[str, Any]], tuple]
) -> dict[str, str]:
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
        if (
            e["status"] == "parsed"
            and original
            and (e.get("rows_in_file") or 0) > (e.get("rows_skipped") or 0)
        ):
            if original not in in_batch or loads(in_batch[original]):
                loads_instead = original
            else:
                loads_instead = stand_in.get(original)
            if loads_instead:
                aside[e["relative_path"]] = loads_instead
            elif loads(e):
                stand_in[original] = e["relative_path"]
    return aside


def _settle_files(
    files: list[dict[str, Any]], loaded_per_file: dict[str, int], held_per_file: dict[str, set]
) -> dict[str, tuple[str, str | None]]:
    """Each file's status as ``load_batch`` will settle it (copies set aside included)."""

    def settled(e: dict[str, Any]) -> tuple[str, str | None]:
        return file_status(
            e["status"],
            e.get("reason"),
            int(loaded_per_file.get(e["relative_path"], 0)),
            len(held_per_file.get(e["relative_path"], ())),
        )

    aside = _copies_set_aside(files, settled)
    return {
        e["relative_path"]: ("duplicate", None) if e["relative_path"] in aside else settled(e)
        for e in files
    }


@dataclass
class _Checked:
    """What validate left in the batch folder for the load, with the row counts per file."""

    posts_files: list[str]  # the accepted rows stay in their parquet files: DuckDB reads them
    daily_files: list[str]
    quarantine_rows: list[dict[str, Any]]  # rows held back by parse and by the checks
    warnings: list[dict[str, Any]]
    results: list[dict[str, Any]]
    per_file: list[dict[str, Any]]
    posts_per_file: dict[str, int]
    loaded_per_file: dict[str, int]  # accepted rows (posts and days) of each file
    quarantined_per_file: dict[str, set]  # (sheet, row) of each held-back row, by file

    def settled(self, e: dict[str, Any]) -> tuple[str, str | None]:
        return file_status(
            e["status"],
            e.get("reason"),
            int(self.loaded_per_file.get(e["relative_path"], 0)),
            len(self.quarantined_per_file.get(e["relative_path"], ())),
        )


def _accepted_files(
    batch: Batch, accepted: str, parsed: str, chunks: list[str], as_parsed: dict[str, list[str]]
) -> list[str]:
    """The files of each validated chunk's accepted rows, in order: the accepted part, or
    the chunk's parsed parts when validation accepted every row of them unchanged."""
    files: list[str] = []
    for name in chunks:
        if name in as_parsed:
            files += _part_files(batch, parsed, as_parsed[name])
        else:
            files += _part_files(batch, accepted, [name])
    return files


def _read_accepted_parts(batch: Batch, manifest: dict[str, Any]) -> _Checked:
    """Step 1: the accepted rows' files, what was held back and warned about, and the
    rows each file has in them."""
    accepted = manifest.get("accepted", [""])
    validation = batch.read_json(VALIDATION_JSON)
    checked = _Checked(
        posts_files=_accepted_files(
            batch, ACCEPTED_POSTS, PARSED_POSTS, accepted, manifest.get("accepted_as_parsed", {})
        ),
        # a batch validates its account days at once (one part) and its posts by chunks
        daily_files=_accepted_files(
            batch,
            ACCEPTED_DAILY,
            ACCOUNT_DAILY,
            manifest.get("accepted_daily", accepted),
            manifest.get("accepted_daily_as_parsed", {}),
        ),
        quarantine_rows=[r for e in manifest["files"] for r in e.get("parse_rejects", [])]
        + batch.read_json(QUARANTINE_JSON),
        warnings=batch.read_json(WARNINGS_JSON),
        results=validation["results"],
        per_file=validation["per_file"],
        posts_per_file={},
        loaded_per_file={},
        quarantined_per_file={},
    )
    checked.posts_per_file = _rows_per_file(checked.posts_files)
    checked.loaded_per_file = _rows_per_file(checked.daily_files)
    for name, n in checked.posts_per_file.items():
        checked.loaded_per_file[name] = checked.loaded_per_file.get(name, 0) + n
    for r in checked.quarantine_rows:
        checked.quarantined_per_file.setdefault(r["source_file"], set()).add(
            (r.get("source_sheet"), r.get("source_row"))
        )
    return checked


def _set_copies_aside(files: list[dict[str, Any]], checked: _Checked) -> None:
    """Step 2: copies whose original loads become duplicates; their held-back rows,
    warnings and check results are not recorded."""
    in_batch = {e["relative_path"]: e for e in files}
    set_aside = _copies_set_aside(files, checked.settled)
    for rel, original in set_aside.items():
        in_batch[rel].update(status="duplicate", duplicate_of=original, warnings=[])
    if set_aside:
        checked.quarantine_rows = [
            r for r in checked.quarantine_rows if r["source_file"] not in set_aside
        ]
        checked.warnings = [w for w in checked.warnings if w.get("source_file") not in set_aside]
        checked.per_file = [r for r in checked.per_file if r.get("source_file") not in set_aside]
        for rel in set_aside:
            checked.quarantined_per_file.pop(rel, None)


def _instant(text: str) -> datetime:
    """An ISO time as the manifest holds it (``2024-02-12T03:04:05.123456+00:00``, or
    DuckDB's ``2024-02-12 03:04:05.123456+00``): read by ``datetime.fromisoformat`` (about
    0.1 µs; ``pd.Timestamp`` took 0.57 s for a year's 143,780 files), by pandas for any
    other shape it may take."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return pd.Timestamp(text)


def _settle_file_statuses(
    files: list[dict[str, Any]], checked: _Checked, run_id: str, now: datetime
) -> list[dict[str, Any]]:
    """Step 3: each file's ``raw.files`` row: its status and the reason, with its counts."""
    file_rows = []
    for e in files:
        rel = e["relative_path"]
        loaded = int(checked.loaded_per_file.get(rel, 0))
        bad = len(checked.quarantined_per_file.get(rel, ()))
        status, reason = checked.settled(e)
        if status == "duplicate":
            reason = f"same content as {e.get('duplicate_of')}; loaded once"
        elif status == "withdrawn":
            bad = 0
        if e.get("rows_duplicate") and status.startswith("loaded"):
            reason = "; ".join(
                filter(None, [reason, f"{e['rows_duplicate']} repeated rows loaded once"])
            )
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
                "run_id": run_id,
                "processed_at": now,
                "first_seen_at": _instant(e["first_seen_at"]) if e.get("first_seen_at") else now,
                "file_modified_at": _instant(e["modified_at"]) if e.get("modified_at") else None,
                "lists_posts": e.get("lists_posts"),
            }
        )
    return file_rows


def _files_table(file_rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``raw.files`` rows as a typed frame."""
    files_df = pd.DataFrame(
        file_rows,
        columns=[
            "relative_path",
            "delivery_week",
            "office_code",
            "sha256",
            "size_bytes",
            "platform",
            "export_kind",
            "encoding",
            "status",
            "status_reason",
            "rows_in_file",
            "rows_loaded",
            "rows_quarantined",
            "duplicate_of",
            "superseded_by",
            "run_id",
            "processed_at",
            "first_seen_at",
            "file_modified_at",
            "lists_posts",
            "rows_duplicate",
            "rows_skipped",
        ],
    ).astype({"lists_posts": "boolean"})
    for column in ("processed_at", "first_seen_at", "file_modified_at"):
        files_df[column] = pd.to_datetime(files_df[column], utc=True)
    return files_df


def _check_tables(checked: _Checked, run_id: str, now: datetime) -> dict[str, pd.DataFrame]:
    """The held-back rows, check results, row warnings and per-file results as frames,
    registered under these names for the load's inserts."""
    return {
        "_quarantine": pd.DataFrame(
            [{**r, "run_id": run_id} for r in checked.quarantine_rows],
            columns=[*ROW_FINDING_COLUMNS, "row_json"],
        ),
        "_validation": pd.DataFrame(
            [{**r, "run_id": run_id, "validated_at": now} for r in checked.results],
            columns=[
                "run_id",
                "dataset",
                "expectation",
                "column_name",
                "severity",
                "success",
                "element_count",
                "unexpected_count",
                "why",
                "validated_at",
            ],
        ),
        "_warnings": pd.DataFrame(
            [{**w, "run_id": run_id} for w in checked.warnings],
            columns=ROW_FINDING_COLUMNS,
        ),
        "_per_file": pd.DataFrame(
            [{**r, "run_id": run_id} for r in checked.per_file],
            columns=[
                "run_id",
                "dataset",
                "source_file",
                "expectation",
                "column_name",
                "severity",
                "unexpected_count",
            ],
        ),
    }


def _replace_file_records(con: duckdb.DuckDBPyConnection, files_df: pd.DataFrame) -> None:
    """Step 4 (in the transaction): the rows the batch's files loaded before go, their
    ``raw.files`` rows are replaced, and the groups whose overlap changes are noted."""
    touched = list(files_df["relative_path"]) if len(files_df) else []
    con.register("_files", files_df)
    con.register("_touched", pd.DataFrame({"relative_path": touched}, dtype="string"))
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
        for table in (
            "raw.post_snapshots",
            "raw.account_daily",
            "raw.quarantine",
            "raw.row_warnings",
        ):
            con.execute(
                f"delete from {table} where source_file in (select relative_path from _touched)"
            )
    con.execute("delete from raw.files where relative_path in (select relative_path from _touched)")
    con.execute("insert into raw.files by name select * from _files")


def _write_accepted_rows(con: duckdb.DuckDBPyConnection, checked: _Checked, run_id: str) -> None:
    """Step 5: the accepted post snapshots and account days of the files that load."""
    for table, files in (
        ("raw.post_snapshots", checked.posts_files),
        ("raw.account_daily", checked.daily_files),
    ):
        con.execute(
            f"""insert into {table} by name
                select rows.*, live.delivery_week, $run_id as run_id
                from read_parquet($files) as rows
                join (select relative_path, delivery_week from _files
                      where status in ('loaded', 'loaded_with_quarantine')) as live
                  on live.relative_path = rows.source_file""",
            {"files": files, "run_id": run_id},
        )


def _record_quarantine_and_checks(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]
) -> None:
    """Step 6: the held-back rows, what each export is next to the others of its kind
    (which counts held-back rows), the check results and the row warnings."""
    for name, df in tables.items():
        con.register(name, df)
    con.execute("insert into raw.quarantine by name select * from _quarantine")
    _describe_overlaps(con)
    con.execute("insert into raw.validation_results by name select * from _validation")
    con.execute("insert into raw.row_warnings by name select * from _warnings")
    con.execute("insert into raw.validation_file_results by name select * from _per_file")


def _record_folders(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> None:
    """Step 7: the office folders as listed, so the next run can pass over the unchanged ones."""
    con.register(
        "_folders",
        pd.DataFrame(
            {
                "folder": list(manifest.get("folders", {})),
                "modified_ns": list(manifest.get("folders", {}).values()),
            }
        ).astype({"folder": "string", "modified_ns": "int64"}),
    )
    con.register(
        "_forgotten",
        pd.DataFrame({"folder": manifest.get("folders_forgotten", [])}, dtype="string"),
    )
    con.execute("delete from meta.landing_folders where folder in (select folder from _forgotten)")
    con.execute("insert or replace into meta.landing_folders by name select * from _folders")


def _record_run(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    now: datetime,
    files_seen: int,
    files_processed: int,
    posts_loaded: int,
    rows_quarantined: int,
) -> None:
    """Step 8: the run in ``raw.runs``, loaded (the build marks it built)."""
    con.execute(
        """insert or replace into raw.runs
           (run_id, iso_week, started_at, status, files_seen, files_processed, rows_loaded, rows_quarantined)
           values (?, ?, ?, 'loaded', ?, ?, ?, ?)""",
        [
            batch.run_id,
            batch.week,
            now,
            files_seen,
            files_processed,
            posts_loaded,
            rows_quarantined,
        ],
    )


def load_batch(settings: Settings, batch: Batch) -> dict[str, int]:
    """Stage 4: one transaction: the batch's files replace what they loaded before.

    A file that comes back changed (same path) replaces its earlier rows, and a file that
    left the landing zone takes its rows with it. Every loaded file counts; which of
    several files for the same office, week and export gives a post its numbers (the one
    saved later) is decided when the tables are built (``core.post_snapshots``), and what
    each one is next to the others is written to ``raw.files.overlap`` here. A failure
    anywhere rolls the whole batch back.
    """
    with lasting_objects():
        manifest = batch.read_json(FILES_JSON)
        settle()  # the manifest lasts the whole stage (lasting_objects)
        return _load(settings, batch, manifest)


def _load(settings: Settings, batch: Batch, manifest: dict[str, Any]) -> dict[str, int]:
    now = datetime.now(UTC)
    checked = _read_accepted_parts(batch, manifest)
    _set_copies_aside(manifest["files"], checked)
    file_rows = _settle_file_statuses(manifest["files"], checked, batch.run_id, now)
    files_df = _files_table(file_rows)
    live = (
        set(files_df.loc[files_df["status"].str.startswith("loaded"), "relative_path"])
        if len(files_df)
        else set()
    )
    posts_loaded = sum(n for name, n in checked.posts_per_file.items() if name in live)
    tables = _check_tables(checked, batch.run_id, now)

    with open_warehouse(settings) as con, transaction(con):
        _replace_file_records(con, files_df)
        _write_accepted_rows(con, checked, batch.run_id)
        _record_quarantine_and_checks(con, tables)
        _record_folders(con, manifest)
        _record_run(
            con,
            batch,
            now,
            manifest.get("files_seen", 0),
            len(file_rows),
            posts_loaded,
            len(tables["_quarantine"]),
        )
    counts = {
        "files_processed": len(file_rows),
        "files_loaded": sum(1 for r in file_rows if r["status"].startswith("loaded")),
        "files_rejected": sum(1 for r in file_rows if r["status"] == "rejected"),
        "files_duplicate": sum(1 for r in file_rows if r["status"] == "duplicate"),
        "rows_loaded": posts_loaded,
        "rows_quarantined": len(tables["_quarantine"]),
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
