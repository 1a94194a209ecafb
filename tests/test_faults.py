"""Faults: the process killed (SIGKILL) in the middle of a run, two runs started at once,
a warehouse written by an earlier version of medsos. Real processes (the ``medsos``
command) and real DuckDB files; the SMTP retries are in test_email.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample
from medsos.warehouse import connect, migrate, migration_files

FIRST, SECOND = "2024-W06", "2024-W07"
TABLES = ("marts.weekly_cadence", "marts.weekly_engagement", "marts.province_weekly", "core.posts")


def state(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        # run ids name the run that loaded a row; everything else must be equal
        out = {t: con.sql(f"select * exclude (run_id) from {t} order by all").fetchall() if t == "core.posts"
               else con.sql(f"select * from {t} order by all").fetchall() for t in TABLES}
        out["raw.post_snapshots"] = con.sql(
            "select * exclude (run_id) from raw.post_snapshots order by all").fetchall()
        out["raw.files"] = con.sql(
            "select relative_path, status, rows_loaded, rows_quarantined from raw.files order by all").fetchall()
        return out
    finally:
        con.close()


def medsos_run(settings, week: str) -> subprocess.Popen:
    env = os.environ | settings.as_env() | {"MEDSOS_PARSE_WORKERS": "1"}
    return subprocess.Popen([sys.executable, "-m", "medsos.cli", "run", "--week", week],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def landing_and_expected(tmp_path_factory, settings_for):
    """The sample's two weeks, and the tables of an undisturbed run over them."""
    root = tmp_path_factory.mktemp("faults")
    source = root / "source"
    write_sample(source, build_plan(FIRST, SECOND))
    calm = settings_for(root / "calm")
    shutil.copytree(source, calm.landing)
    run_week(calm, FIRST, send=False)
    after_first = state(calm.warehouse)
    run_week(calm, SECOND, send=False)
    return source, after_first, state(calm.warehouse)


def prepared(settings_for, root: Path, source: Path):
    """A warehouse that has loaded the first week; the second week's files have arrived."""
    s = settings_for(root)
    shutil.copytree(source, s.landing)
    run_week(s, FIRST, send=False)
    return s


@pytest.mark.parametrize("delay", [0.0, 0.4, 1.5])
def test_kill_9_during_the_load_leaves_the_previous_tables_and_a_rerun_completes(
    landing_and_expected, settings_for, tmp_path, delay
):
    source, after_first, expected = landing_and_expected
    s = prepared(settings_for, tmp_path, source)
    wal = Path(str(s.warehouse) + ".wal")
    proc = medsos_run(s, SECOND)
    deadline = time.monotonic() + 180
    while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # the write-ahead log appears when the load's transaction writes
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed, "the run finished before it could be killed; the test did not test anything"
    # the tables are those before the run, or those after it: never a half-load
    now = state(s.warehouse)
    marts_now = {t: now[t] for t in TABLES}
    assert marts_now in ({t: after_first[t] for t in TABLES}, {t: expected[t] for t in TABLES})
    rerun = medsos_run(s, SECOND)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert state(s.warehouse) == expected


def test_two_runs_started_together_serialise_without_double_counts(landing_and_expected, settings_for, tmp_path):
    source, _, expected = landing_and_expected
    s = prepared(settings_for, tmp_path, source)
    runs = [medsos_run(s, SECOND), medsos_run(s, SECOND)]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [e for _, e in results]
    assert all("lock" not in e.lower() for _, e in results)
    assert state(s.warehouse) == expected


def test_a_warehouse_of_an_earlier_version_is_migrated_in_place(landing_and_expected, settings_for, tmp_path):
    source, _, expected = landing_and_expected
    s = settings_for(tmp_path)
    shutil.copytree(source, s.landing)
    # what medsos 0.1 left: the first three migrations and a file it marked superseded
    old = tmp_path / "old_migrations"
    old.mkdir()
    for _version, _name, path in migration_files()[:3]:
        shutil.copy(path, old / path.name)
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = connect(s.warehouse)
    try:
        assert migrate(con, old) == [1, 2, 3]
        con.execute(
            """insert into raw.files (relative_path, delivery_week, office_code, sha256, status, superseded_by,
                                      rows_in_file, rows_loaded, rows_quarantined, processed_at)
               values ('2023-W50/35.06/lama.csv', '2023-W50', '35.06', 'abc', 'superseded',
                       '2023-W50/35.06/baru.csv', 3, 3, 0, now())"""
        )
    finally:
        con.close()
    run_week(s, FIRST, send=False)
    run_week(s, SECOND, send=False)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        versions = [v for (v,) in con.sql("select version from meta.schema_migrations order by 1").fetchall()]
        old_row = con.sql("select status, superseded_by from raw.files where relative_path = '2023-W50/35.06/lama.csv'").fetchall()
    finally:
        con.close()
    assert versions == [v for v, _, _ in migration_files()]
    # superseding is worked out by core.files_in_force now; the old row is kept, as loaded
    assert old_row == [("withdrawn", None)] or old_row == [("loaded", None)]
    now = state(s.warehouse)
    assert {t: now[t] for t in TABLES} == {t: expected[t] for t in TABLES}
