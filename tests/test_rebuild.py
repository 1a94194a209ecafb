"""``medsos rebuild``: every table again from the landing zone, for a lost or damaged
warehouse; and the commands that rewrite data ask first or refuse.

The landing zone is three Jawa Timur offices' sample exports for three weeks; the weekly
job has run for the first two when the warehouse is lost (the third week's exports are
already arriving: it is mid-week).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from test_demo_safety import snapshot

from medsos.cli import EXIT_REFUSED, main
from medsos.config import PACKAGE_DIR
from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample

OFFICES = ("35.05", "35.25", "35.76")
WEEKS = ("2024-W06", "2024-W07")
MID_WEEK = "2024-W08"
RUN_COLUMNS = {"run_id", "processed_at"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("rebuild")
    lines = (PACKAGE_DIR / "data" / "accounts_jatim_sample.csv").read_text(encoding="utf-8").splitlines()
    accounts = root / "accounts.csv"
    accounts.write_text("\n".join([lines[0], *(x for x in lines[1:] if x.split(",")[0] in OFFICES)]) + "\n",
                        encoding="utf-8")
    landing = root / "landing"
    write_sample(landing, build_plan(WEEKS[0], MID_WEEK, accounts_path=accounts))
    return landing, accounts


@pytest.fixture
def loaded(generated, settings_for, tmp_path):
    """Two weeks run; the third week's exports dropped since (not run yet)."""
    landing, accounts = generated
    settings = replace(settings_for(tmp_path / "data"), accounts=accounts)
    for week in WEEKS:
        shutil.copytree(landing / week, settings.landing / week, copy_function=shutil.copy2)
    for week in WEEKS:
        run_week(settings, week, send=False)
    shutil.copytree(landing / MID_WEEK, settings.landing / MID_WEEK, copy_function=shutil.copy2)
    before = tmp_path / "before.duckdb"
    shutil.copyfile(settings.warehouse, before)
    return settings, before


def flags(settings) -> list[str]:
    return ["--landing", str(settings.landing), "--warehouse", str(settings.warehouse),
            "--published", str(settings.published), "--outbox", str(settings.outbox),
            "--accounts", str(settings.accounts)]


@pytest.fixture
def medsos_paths(monkeypatch, loaded):
    settings, _ = loaded
    monkeypatch.setenv("MEDSOS_WORK", str(settings.work))
    monkeypatch.setenv("MEDSOS_GX_DIR", str(settings.gx_dir))
    return settings


def differences(a: Path, b: Path) -> dict[str, int]:
    """Rows that differ per table of core and marts (run ids and load times aside)."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as a (read_only)", [str(a)])
        con.execute("attach ? as b (read_only)", [str(b)])

        def tables(db: str) -> set[str]:
            return {f"{s}.{t}" for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = ? "
                "and schema_name in ('core', 'marts')", [db]).fetchall()}

        names = tables("a")
        assert names == tables("b") and len(names) > 10
        out = {}
        for name in sorted(names):
            schema, table = name.split(".")
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'a' and schema_name = ? "
                "and table_name = ? order by column_index", [schema, table]).fetchall() if c not in RUN_COLUMNS]
            listed = ", ".join(f'"{c}"' for c in columns)
            (n,) = con.sql(f"select count(*) from ((select {listed} from a.{name} except all select {listed} from b.{name})"
                           f" union all (select {listed} from b.{name} except all select {listed} from a.{name}))"
                           ).fetchall()[0]
            if n:
                out[name] = n
        return out
    finally:
        con.close()


def count(path: Path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_a_warehouse_deleted_mid_week_is_rebuilt_with_the_same_tables(medsos_paths, loaded, capsys):
    settings, before = loaded
    landing_before = snapshot(settings.landing)
    settings.warehouse.unlink()
    assert main(["rebuild", "--yes", *flags(settings)]) == 0
    out = capsys.readouterr()
    assert f"for {WEEKS[0]} … {WEEKS[-1]} into a new warehouse" in out.err  # what it touches, named first
    tables = len(count(before, "select 1 from duckdb_tables() where schema_name in ('core', 'marts')"))
    assert (f"all {tables} tables equal those of the published copy (the warehouse file is gone)"
            in out.out), out.out
    assert differences(before, settings.warehouse) == {}
    # the rebuilt warehouse is published, reports the same week, and left the landing zone as it was
    assert differences(before, settings.published) == {}
    assert count(settings.warehouse, "select built_through_week from meta.last_build") == [(WEEKS[-1],)]
    assert snapshot(settings.landing) == landing_before
    assert not list(settings.warehouse.parent.glob(".medsos.duckdb.rebuild-*"))
    # and the week goes on from there
    run_week(settings, MID_WEEK, send=False)
    assert count(settings.published, f"select count(*) > 0 from marts.weekly_cadence where iso_week = '{MID_WEEK}'"
                 " and data_status = 'reported'") == [(True,)]


def test_a_damaged_warehouse_is_kept_aside_and_rebuilt(medsos_paths, loaded, capsys):
    settings, before = loaded
    damaged = b"not a DuckDB file any more " * 1000
    settings.warehouse.write_bytes(damaged)
    assert main(["rebuild", "--yes", *flags(settings)]) == 0
    out = capsys.readouterr().out
    assert "the warehouse could not be read" in out and "tables equal those of the published copy" in out, out
    [kept] = settings.warehouse.parent.glob("medsos.duckdb.replaced-*")
    assert kept.read_bytes() == damaged and f"the old warehouse is kept as {kept}" in out
    assert differences(before, settings.warehouse) == {}


def test_a_rebuild_says_which_tables_differ_because_the_landing_zone_changed(medsos_paths, loaded, capsys):
    settings, before = loaded
    # what only the warehouse knew: a summary already sent
    con = duckdb.connect(str(settings.warehouse))
    con.execute("""insert into raw.email_log values ('2024-W07', '35', 'humas@kpu-jatim.example.org', 'Ringkasan',
                   '<m1@example.org>', 'sent', 1, null, 'r1', now())""")
    con.close()
    # an office withdrew an export of the last week since the tables were built
    withdrawn = next((settings.landing / WEEKS[-1] / "35.25").glob("*.csv"))
    withdrawn.unlink()
    assert main(["rebuild", "--yes", *flags(settings)]) == 0
    out = capsys.readouterr().out
    rel = withdrawn.relative_to(settings.landing).as_posix()
    assert "compared with the warehouse it replaces: " in out and "rows differ" in out, out
    assert f"1 file(s) new, changed or gone ({rel})" in out, out
    assert "raw.email_log (1)" in out
    assert count(settings.warehouse, "select recipient from raw.email_log") == [("humas@kpu-jatim.example.org",)]
    [kept] = settings.warehouse.parent.glob("medsos.duckdb.replaced-*")
    assert differences(before, kept) == {}  # the old file, untouched
    assert count(settings.warehouse, f"select count(*) from raw.files where relative_path = '{rel}'") == [(0,)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_commands_that_rewrite_data_name_it_and_refuse_without_yes(medsos_paths, loaded, capsys):
    settings, _ = loaded
    warehouse = sha(settings.warehouse)
    for argv in (["rebuild"], ["run", "--week", WEEKS[-1], "--reprocess"],
                 ["backfill", "--from", WEEKS[0], "--to", WEEKS[-1], "--reprocess"]):
        assert main([*argv, *flags(settings)]) == EXIT_REFUSED, argv
        err = capsys.readouterr().err
        assert str(settings.warehouse) in err and str(settings.landing) in err, err
        assert err.rstrip().endswith("refused: nothing was changed; add --yes to go ahead"), err
        assert sha(settings.warehouse) == warehouse
    assert not list(settings.warehouse.parent.glob(".medsos.duckdb.rebuild-*"))
    assert main(["run", "--week", WEEKS[-1], "--reprocess", "--yes", *flags(settings)]) == 0


def test_sample_and_national_never_write_over_an_offices_exports(medsos_paths, loaded, tmp_path, capsys):
    settings, _ = loaded
    before = snapshot(settings.landing)
    code = main(["sample", "--from", WEEKS[0], "--to", WEEKS[0], "--landing", str(settings.landing)])
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED and "which this sample would not write" in err, err
    assert snapshot(settings.landing) == before
    # an empty landing zone takes the sample, and the same sample again changes nothing
    empty = tmp_path / "sample"
    for _ in range(2):
        assert main(["sample", "--from", WEEKS[0], "--to", WEEKS[0], "--landing", str(empty)]) == 0
    assert len(snapshot(empty)) > 150
    # the national generator writes into its own folder only
    code = main(["national", "--out", str(settings.landing), "--weeks", "1", "--office", "35.06"])
    assert code == EXIT_REFUSED and "was not made by medsos national" in capsys.readouterr().err
    assert snapshot(settings.landing) == before
    out = tmp_path / "national"
    for _ in range(2):
        assert main(["national", "--out", str(out), "--weeks", "1", "--office", "35.06"]) == 0
    assert os.path.isfile(out / ".medsos-national")
