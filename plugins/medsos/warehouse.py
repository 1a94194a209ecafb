"""The DuckDB warehouse: migrations, atomic loads, the SQL model build, and publishing.

DuckDB locks its file per process, readers included. medsos therefore has exactly one
writer at a time (the Airflow pool ``medsos_warehouse`` has one slot and the DAG runs
one at a time), and staff read the *published* copy, which the writer replaces
atomically after each successful build.

SQL lives in ``sql/``: ``migrations/`` (applied once each, recorded in
``meta.schema_migrations``), then the models in the order listed in ``sql/models.txt``:
``staging/`` (views: rename and cast only), ``intermediate/`` (tables in ``core``) and
``marts/`` (tables in ``marts``). The first comment block of each model file becomes the
table's comment, so ``duckdb_tables()`` explains every table to staff.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from io import RawIOBase
from pathlib import Path

import duckdb
import pandas as pd

from medsos import weeks
from medsos.config import Evaluation, Settings, sql_dir

log = logging.getLogger(__name__)

LIVE_FILE_STATUSES = ("loaded", "loaded_with_quarantine")
LAYER_SCHEMA = {"staging": "staging", "intermediate": "core", "marts": "marts"}


class WarehouseBusy(RuntimeError):
    """Another process holds the DuckDB file."""


# DuckDB's own default is 80 % of the machine's memory, and a year of national history
# is enough for it to take several GB while it rebuilds the tables; with a ceiling it
# spills to <warehouse>.tmp instead, so the pipeline fits beside Airflow on a small server.
DEFAULT_MEMORY_LIMIT = "1GB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)


def memory_limit() -> str:
    """``$MEDSOS_DUCKDB_MEMORY_LIMIT`` (e.g. ``2GB``), else 1 GB."""
    value = (os.environ.get("MEDSOS_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT).strip()
    if not _MEMORY.match(value):
        raise ValueError(
            f"MEDSOS_DUCKDB_MEMORY_LIMIT must be a size like 1GB or 512MB, not {value!r}"
        )
    return value


# --------------------------------------------------------------------------- connections


def connect(
    path: Path, read_only: bool = False, wait_seconds: float = 60.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting for another process's lock for up to ``wait_seconds``.

    A staff member with the writer's file open in a DuckDB CLI would otherwise fail the
    run at once; a short wait covers the usual case and the error says what to do.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("set TimeZone = 'UTC'")
            # a SET, not connect(config=): another connection to the file in this process
            # (a staff notebook) would otherwise be refused for its different configuration
            con.execute("set memory_limit = ?", [memory_limit()])
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                if "lock" in str(exc).lower():
                    raise WarehouseBusy(
                        f"{path} is held by another process ({exc}). Close other DuckDB "
                        "sessions on this file; staff should open the published copy instead."
                    ) from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@contextmanager
def open_warehouse(
    settings: Settings, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(settings.warehouse, read_only=read_only)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    else:
        con.execute("commit")


# --------------------------------------------------------------------------- migrations


def migration_files(folder: Path | None = None) -> list[tuple[int, str, Path]]:
    out = []
    for p in sorted((folder or sql_dir() / "migrations").glob("*.sql")):
        m = re.match(r"^(\d+)_(.+)\.sql$", p.name)
        if not m:
            raise ValueError(f"{p}: migration files are named NNN_description.sql")
        out.append((int(m.group(1)), m.group(2), p))
    versions = [v for v, _, _ in out]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a version number")
    return out


def migrate(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> list[int]:
    """Apply pending migrations in order, each in its own transaction. Returns versions applied."""
    con.execute("create schema if not exists meta")
    con.execute(
        """create table if not exists meta.schema_migrations (
               version integer primary key, name varchar not null,
               checksum varchar not null, applied_at timestamptz not null default now())"""
    )
    done = {
        v: c for v, c in con.sql("select version, checksum from meta.schema_migrations").fetchall()
    }
    applied = []
    for version, name, path in migration_files(folder):
        text = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if version in done:
            if done[version] != checksum:
                log.warning("migration %s changed after it was applied; not re-applied", path.name)
            continue
        with transaction(con):
            con.execute(text)
            con.execute(
                "insert into meta.schema_migrations (version, name, checksum) values (?, ?, ?)",
                [version, name, checksum],
            )
        applied.append(version)
        log.info("applied migration %s", path.name)
    return applied


# --------------------------------------------------------------------------- reference data


def write_reference_tables(
    con: duckdb.DuckDBPyConnection, settings: Settings, through_week: str
) -> Evaluation:
    """Offices, accounts, calendar, thresholds and lexicon, rewritten on every build.

    They come from files staff edit (account registry, evaluation.toml), so the
    warehouse always reflects the current configuration. Returns the evaluation settings.
    """
    from medsos.registry import accounts_frame, load_accounts, offices_frame

    offices = offices_frame()
    evaluation = Evaluation.load(settings.evaluation)
    accounts = with_handle_check(
        accounts_frame(load_accounts(settings.accounts)), offices, evaluation
    )
    calendar = calendar_frame()
    settings_df = pd.DataFrame(
        [
            {
                "min_posts_per_week": evaluation.min_posts_per_week,
                "overposting_posts_per_day": evaluation.overposting_posts_per_day,
                "overtagged_hashtags_per_post": evaluation.overtagged_hashtags_per_post,
                "content_title_weight": evaluation.title_weight,
                "content_lead_weight": evaluation.lead_weight,
                "content_hashtag_weight": evaluation.hashtag_weight,
                "report_through_week": through_week,
                "report_through_week_start": weeks.week_start(through_week),
            }
        ]
    )
    lexicon = lexicon_frame(settings, evaluation)
    campaign = pd.DataFrame({"hashtag": pd.Series(evaluation.campaign_hashtags, dtype="string")})
    for name, df, comment in (
        (
            "offices",
            offices,
            "All 553 KPU/KIP offices keyed by Kemendagri code (KPU RI = 00), with level, parent province and IANA time zone.",
        ),
        (
            "accounts",
            accounts,
            "Official accounts: which office runs which handle on which platform (from the account registry CSV).",
        ),
        (
            "calendar_weeks",
            calendar,
            "ISO weeks (Monday to Sunday) with working days, public holidays, cuti bersama and election periods.",
        ),
        (
            "evaluation_settings",
            settings_df,
            "Thresholds used for the weekly tables (from evaluation.toml) and the last week reported.",
        ),
        (
            "content_lexicon",
            lexicon,
            "Keywords that place a caption in a content category, and names of election bodies that count for none (from evaluation.toml; matched on their roots, see medsos/content.py).",
        ),
        (
            "campaign_hashtags",
            campaign,
            "The official campaign hashtags (from evaluation.toml), casefolded, without '#'.",
        ),
    ):
        con.register("_ref", df)
        con.execute(f"create or replace table core.{name} as select * from _ref")
        con.unregister("_ref")
        _comment(con, f"core.{name}", comment)
    return evaluation


def with_handle_check(
    accounts: pd.DataFrame, offices: pd.DataFrame, evaluation: Evaluation
) -> pd.DataFrame:
    """``handle_pattern`` and ``handle_follows_pattern`` for each account: whether its
    handle follows its province's pattern (evaluation.toml, accounts.handle_patterns;
    case ignored). NULL where the province has no pattern: not judged."""
    province = dict(zip(offices["office_code"], offices["province_code"], strict=True))
    patterns = []
    follows = []
    for code, handle in zip(accounts["office_code"], accounts["handle"], strict=True):
        prov = province.get(code)
        if pd.isna(prov):  # KPU RI has no province; its own code then
            prov = code
        pattern = evaluation.handle_patterns.get(str(prov))
        patterns.append(pattern)
        follows.append(
            None
            if pattern is None or pd.isna(handle)
            else re.fullmatch(pattern, str(handle), re.IGNORECASE) is not None
        )
    out = accounts.copy()
    out["handle_pattern"] = pd.Series(patterns, dtype="string", index=out.index)
    out["handle_follows_pattern"] = pd.Series(follows, dtype="boolean", index=out.index)
    return out


def lexicon_frame(settings: Settings, evaluation: Evaluation) -> pd.DataFrame:
    """The content lexicon as staff read it, with the root form each keyword is matched
    on. A lexicon that cannot be used (a word under two categories) stops the build with
    the file named."""
    from medsos.content import Lexicon

    try:
        lexicon = Lexicon.from_evaluation(evaluation)
    except ValueError as exc:
        raise ValueError(f"{settings.evaluation}: content_categories: {exc}") from exc
    rows = []
    for entries in lexicon.entries.values():
        for e in entries:
            rows.append(
                {
                    "category": e.category or "nama_lembaga",
                    "priority": (evaluation.category_priority.index(e.category) + 1)
                    if e.category
                    else None,
                    "keyword": e.keyword,
                    "weight": e.weight,
                    "matched_on": ("bentuk tertulis" if e.exact else "kata dasar")
                    + ": "
                    + " ".join(e.roots),
                }
            )
    df = pd.DataFrame(rows, columns=["category", "priority", "keyword", "weight", "matched_on"])
    df["priority"] = df["priority"].astype("Int64")
    return df.sort_values(["category", "keyword"], ignore_index=True)


def _comment(con: duckdb.DuckDBPyConnection, table: str, text: str) -> None:
    # COMMENT ON takes a string literal, not a parameter; the text is ours, quoted safely.
    con.execute(f"comment on table {table} is '{text.replace(chr(39), chr(39) * 2)}'")


ELECTION_PERIODS = (
    # (period, first day, last day); PKPU 3/2022 and PKPU 2/2024, see README.
    ("Kampanye Pemilu 2024", date(2023, 11, 28), date(2024, 2, 10)),
    ("Masa tenang Pemilu 2024", date(2024, 2, 11), date(2024, 2, 13)),
    ("Pemungutan suara Pemilu 2024", date(2024, 2, 14), date(2024, 2, 14)),
    ("Rekapitulasi Pemilu 2024", date(2024, 2, 15), date(2024, 3, 20)),
    ("Kampanye Pilkada 2024", date(2024, 9, 25), date(2024, 11, 23)),
    ("Masa tenang Pilkada 2024", date(2024, 11, 24), date(2024, 11, 26)),
    ("Pemungutan suara Pilkada 2024", date(2024, 11, 27), date(2024, 11, 27)),
    ("Rekapitulasi Pilkada 2024", date(2024, 11, 28), date(2024, 12, 16)),
)


def calendar_frame(first_year: int = 2020, last_year: int = 2030) -> pd.DataFrame:
    import holidays

    years = range(first_year, last_year + 1)
    public = holidays.country_holidays("ID", years=years, language="id")
    leave = holidays.country_holidays("ID", years=years, categories=("government",), language="id")
    rows = []
    week = weeks.week_of(date(first_year, 1, 4))
    last = weeks.week_of(date(last_year, 12, 28))
    while True:
        start = weeks.week_start(week)
        days = [start + timedelta(days=i) for i in range(7)]
        hol = [f"{d:%d %b}: {public[d]}" for d in days if d in public]
        cuti = [f"{d:%d %b}: {leave[d]}" for d in days if d in leave and d not in public]
        off = {d for d in days if d in public or d in leave}
        periods = [n for n, a, b in ELECTION_PERIODS if a <= days[-1] and b >= days[0]]
        year, number = weeks.parse_week(week)
        rows.append(
            {
                "iso_week": week,
                "iso_year": year,
                "week_number": number,
                "week_start": start,
                "week_end": days[-1],
                "week_label": weeks.week_label(week),
                "working_days": sum(1 for d in days[:5] if d not in off),
                "public_holidays": "; ".join(hol) or None,
                "cuti_bersama": "; ".join(cuti) or None,
                "election_periods": "; ".join(periods) or None,
                "has_election_day": any("Pemungutan suara" in p for p in periods),
            }
        )
        if week == last:
            break
        week = weeks.shift(week, 1)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Unit:
    """What an incremental model is recomputed by once built (sql/models.txt: 'by post'
    and so on)."""

    table: str  # the keys to compute: sql/incremental/<changed>.sql, or <every>.sql in a full build
    keys: tuple[str, ...]  # the columns that key the model's rows
    changed: str
    every: str
    reads: frozenset[str] = frozenset()  # units whose keys the changed SQL reads (built before)


INCREMENTAL_UNITS = {
    # core.files_in_force by office and delivery week: which exports win is decided within
    # the kind, office and week, so a week of new files recomputes only their office-weeks
    "file group": Unit(
        "meta.file_groups_to_build",
        ("office_code", "delivery_week"),
        "changed_file_groups",
        "all_file_groups",
    ),
    "post": Unit(
        "meta.posts_to_build",
        ("platform", "office_code", "post_id"),
        "changed_posts",
        "all_posts",
        frozenset({"file group"}),
    ),
    "day": Unit(
        "meta.days_to_build",
        ("platform", "office_code", "metric_date"),
        "changed_days",
        "all_days",
        frozenset({"file group"}),
    ),
    "week": Unit(
        "meta.weeks_to_build",
        ("iso_week",),
        "changed_weeks",
        "all_weeks",
        frozenset({"post", "day"}),
    ),
    "engagement week": Unit(
        "meta.engagement_weeks_to_build",
        ("iso_week",),
        "changed_engagement_weeks",
        "all_weeks",
        frozenset({"post", "day", "week"}),
    ),
}


INCREMENTAL_ONLY = "-- incremental only"


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    path: Path
    incremental: str | None = None  # a key of INCREMENTAL_UNITS (see sql/models.txt)

    @property
    def table(self) -> str:
        return f"{LAYER_SCHEMA[self.layer]}.{self.name}"

    @property
    def materialisation(self) -> str:
        return "view" if self.layer == "staging" else "table"

    def sql(self, full: bool) -> str:
        """The model's query. In a full build every key is built, so the lines marked
        ``-- incremental only`` (semi joins on the keys to build, which would then keep
        every row) are left out: on a year of posts each such join cost seconds."""
        text = self.path.read_text(encoding="utf-8")
        if not full:
            return text
        return "".join(
            line
            for line in text.splitlines(keepends=True)
            if not line.rstrip().endswith(INCREMENTAL_ONLY)
        )

    def description(self) -> str:
        lines = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return " ".join(x for x in lines if x)


def models(folder: Path | None = None) -> list[Model]:
    root = folder or sql_dir()
    out = []
    for raw in (root / "models.txt").read_text(encoding="utf-8").splitlines():
        entry, *options = raw.split("#", 1)[0].split() or [""]
        if not entry:
            continue
        layer, _, file = entry.partition("/")
        if layer not in LAYER_SCHEMA:
            raise ValueError(
                f"sql/models.txt: '{entry}' is not in staging/, intermediate/ or marts/"
            )
        units = [["by", *unit.split()] for unit in INCREMENTAL_UNITS]
        if (options and options not in units) or (options and layer == "staging"):
            raise ValueError(
                f"sql/models.txt: '{raw.strip()}': after a table's file only "
                f"{', '.join(repr(' '.join(u)) for u in units)} may follow"
            )
        path = root / layer / file
        if not path.is_file():
            raise ValueError(f"sql/models.txt lists {entry}, which does not exist")
        out.append(Model(layer, path.stem, path, incremental=" ".join(options[1:]) or None))
    return out


def _inputs_fingerprint(con: duckdb.DuckDBPyConnection, root: Path | None = None) -> str:
    """What the tables are computed from besides the loaded rows: every SQL file, the
    schema version, thresholds and keywords. When it changes, per-post results kept from
    the last build may be stale, so the build starts over."""
    root = root or sql_dir()
    h = hashlib.sha256(duckdb.__version__.encode())  # a new DuckDB may compute differently
    # the content categories are computed in Python: its code and the stemmer's version
    from importlib.metadata import version

    from medsos import content

    h.update(Path(content.__file__).read_bytes())
    h.update(version("PySastrawi").encode())
    for path in sorted([*root.glob("*/*.sql"), root / "models.txt"]):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    for query in (
        "select * exclude (report_through_week, report_through_week_start) from core.evaluation_settings",
        "select * from core.content_lexicon order by all",
        "select * from core.campaign_hashtags order by all",
        # which weeks each office is evaluated on (registry, offices, calendar)
        "select * from core.accounts order by all",
        "select * from core.offices order by all",
        "select * from core.calendar_weeks order by all",
    ):
        h.update(repr(con.sql(query).fetchall()).encode())
    return h.hexdigest()


def _can_build_incrementally(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    last = con.sql("select inputs_fingerprint from meta.last_build").fetchall()
    tables = {
        f"{schema}.{name}"
        for schema, name in con.sql(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }
    needed = {
        "core.files_in_force",
        "core.reporting_weeks",
        "core.post_categories",
        *(m.table for m in models() if m.incremental),
    }
    return last == [(fingerprint,)] and needed <= tables


def _incremental_sql(name: str) -> str:
    return (sql_dir() / "incremental" / f"{name}.sql").read_text(encoding="utf-8")


def _note_changed_files(con: duckdb.DuckDBPyConnection) -> None:
    """``meta.changed_files``: the files whose standing changed since the last build."""
    sql = _incremental_sql("changed_files")
    con.execute(f"create or replace table meta.changed_files as\n{sql}")


def _choose_keys(con: duckdb.DuckDBPyConnection, unit: str, incremental: bool) -> bool:
    """Fill the table of ``unit`` keys to compute (``meta.posts_to_build``,
    ``meta.days_to_build``, ``meta.weeks_to_build``, ``meta.engagement_weeks_to_build``);
    True when the build goes on incrementally. When most posts changed anyway
    (``--reprocess``), computing everything afresh is faster than replacing rows one by
    one, so the build turns full."""
    spec = INCREMENTAL_UNITS[unit]
    table = spec.table
    if incremental:
        sql = _incremental_sql(spec.changed)
        con.execute(f"create or replace table {table} as\n{sql}")
        if unit == "post":
            (posts_changed, posts_known) = con.sql(
                "select (select count(*) from meta.posts_to_build), (select count(*) from core.posts)"
            ).fetchall()[0]
            incremental = posts_changed <= posts_known // 2
            if incremental:
                # the changed posts as they are now, before they are recomputed: which
                # weeks they leave, and whether their week's posting changes
                con.execute(
                    """create or replace table meta.posts_before as
                       select platform, office_code, post_id, iso_week, local_date, is_overtagged, content_category,
                              has_campaign_hashtag, content_format
                       from core.posts
                       semi join meta.posts_to_build using (platform, office_code, post_id)"""
                )
    if not incremental:
        sql = _incremental_sql(spec.every)
        con.execute(f"create or replace table {table} as\n{sql}")
    (n,) = con.sql(f"select count(*) from {table}").fetchall()[0]
    log.info("%s build: %s %ss to compute", "incremental" if incremental else "full", n, unit)
    return incremental


def _replace_rows(con: duckdb.DuckDBPyConnection, model: Model, spec: Unit, sql: str) -> None:
    """Delete the model's rows for the keys being computed (``spec``, the model's unit),
    insert them afresh."""
    table = spec.table
    if spec.keys == ("iso_week",):
        # and the weeks no longer reported (the first delivery withdrawn, say)
        con.execute(
            f"""delete from {model.table}
                where iso_week in (select iso_week from {table})
                   or iso_week not in (select iso_week from core.reporting_weeks)"""
        )
    else:
        where = " and ".join(f"t.{k} = s.{k}" for k in spec.keys)
        con.execute(f"delete from {model.table} as t using {table} as s where {where}")
    con.execute(f"insert into {model.table} by name select * from (\n{sql}\n)")


def build(
    con: duckdb.DuckDBPyConnection, settings: Settings, through_week: str, full: bool = False
) -> list[str]:
    """Rebuild reference tables, core and marts in one transaction: readers of the
    published copy never see half-built tables, and a failure leaves the previous state.

    Models marked ``by file group``, ``by post``, ``by day``, ``by week`` or ``by engagement week`` in
    ``sql/models.txt`` are recomputed only for what the files that changed since the last build touch
    (``sql/incremental/changed_*.sql``); ``full`` or any change of SQL, thresholds,
    keywords or the registry recomputes everything."""
    from medsos import contracts
    from medsos.content import classify_posts_to_build

    built = []
    with transaction(con):
        evaluation = write_reference_tables(con, settings, through_week)
        fingerprint = _inputs_fingerprint(con)
        incremental = not full and _can_build_incrementally(con, fingerprint)
        if incremental:
            con.execute(
                "create or replace table meta.reporting_weeks_before as select iso_week from core.reporting_weeks"
            )
        ready: list[str] = []
        for model in models():
            started = time.perf_counter()
            if model.incremental and model.incremental not in ready:
                reads = INCREMENTAL_UNITS[model.incremental].reads
                if not reads <= set(ready):
                    raise ValueError(
                        f"sql/models.txt: {model.path.name} (by {model.incremental}) must come "
                        f"after the tables built by {' and by '.join(sorted(reads))}"
                    )
                if incremental and ready == ["file group"]:
                    _note_changed_files(con)  # core.files_in_force is built by now
                incremental = _choose_keys(con, model.incremental, incremental)
                if incremental and model.incremental == "file group":
                    # the standing of the files of those office-weeks at the last build,
                    # to see which files changed
                    con.execute(
                        """create or replace table meta.files_in_force_before as
                           select source_file, delivery_week, is_in_force, processed_at from core.files_in_force
                           semi join meta.file_groups_to_build using (office_code, delivery_week)"""
                    )
                ready.append(model.incremental)
            if model.table == "core.posts":
                # the categories are read in Python (stems, names, weights; medsos/content.py)
                # for the same posts, so a weekly build gives the table a full build gives
                n = classify_posts_to_build(
                    con, evaluation, incremental=bool(model.incremental and incremental)
                )
                log.info(
                    "content categories of %s posts in %.2f s", n, time.perf_counter() - started
                )
            if model.incremental and incremental:
                sql = model.sql(full=False)
                _replace_rows(con, model, INCREMENTAL_UNITS[model.incremental], sql)
            else:
                sql = model.sql(full=True)
                con.execute(f"create or replace {model.materialisation} {model.table} as\n{sql}")
            log.info("built %s in %.2f s", model.table, time.perf_counter() - started)
            desc = model.description()
            if desc:
                if model.materialisation == "view":
                    con.execute(
                        f"comment on view {model.table} is '{desc.replace(chr(39), chr(39) * 2)}'"
                    )
                else:
                    _comment(con, model.table, desc)
            built.append(model.table)
        for table in (
            "meta.files_in_force_before",
            "meta.reporting_weeks_before",
            "meta.changed_files",
            "meta.posts_before",
        ):
            con.execute(f"drop table if exists {table}")
        # every column described and every data test passed (sql/<layer>/<table>.yml), or
        # the whole build is undone and the published copy keeps the last good tables
        contracts.enforce(con)
        con.execute("delete from meta.last_build")
        con.execute("insert into meta.last_build values (?, ?, now())", [fingerprint, through_week])
    return built


# --------------------------------------------------------------------------- publishing


def publish_in_place() -> bool:
    """``$MEDSOS_PUBLISH_IN_PLACE``: 1 (the default) keeps a spare copy beside the published
    one and brings it up to date in place; 0 writes a whole new copy each time (for a
    published folder that readers on other machines open over a network share, where
    their locks may not reach this server)."""
    value = (os.environ.get("MEDSOS_PUBLISH_IN_PLACE") or "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"MEDSOS_PUBLISH_IN_PLACE must be 1 or 0, not {value!r}")
    return value == "1"


def spare_of(target: Path) -> Path:
    """The hidden spare beside the published copy: the copy staff had before the last
    publish, which the next one brings up to date."""
    return target.with_name(f".{target.name}.spare")


def publish(settings: Settings) -> Path:
    """Copy the warehouse to the read-only location staff use, replacing it atomically.

    Called with the writer's connection closed (the pool slot is still held), so the
    file on disk is complete. Readers that have the old copy open keep their handle;
    new readers get the new file.

    Where the file system clones (XFS, Btrfs) the copy is a clone. Elsewhere (ext4) a byte
    copy of a year's warehouse costs time with every week of history, while a weekly
    build changes a few percent of the file. So the copy staff had before is kept as a
    hidden spare (``spare_of``), and the next publish writes into the spare only the
    blocks that differ from the warehouse, then swaps it in with one rename, the copy it
    replaces becoming the next spare. No reader sees the spare half written: it is not
    the published name, and it is only written while this process holds a write lock on
    it, which DuckDB's readers (they take a read lock on the file they open) prevent and
    are prevented by: a reader still holding the old copy means a whole new copy is
    written instead, as before. ``MEDSOS_PUBLISH_IN_PLACE=0`` always writes a whole copy.
    """
    target = settings.published
    if target.resolve() == settings.warehouse.resolve():
        raise ValueError(
            f"MEDSOS_PUBLISHED and MEDSOS_WAREHOUSE both name {target}; the published copy "
            "must be another file"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    spare = spare_of(target)
    in_place = publish_in_place()
    how, new = "", tmp
    if _clone(settings.warehouse, tmp):
        how = "clone"
    elif in_place and target.is_file() and spare.is_file() and not spare.is_symlink():
        try:
            os.chmod(spare, 0o644)  # read-only like the published copy; its owner may write
            with spare.open("r+b", buffering=0) as fh:
                if _locked_for_writing(fh.fileno()):
                    size, written = _write_differing_blocks(settings.warehouse, fh)
                    fh.truncate(size)  # the spare's own bytes beyond the warehouse's end
                    how, new = f"spare brought up to date, {written / 2**20:,.1f} MB written", spare
            # the lock goes with the file's closing, before the rename
        except OSError as exc:
            log.warning("the spare %s could not be brought up to date (%s); copying", spare, exc)
    if not how:
        shutil.copyfile(settings.warehouse, tmp)
        how = "copy"
    elif new == spare:
        tmp.unlink()  # the empty file the clone was tried into
    os.chmod(new, 0o444)
    kept = None
    if in_place and how != "clone" and target.is_file():
        kept = target.with_name(f".{target.name}.{os.getpid()}.old")
        try:
            os.link(target, kept)  # the copy staff had until now: the next publish's spare
        except OSError:  # a file system without hard links: no spare, a whole copy next time
            kept = None
    os.replace(new, target)
    if kept is not None:
        os.replace(kept, spare)
    elif in_place and how == "copy" and not spare.exists():
        # the first publish has no earlier copy to keep: a second copy once, so the next
        # weekly publish writes only what its build changed
        shutil.copyfile(target, tmp)
        os.chmod(tmp, 0o444)
        os.replace(tmp, spare)
    log.info("published %s (%s)", target, how)
    return target


# DuckDB's block size: a checkpoint rewrites whole blocks, and a weekly build a few
# percent of them
PUBLISH_BLOCK = 256 * 1024


def _write_differing_blocks(src: Path, fh: RawIOBase) -> tuple[int, int]:
    """Write into ``fh`` each block of ``src`` whose bytes differ; returns ``src``'s size
    and the bytes written. Comparing two files in the page cache costs a fraction of
    writing a whole new one (new blocks allocated, then written back to disk)."""
    ours, theirs = bytearray(PUBLISH_BLOCK), bytearray(PUBLISH_BLOCK)
    position = written = 0
    with src.open("rb", buffering=0) as source:
        while n := source.readinto(ours):
            fh.seek(position)
            m = fh.readinto(theirs)
            # bytearray equality is one memcmp; a slice copies, so only the last block
            if m != n or (ours != theirs if n == PUBLISH_BLOCK else ours[:n] != theirs[:n]):
                fh.seek(position)
                fh.write(ours if n == PUBLISH_BLOCK else ours[:n])
                written += n
            position += n
    return position, written


def _locked_for_writing(fd: int) -> bool:
    """Take a write lock on the whole file (an open-file-description lock, so a DuckDB
    reader in this very process counts too); False when someone holds a lock on it."""
    import fcntl
    import struct

    whole_file = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)  # struct flock
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, whole_file)
    except OSError:
        return False
    return True


FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)


def _clone(src: Path, dst: Path) -> bool:
    """``dst`` as a reflink clone of ``src`` where the file system has them (XFS, Btrfs:
    the copy shares the blocks, instant whatever the size, and the warehouse's later
    writes leave it as it is); False elsewhere (ext4)."""
    import fcntl

    with src.open("rb") as source, dst.open("wb") as copy:
        try:
            fcntl.ioctl(copy.fileno(), FICLONE, source.fileno())
            return True
        except OSError:
            return False  # not supported here, or another file system


def clone_or_copy(src: Path, dst: Path) -> str:
    """``dst`` as a copy of ``src``: a reflink clone where the file system has them, else a
    byte copy (ext4), whose time grows with the file. Returns 'clone' or 'copy'."""
    if _clone(src, dst):
        return "clone"
    shutil.copyfile(src, dst)
    return "copy"


def open_published(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the published copy, for staff queries and reports.

    Never the warehouse itself: opening that file, even read-only, locks it and would
    stall the next load.
    """
    path = settings.published
    if not path.exists():
        raise FileNotFoundError(
            f"no published copy yet at {path}; run `medsos run --week YYYY-Www` first "
            "(each run publishes the copy staff query)"
        )
    return connect(path, read_only=True)
