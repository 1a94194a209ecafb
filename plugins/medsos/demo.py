"""``make demo``: sample exports, then the real ``medsos_weekly`` DAG through Airflow
(``dag.test()`` on a temporary SQLite metadata database) for every sample week, then
the province's weekly posting-activity table.

The demo works only in a folder of its own: the checkout's ``data/`` unless ``--dir``
names another. It never follows the ``MEDSOS_*`` paths (in the containers they point at
the real data under ``/data``), and it refuses, naming what stopped it, before it deletes
or overwrites anything it did not create:

- a ``MEDSOS_*`` path (``MEDSOS_DATA_DIR``, ``MEDSOS_LANDING`` …) outside its folder, or a
  production deployment (``MEDSOS_DEPLOYMENT=production``);
- a folder that is not empty and carries no demo mark (``.medsos-demo.json``);
- in its own folder, a file it did not write, or one changed since it wrote it (an export
  an office dropped into the demo's landing zone);
- a warehouse or published copy without the demo's mark (the table ``meta.medsos_demo``).

A second demo in the same folder replaces the first one's data, and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from medsos.config import Settings, project_dir
from medsos.owned import Refused

MARK = ".medsos-demo.json"
WAREHOUSE_MARK = "meta.medsos_demo"  # the table (written out in the SQL below)
# every setting that names a place the demo would write to or delete
PATH_VARIABLES = (
    "MEDSOS_DATA_DIR",
    "MEDSOS_LANDING",
    "MEDSOS_WAREHOUSE",
    "MEDSOS_PUBLISHED",
    "MEDSOS_OUTBOX",
    "MEDSOS_WORK",
    "MEDSOS_GX_DIR",
)


__all__ = ["Refused", "check_environment", "check_folder", "default_folder", "prepare", "run_demo"]


def default_folder() -> Path:
    return project_dir() / "data"


def demo_settings(folder: Path, accounts: Path | None = None) -> Settings:
    """Every path the demo writes, under ``folder``; the registry, recipients and
    evaluation settings (which it only reads) as configured."""
    return Settings.from_env(
        landing=folder / "landing",
        warehouse=folder / "medsos.duckdb",
        published=folder / "published" / "medsos.duckdb",
        outbox=folder / "outbox",
        work=folder / "work",
        gx_dir=folder / "gx",
        accounts=accounts,
    )


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_environment(folder: Path) -> None:
    """Refuse when the configuration points anywhere outside the demo's folder."""
    if (os.environ.get("MEDSOS_DEPLOYMENT") or "").strip().lower() == "production":
        raise Refused(
            "this is a production deployment (MEDSOS_DEPLOYMENT=production); the demo runs only "
            "on a development checkout, never beside the real data"
        )
    for name in PATH_VARIABLES:
        value = (os.environ.get(name) or "").strip()
        if value and not _inside(Path(value), folder):
            raise Refused(
                f"{name}={value} points outside the demo folder {folder}; the demo never touches "
                f"what the configuration points at (unset {name}, or run the demo with --dir "
                "<an empty folder>)"
            )


def _files_under(folder: Path) -> list[str]:
    """Every file and link below ``folder`` (links not followed), as relative paths."""
    out = []
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.append(Path(root, name).relative_to(folder).as_posix())
    return sorted(out)


def _fingerprint(path: Path) -> list[int]:
    st = path.lstat()
    return [st.st_size, st.st_mtime_ns]


def _warehouse_parts(settings: Settings, folder: Path) -> dict[str, Path]:
    """The DuckDB files the demo makes, by path under ``folder``: each carries the mark
    (or belongs to a file that does: the write-ahead log)."""
    parts = {}
    for db in (settings.warehouse, settings.published):
        rel = db.relative_to(folder).as_posix()
        parts[rel] = db
        parts[rel + ".wal"] = db
    return parts


def _own_folders(settings: Settings, folder: Path) -> tuple[str, ...]:
    """The folders the demo writes into, as 'name/' under ``folder`` (the warehouse's
    spill folder among them); the published copy's folder holds only its own files."""
    return tuple(
        p.relative_to(folder).as_posix() + "/"
        for p in (
            settings.landing,
            settings.outbox,
            settings.work,
            settings.gx_dir,
            settings.published.parent,
            settings.warehouse.with_name(settings.warehouse.name + ".tmp"),
        )
    )


def _has_mark(db: Path) -> bool:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise Refused(
                f"{db} is open in another process; close it and run the demo again"
            ) from exc
        return False
    except duckdb.Error:
        return False
    try:
        con.sql("select count(*) from meta.medsos_demo").fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        con.close()


def check_folder(folder: Path, settings: Settings) -> list[str]:
    """What a new demo would replace in ``folder`` (relative paths of the demo's own
    folders and files that are there); Refused when any of it is not the demo's.

    A folder without the demo mark must be empty. In a marked folder, every file the demo
    would delete must be one it recorded, unchanged, and every DuckDB file must carry the
    warehouse mark; what else lies in the folder is never touched.
    """
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise Refused(f"{folder} is not a folder")
    files = _files_under(folder)
    mark_path = folder / MARK
    if not mark_path.is_file():
        if files:
            raise Refused(
                f"{folder} holds files medsos demo did not write (e.g. {files[0]}) and no demo mark; "
                "the demo writes only into an empty folder or one it made (give --dir)"
            )
        return []
    try:
        recorded = json.loads(mark_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused(
            f"{mark_path} is not a demo mark medsos can read ({exc}); nothing was deleted"
        ) from exc
    databases = _warehouse_parts(settings, folder)
    own = _own_folders(settings, folder)
    for rel in files:
        if rel in databases:
            if not _has_mark(databases[rel]):
                raise Refused(
                    f"{databases[rel]} has no demo mark ({WAREHOUSE_MARK}): it is not a warehouse "
                    "medsos demo made, and the demo never deletes it"
                )
        elif rel.startswith(own) and recorded.get(rel) != _fingerprint(folder / rel):
            raise Refused(
                f"{folder / rel} is not a file medsos demo wrote (or it changed since); the demo "
                "deletes only its own files"
            )
    paths = [
        settings.landing,
        settings.warehouse,
        settings.published,
        settings.outbox,
        settings.work,
        settings.gx_dir,
    ]
    return [p.relative_to(folder).as_posix() for p in paths if p.exists()]


def record(folder: Path, settings: Settings) -> None:
    """Write the demo mark: every file the demo has made so far in its folders, with its
    size and time, so the next demo can tell its own files from anyone else's."""
    own = _own_folders(settings, folder)
    databases = _warehouse_parts(settings, folder)
    files = {
        rel: _fingerprint(folder / rel)
        for rel in _files_under(folder)
        if rel.startswith(own) and rel not in databases
    }
    mark = {"made_by": "medsos demo", "recorded_at": datetime.now(UTC).isoformat(), "files": files}
    tmp = folder / f"{MARK}.tmp"
    tmp.write_text(json.dumps(mark, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MARK)


def _mark_warehouse(settings: Settings) -> None:
    from medsos.warehouse import connect

    con = connect(settings.warehouse)
    try:
        con.execute("create schema if not exists meta")
        con.execute(
            "create table meta.medsos_demo (made_by varchar, made_at timestamptz, folder varchar)"
        )
        con.execute(
            "insert into meta.medsos_demo values ('medsos demo', now(), ?)",
            [str(settings.warehouse.parent)],
        )
        con.execute(
            "comment on table meta.medsos_demo is 'This warehouse holds the sample data of medsos demo.'"
        )
    finally:
        con.close()


def prepare(
    folder: Path, first_week: str, last_week: str, accounts: Path | None = None
) -> Settings:
    """Check that ``folder`` is the demo's to use, replace what an earlier demo left there,
    write the sample exports and mark the folder and a new warehouse as demo data."""
    from medsos.sample import build_plan, write_sample

    folder = folder.resolve()
    check_environment(folder)
    settings = demo_settings(folder, accounts)
    replaced = check_folder(folder, settings)
    if replaced:
        print(f"demo: replacing the data an earlier demo left in {folder}: {', '.join(replaced)}")
    # only what check_folder found to be the demo's own
    for path in (
        settings.landing,
        settings.outbox,
        settings.work,
        settings.gx_dir,
        settings.warehouse.with_name(settings.warehouse.name + ".tmp"),
    ):
        if path.is_dir():
            shutil.rmtree(path)
    for db in (settings.warehouse, settings.published):
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
    for path in settings.published.parent.iterdir() if settings.published.parent.is_dir() else ():
        # a copy a publish left half-way (recorded by the demo, checked above)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    record(folder, settings)  # the folder is the demo's from here on
    _mark_warehouse(settings)
    plan = with_office_mistakes(
        build_plan(first_week, last_week, accounts_path=settings.accounts), last_week
    )
    try:
        files = write_sample(settings.landing, plan)
        files += write_stray_files(settings.landing, plan, last_week)
    finally:
        record(folder, settings)
    print(
        f"sample: {len(files)} export files, {len(plan.posts)} posts, weeks {first_week} … {last_week} "
        f"in {folder}"
    )
    return settings


# What goes wrong in a real week, so the demo's last week (the email's) shows each kind of
# follow-up and every ready-made query in the README finds something: an office that sends
# nothing, one that stopped posting on Instagram three weeks ago, a photo dropped instead
# of an export. Offices the sample's own cases do not use.
SILENT_OFFICE = "35.09"  # KPU Kabupaten Jember: no export at all in the last week
QUIET_INSTAGRAM = ("35.14", 3)  # KPU Kabupaten Pasuruan: no Instagram post in the last 3 weeks
STRAY_PHOTO = "35.05"  # KPU Kabupaten Blitar: a photo of a meeting instead of an export
BAD_ROW = "35.12"  # KPU Kabupaten Situbondo: an X export with a negative like count (held back)


def with_office_mistakes(plan, last_week: str):
    from dataclasses import replace

    from medsos import weeks

    office, quiet_weeks = QUIET_INSTAGRAM
    quiet = {weeks.shift(last_week, -i) for i in range(quiet_weeks)}
    kept = []
    for request in plan.requests:
        if request.account.office_code == SILENT_OFFICE and request.iso_week == last_week:
            continue
        if request.account.office_code == office and request.account.platform == "instagram":
            request = replace(
                request,
                rows=[
                    r for r in request.rows if weeks.week_of(r.post.published_local) not in quiet
                ],
            )
        kept.append(request)
    plan.requests = kept
    plan.posts = [
        p
        for p in plan.posts
        if not (
            p.office_code == office
            and p.platform == "instagram"
            and weeks.week_of(p.published_local) in quiet
        )
    ]
    return plan


def write_stray_files(landing: Path, plan, last_week: str) -> list[Path]:
    folder = landing / last_week / STRAY_PHOTO
    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / "foto_rapat_koordinasi.jpg"
    # a JPEG's first bytes, as a phone saves it; medsos reads content, not the name
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 16)
    written = [photo]
    import csv
    import io

    for path in sorted((landing / last_week / BAD_ROW).glob("account_analytics_content_*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
        if len(rows) > 1 and "Likes" in rows[0]:
            rows[1][rows[0].index("Likes")] = "-5"  # a hand edit gone wrong
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            path.write_text(out.getvalue(), encoding="utf-8")
    return written


def run_demo(folder: Path, first_week: str, last_week: str, accounts: Path | None = None) -> int:
    from medsos import airflow_local, weeks

    settings = prepare(folder, first_week, last_week, accounts)
    folder = folder.resolve()
    home = Path(tempfile.mkdtemp(prefix="medsos-airflow-"))
    try:
        airflow_local.prepare(home)
        # The DAG tasks read paths from the environment, exactly as in production.
        os.environ.update(settings.as_env())
        print(f"airflow: metadata database in {home} (SQLite)")
        airflow_local.migrate()
        dag = airflow_local.load_dag()
        for week in weeks.weeks_between(first_week, last_week):
            run = airflow_local.run_dag_for_week(dag, week)
            record(folder, settings)
            state = str(getattr(run, "state", run))
            print(f"medsos_weekly {week}: {state}")
            if "success" not in state:
                print("the DAG run failed; see the task logs above")
                return 1
    finally:
        record(folder, settings)
        shutil.rmtree(home, ignore_errors=True)  # the demo's own temporary Airflow

    from medsos.warehouse import open_published

    con = open_published(settings)
    try:
        print("\nAktivitas posting KPU kabupaten/kota di Jawa Timur (marts.province_weekly, %):")
        con.sql(
            """
            pivot (
                select iso_week, platform, posting_activity_pct
                from marts.province_weekly where province_code = '35'
            )
            on platform in ('instagram', 'facebook', 'x', 'youtube', 'tiktok', 'all')
            using first(posting_activity_pct)
            order by iso_week
            """
        ).show(max_rows=60)
    finally:
        con.close()
    eml = sorted(settings.outbox.rglob("ringkasan_35_*.eml"))
    print(f"warehouse: {settings.warehouse}\npublished copy: {settings.published}")
    if eml:
        print(f"weekly email for Jawa Timur: {eml[-1]} (and .html beside it)")
    return 0
