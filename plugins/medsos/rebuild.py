"""``medsos rebuild``: every table again from the landing zone, for a lost or damaged
warehouse.

The landing zone is the record of what offices delivered; the warehouse is computed from
it. The rebuild loads every week folder, oldest first, into a *new* DuckDB file beside
the warehouse (exactly as ``medsos backfill`` loads history), builds every table, and
compares them with the tables it is about to replace: those of the old warehouse when it
can still be read, else those of the published copy. Only when all of that is done is the
new file put in the warehouse's place; the old file is kept beside it
(``medsos.duckdb.replaced-<time>``), never deleted, and the new tables are published.

What only the warehouse knew and no export can tell is carried over from the old file
(or the published copy): which summaries were already sent (``raw.email_log``, so a
re-run does not send them again), the run history (``raw.runs``) and when each file was
first seen (which orders two exports saved at the same second).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from medsos import weeks
from medsos.config import Settings
from medsos.warehouse import WarehouseBusy, connect, publish

log = logging.getLogger(__name__)

# columns that say when or by which run a row was made, not what it says
RUN_COLUMNS = ("run_id", "processed_at")


@dataclass
class Reference:
    """The tables the rebuild replaces, or the published copy when the warehouse is gone."""

    path: Path | None
    what: str  # 'the warehouse it replaces', 'the published copy', or why there is none
    con: duckdb.DuckDBPyConnection | None = None
    through_week: str | None = None

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


@dataclass
class Plan:
    first_week: str
    through_week: str
    reference: Reference
    new_path: Path
    keep_as: Path | None  # where the old warehouse file goes


@dataclass
class Result:
    plan: Plan
    files: int = 0
    rows: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows that differ
    missing_tables: list[str] = field(default_factory=list)  # in the reference, not rebuilt
    files_changed: list[str] = field(default_factory=list)  # files whose standing differs
    carried: dict[str, int] = field(default_factory=dict)


def _open_reference(settings: Settings) -> Reference:
    """The old warehouse, read-only (which also keeps a weekly run from writing to it
    while the rebuild goes on), else the published copy, else nothing."""
    damaged = None
    if settings.warehouse.exists():
        try:
            con = connect(settings.warehouse, read_only=True, wait_seconds=5)
            con.sql("select count(*) from raw.files").fetchall()
            return Reference(
                settings.warehouse, "the warehouse it replaces", con, _built_through(con)
            )
        except WarehouseBusy:
            raise
        except duckdb.Error as exc:
            damaged = f"the warehouse could not be read ({type(exc).__name__}: {str(exc).splitlines()[0]})"
    if settings.published.exists():
        try:
            con = connect(settings.published, read_only=True, wait_seconds=5)
            con.sql("select count(*) from raw.files").fetchall()
            what = "the published copy" + (
                f"; {damaged}" if damaged else " (the warehouse file is gone)"
            )
            return Reference(settings.published, what, con, _built_through(con))
        except duckdb.Error:
            pass
    return Reference(None, damaged or "nothing: neither the warehouse nor a published copy exists")


def _built_through(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = con.sql("select built_through_week from meta.last_build").fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def week_folders(landing: Path) -> list[str]:
    if not landing.is_dir():
        return []
    return sorted(
        (p.name for p in landing.iterdir() if p.is_dir() and weeks.is_week(p.name)),
        key=weeks.week_start,
    )


def plan(settings: Settings, through_week: str | None = None) -> Plan:
    """What a rebuild reads and replaces (opens the reference; ``Plan.reference.close``)."""
    folders = week_folders(settings.landing)
    if not folders:
        raise ValueError(f"{settings.landing} has no week folder (YYYY-Www) to rebuild from")
    reference = _open_reference(settings)
    through = through_week or reference.through_week or folders[-1]
    weeks.parse_week(through)
    earlier = [w for w in folders if weeks.week_start(w) <= weeks.week_start(through)]
    first = earlier[0] if earlier else through
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    new_path = settings.warehouse.with_name(
        f".{settings.warehouse.name}.rebuild-{stamp}-{os.getpid()}"
    )
    keep_as = (
        settings.warehouse.with_name(f"{settings.warehouse.name}.replaced-{stamp}")
        if settings.warehouse.exists()
        else None
    )
    return Plan(first, through, reference, new_path, keep_as)


def describe(settings: Settings, p: Plan) -> str:
    """One paragraph: what the rebuild reads, writes and replaces."""
    replaced = (
        f"then puts it in place of {settings.warehouse} (the old file is kept as {p.keep_as.name}) "
        if p.keep_as
        else f"then puts it at {settings.warehouse} "
    )
    return (
        f"reads every export in {settings.landing} for {p.first_week} … {p.through_week} into a new "
        f"warehouse beside {settings.warehouse}, compares its tables with {p.reference.what}, {replaced}"
        f"and publishes it to {settings.published}. Nothing in the landing zone is changed."
    )


def _column_list(names: list[str]) -> str:
    """Column names of our own tables (read from the catalog) as quoted identifiers."""
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)


def _carry_over(new: duckdb.DuckDBPyConnection, ref: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What only the warehouse knew, from the reference into the new warehouse."""
    carried = {}
    for table in ("raw.email_log", "raw.runs"):
        try:
            df = ref.sql(f"select * from {table}").df()
        except duckdb.Error:
            continue
        new.register("_carried", df)
        known = {
            c
            for (c,) in new.execute(
                "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ?",
                [table.split(".")[1]],
            ).fetchall()
        }
        columns = _column_list([c for c in df.columns if c in known])
        if table == "raw.runs":  # the rebuild's own runs are already there
            new.execute(
                f"insert into {table} ({columns}) select {columns} from _carried "
                f"where run_id not in (select run_id from {table})"
            )
        else:
            new.execute(f"insert into {table} ({columns}) select {columns} from _carried")
        new.unregister("_carried")
        carried[table] = len(df)
    try:
        seen = ref.sql("select relative_path, sha256, first_seen_at from raw.files").df()
    except duckdb.Error:
        return carried
    new.register("_seen", seen)
    (n,) = new.sql(
        "select count(*) from raw.files join _seen using (relative_path, sha256)"
    ).fetchall()[0]
    new.execute("""update raw.files set first_seen_at = _seen.first_seen_at from _seen
                   where raw.files.relative_path = _seen.relative_path and raw.files.sha256 = _seen.sha256""")
    new.unregister("_seen")
    carried["first seen times"] = n
    return carried


def _compare(ref: duckdb.DuckDBPyConnection, new_path: Path, result: Result) -> None:
    """Rows that differ, table by table, between the reference and the rebuilt warehouse
    (run ids and load times aside), and the files whose standing differs."""
    ref.execute("attach ? as rebuilt (read_only)", [str(new_path)])
    try:

        def tables(catalog: str) -> set[str]:
            return {
                f"{s}.{t}"
                for s, t in ref.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = ? "
                    "and schema_name in ('core', 'marts')",
                    [catalog],
                ).fetchall()
            }

        def columns_of(catalog: str, table: str) -> list[str]:
            schema, name = table.split(".")
            return [
                c
                for (c,) in ref.execute(
                    "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
                    "and table_name = ? order by column_index",
                    [catalog, schema, name],
                ).fetchall()
            ]

        (catalog,) = ref.sql("select current_database()").fetchall()[0]
        old, new = tables(catalog), tables("rebuilt")
        result.missing_tables = sorted(old - new)
        for table in sorted(old & new):
            in_both = set(columns_of("rebuilt", table))
            columns = _column_list(
                [c for c in columns_of(catalog, table) if c in in_both and c not in RUN_COLUMNS]
            )
            (n,) = ref.sql(
                f"select count(*) from ((select {columns} from {table} except all select {columns} from rebuilt.{table}) "
                f"union all (select {columns} from rebuilt.{table} except all select {columns} from {table}))"
            ).fetchall()[0]
            result.tables[table] = n
        result.files_changed = [
            p
            for (p,) in ref.sql(
                """select relative_path from (
                   (select relative_path, sha256, status from raw.files
                    except select relative_path, sha256, status from rebuilt.raw.files)
                   union
                   (select relative_path, sha256, status from rebuilt.raw.files
                    except select relative_path, sha256, status from raw.files))
               group by 1 order by 1"""
            ).fetchall()
        ]
    finally:
        ref.execute("detach rebuilt")


def run(settings: Settings, p: Plan) -> Result:
    """Rebuild into ``p.new_path``, compare, swap it in, publish. The reference stays open
    (read-only) until the swap, so no weekly run writes the old file meanwhile."""
    from medsos.pipeline import build_tables, load_week, new_run_id, parse_workers_kept

    result = Result(p)
    new_settings = replace(settings, warehouse=p.new_path)
    try:
        with parse_workers_kept():
            for week in weeks.weeks_between(p.first_week, p.through_week):
                loaded = load_week(new_settings, week, new_run_id(week, "rebuild"))
                result.files += loaded["files_processed"]
                result.rows += loaded["rows_loaded"]
                log.info("rebuild: %s loaded (%s files)", week, loaded["files_processed"])
        if p.reference.con is not None:
            new = connect(p.new_path)
            try:
                result.carried = _carry_over(new, p.reference.con)
            finally:
                new.close()
        build_tables(new_settings, p.through_week)
        if p.reference.con is not None:
            _compare(p.reference.con, p.new_path, result)
    except BaseException:
        p.reference.close()
        for path in (p.new_path, p.new_path.with_name(p.new_path.name + ".wal")):
            path.unlink(missing_ok=True)  # the rebuild's own unfinished file
        raise
    p.reference.close()
    # the swap: the old file (and its write-ahead log) kept beside, the new one in its place
    if p.keep_as is not None and settings.warehouse.exists():
        os.replace(settings.warehouse, p.keep_as)
        wal = settings.warehouse.with_name(settings.warehouse.name + ".wal")
        if wal.exists():
            os.replace(wal, p.keep_as.with_name(p.keep_as.name + ".wal"))
    os.replace(p.new_path, settings.warehouse)
    publish(settings)
    return result


def summary(settings: Settings, result: Result) -> list[str]:
    p = result.plan
    lines = [
        f"rebuilt {settings.warehouse} from {settings.landing}: {p.first_week} … {p.through_week}, "
        f"{result.files:,} files, {result.rows:,} rows"
    ]
    if p.keep_as:
        lines.append(f"  the old warehouse is kept as {p.keep_as}")
    if result.carried:
        lines.append(
            "  carried over: " + ", ".join(f"{k} ({v:,})" for k, v in result.carried.items())
        )
    if not result.tables:
        lines.append(f"  compared with: {p.reference.what} (no tables to compare)")
    else:
        differ = {t: n for t, n in result.tables.items() if n}
        if not differ and not result.missing_tables:
            lines.append(f"  all {len(result.tables)} tables equal those of {p.reference.what}")
        else:
            lines.append(
                f"  compared with {p.reference.what}: {len(result.tables) - len(differ)} of "
                f"{len(result.tables)} tables equal"
            )
            lines += [f"  {t}: {n:,} rows differ" for t, n in differ.items()]
            lines += [f"  {t}: not rebuilt" for t in result.missing_tables]
        if result.files_changed:
            shown = ", ".join(result.files_changed[:5]) + (
                " …" if len(result.files_changed) > 5 else ""
            )
            lines.append(
                f"  the landing zone changed since those tables were built: {len(result.files_changed)} "
                f"file(s) new, changed or gone ({shown}); the tables differ where these inputs did"
            )
        elif any(result.tables.values()):
            lines.append(
                "  no file changed since those tables were built, yet tables differ: "
                "report this to the data team"
            )
    lines.append(f"  published copy: {settings.published}")
    return lines
