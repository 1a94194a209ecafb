"""``medsos demo`` works only in a folder of its own and never deletes what it did not make.

A folder of real data (an office's export in ``landing/2025-W10/35.06/``, the warehouse
it loaded into, the published copy, the outbox, work and GX folders) must survive byte
for byte whatever points at it: ``MEDSOS_DATA_DIR``, each ``MEDSOS_*`` path, ``--dir``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from instagram_exports import IG_HEADER, drop, ig_row

from medsos import demo
from medsos.cli import EXIT_REFUSED, main
from medsos.config import project_dir
from medsos.pipeline import run_week

DEMO_WEEK = "2024-W07"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder``: a file by its SHA-256."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            out[os.path.relpath(os.path.join(root, name), folder)] = "folder"
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def real_data(tmp_path_factory, settings_for):
    """An office's real week, loaded: every path a MEDSOS_* variable can name holds data."""
    root = tmp_path_factory.mktemp("real") / "data"
    accounts = root.parent / "accounts.csv"
    accounts.write_text("office_code,platform,handle\n35.06,instagram,kpu_kabkediri\n", encoding="utf-8")
    settings = replace(settings_for(root), accounts=accounts)
    drop(settings.landing, "2025-W10", "35.06", "Mar-01-2025_Mar-09-2025_1234567890123456.csv",
         IG_HEADER + ig_row("11", "03/04/2025 09:00") + ig_row("12", "03/06/2025 10:00"))
    run_week(settings, "2025-W10", send=False)
    (settings.work / "kept").mkdir(parents=True, exist_ok=True)
    (settings.work / "kept" / "files.json").write_text("{}", encoding="utf-8")
    paths = {
        "MEDSOS_DATA_DIR": root, "MEDSOS_LANDING": settings.landing, "MEDSOS_WAREHOUSE": settings.warehouse,
        "MEDSOS_PUBLISHED": settings.published, "MEDSOS_OUTBOX": settings.outbox, "MEDSOS_WORK": settings.work,
        "MEDSOS_GX_DIR": settings.gx_dir,
    }
    for path in paths.values():
        assert path.is_file() or any(path.iterdir()), path
    before = snapshot(root)
    assert "landing/2025-W10/35.06/Mar-01-2025_Mar-09-2025_1234567890123456.csv" in before
    return root, paths, before


@pytest.fixture
def no_medsos_paths(monkeypatch):
    for name in demo.PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def refused(capsys, argv: list[str]) -> str:
    """Run the command; it must refuse with exit code 4 and one line on stderr."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED, err
    assert err.startswith("medsos demo: refused: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("variable", demo.PATH_VARIABLES)
def test_the_demo_never_touches_what_a_medsos_variable_points_at(real_data, variable, no_medsos_paths, tmp_path,
                                                                 monkeypatch, capsys):
    root, paths, before = real_data
    monkeypatch.setenv(variable, str(paths[variable]))
    folder = tmp_path / "demo"
    err = refused(capsys, ["demo", "--dir", str(folder)])
    assert f"{variable}={paths[variable]} points outside the demo folder" in err
    assert snapshot(root) == before
    assert not folder.exists()


def test_the_demo_in_the_containers_refuses_before_it_writes_anything(real_data, no_medsos_paths, monkeypatch,
                                                                      capsys):
    # inside the containers every MEDSOS_* path names the production data
    root, paths, before = real_data
    for name, path in paths.items():
        monkeypatch.setenv(name, str(path))
    checkout_data = project_dir() / "data"
    checkout_before = snapshot(checkout_data) if checkout_data.exists() else None
    refused(capsys, ["demo"])
    assert snapshot(root) == before
    assert (snapshot(checkout_data) if checkout_data.exists() else None) == checkout_before
    # a production deployment refuses whatever the paths
    for name in paths:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MEDSOS_DEPLOYMENT", "production")
    assert "production deployment" in refused(capsys, ["demo", "--dir", str(root.parent / "elsewhere")])
    assert not (root.parent / "elsewhere").exists()


@pytest.mark.parametrize("target", ["data folder", "landing zone", "office folder"])
def test_the_demo_refuses_a_folder_it_did_not_make(real_data, target, no_medsos_paths, capsys):
    root, paths, before = real_data
    folder = {"data folder": root, "landing zone": paths["MEDSOS_LANDING"],
              "office folder": paths["MEDSOS_LANDING"] / "2025-W10" / "35.06"}[target]
    err = refused(capsys, ["demo", "--dir", str(folder)])
    assert "holds files medsos demo did not write" in err and "no demo mark" in err
    assert snapshot(root) == before


@pytest.fixture
def demo_folder(tmp_path, no_medsos_paths):
    """A folder a demo made: its sample exports and its marked warehouse (no Airflow run)."""
    folder = tmp_path / "demo"
    demo.prepare(folder, DEMO_WEEK, DEMO_WEEK)
    return folder


def test_a_second_demo_replaces_what_the_first_one_made(demo_folder, capsys):
    first = snapshot(demo_folder / "landing")
    assert len(first) > 150
    capsys.readouterr()
    demo.prepare(demo_folder, DEMO_WEEK, DEMO_WEEK)
    out = capsys.readouterr().out
    assert f"demo: replacing the data an earlier demo left in {demo_folder}: landing, medsos.duckdb" in out
    assert snapshot(demo_folder / "landing") == first  # the same sample, written again


def test_an_export_dropped_into_the_demos_landing_zone_is_never_deleted(real_data, demo_folder, capsys):
    root, paths, _ = real_data
    export = next(paths["MEDSOS_LANDING"].rglob("*.csv"))
    office = demo_folder / "landing" / "2025-W10" / "35.06"
    office.mkdir(parents=True)
    dropped = office / export.name
    shutil.copy2(export, dropped)
    before = snapshot(demo_folder)
    err = refused(capsys, ["demo", "--dir", str(demo_folder)])
    assert f"{dropped} is not a file medsos demo wrote" in err
    assert snapshot(demo_folder) == before


def test_a_changed_sample_file_is_no_longer_the_demos(demo_folder, capsys):
    sample = next((demo_folder / "landing").rglob("*.csv"))
    sample.write_bytes(sample.read_bytes() + b"\n")
    before = snapshot(demo_folder)
    assert "is not a file medsos demo wrote (or it changed since)" in refused(capsys, ["demo", "--dir", str(demo_folder)])
    assert snapshot(demo_folder) == before


@pytest.mark.parametrize("which", ["medsos.duckdb", "published/medsos.duckdb"])
def test_a_warehouse_without_the_demo_mark_is_never_deleted(real_data, demo_folder, which, capsys):
    _, paths, _ = real_data
    real = paths["MEDSOS_WAREHOUSE"]
    target = demo_folder / which
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real, target)
    before = snapshot(demo_folder)
    err = refused(capsys, ["demo", "--dir", str(demo_folder)])
    assert f"{target} has no demo mark (meta.medsos_demo)" in err
    assert snapshot(demo_folder) == before
    con = duckdb.connect(str(target), read_only=True)
    try:
        assert con.sql("select count(*) from raw.files").fetchall() == [(1,)]
    finally:
        con.close()


def test_what_else_lies_in_a_demo_folder_is_left_alone(demo_folder):
    notes = demo_folder / "catatan.txt"
    notes.write_text("punya saya", encoding="utf-8")
    demo.prepare(demo_folder, DEMO_WEEK, DEMO_WEEK)
    assert notes.read_text(encoding="utf-8") == "punya saya"


@pytest.mark.slow
def test_the_demo_runs_the_dag_in_its_own_folder_twice(tmp_path):
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDSOS_", "AIRFLOW"))}
    command = [sys.executable, "-m", "medsos.cli", "demo", "--dir", str(folder), "--from", DEMO_WEEK, "--to", DEMO_WEEK]
    for attempt in range(2):
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        assert out.returncode == 0, out.stderr[-3000:]
        assert f"medsos_weekly {DEMO_WEEK}: " in out.stdout and "success" in out.stdout
        assert ("replacing the data an earlier demo left" in out.stdout) == (attempt == 1)
    for db in (folder / "medsos.duckdb", folder / "published" / "medsos.duckdb"):
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.sql("select made_by from meta.medsos_demo").fetchall() == [("medsos demo",)]
            assert con.sql("select count(*) > 150 from raw.files").fetchall() == [(True,)]
        finally:
            con.close()
    assert list((folder / "outbox" / DEMO_WEEK).glob("ringkasan_35_*.eml"))
