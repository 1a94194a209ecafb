"""A deployment that lacks something fails at once, naming it; production never runs on
the packaged samples; the recipients file is checked row by row."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from medsos import airflow_local
from medsos.config import Settings
from medsos.deployment import SetupError, check_recipients, check_setup, pool_exists


def test_production_refuses_the_sample_registry_and_recipients(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDSOS_DEPLOYMENT", "production")
    monkeypatch.delenv("MEDSOS_ACCOUNTS", raising=False)
    monkeypatch.delenv("MEDSOS_RECIPIENTS", raising=False)
    with pytest.raises(ValueError, match="MEDSOS_ACCOUNTS is not set.*MEDSOS_RECIPIENTS is not set"):
        Settings.from_env()
    monkeypatch.setenv("MEDSOS_ACCOUNTS", str(tmp_path / "accounts.csv"))
    with pytest.raises(ValueError) as err:
        Settings.from_env()
    assert "MEDSOS_RECIPIENTS is not set" in str(err.value) and "MEDSOS_ACCOUNTS" not in str(err.value)
    # a flag on the command line names the file as well as the variable does
    assert Settings.from_env(recipients=tmp_path / "r.csv").recipients == tmp_path / "r.csv"
    monkeypatch.delenv("MEDSOS_DEPLOYMENT")
    assert Settings.from_env().recipients.name == "recipients_sample.csv"  # a local try-out keeps the sample


def test_recipients_are_checked_row_by_row(tmp_path):
    path = tmp_path / "recipients.csv"
    path.write_text(
        "office_code,email,name\n"
        "00,humas@kpu.go.id,Humas KPU RI\n"
        "35,humas-jatim@kpu,Humas Jatim\n"  # no top-level domain
        "99,humas@kpu.go.id,?\n"  # no such office
        "\n"
        "35,\"a@kpu.go.id, b@kpu.go.id\",two in one cell\n",
        encoding="utf-8",
    )
    report = check_recipients(path, {"00", "35", "36"})
    assert report.problems == [
        f"{path}: row 3, column 'email': 'humas-jatim@kpu' is not an email address",
        f"{path}: row 4, column 'office_code': '99' is no KPU office",
        f"{path}: row 6, column 'email': 'a@kpu.go.id, b@kpu.go.id' is not an email address",
    ]
    # offices that get a summary but nobody to read it: named, as a warning
    assert [w.split(": ", 1)[1].split(";")[0] for w in report.warnings] == [
        "no recipient for KPU Provinsi Jawa Timur (35)", "no recipient for KPU Provinsi Banten (36)"]


def test_check_setup_names_every_missing_part(settings, monkeypatch):
    monkeypatch.setenv("MEDSOS_DEPLOYMENT", "production")
    s = replace(settings, accounts=settings.landing.parent / "config" / "accounts.csv",
                recipients=settings.landing.parent / "config" / "recipients.csv",
                evaluation=settings.landing.parent / "config" / "evaluation.toml")
    monkeypatch.setenv("MEDSOS_ACCOUNTS", str(s.accounts))
    monkeypatch.setenv("MEDSOS_RECIPIENTS", str(s.recipients))
    report = check_setup(s, check_pool=False)
    text = "\n".join(report.problems)
    for words in ("landing folder", "MEDSOS_LANDING", "account registry", "MEDSOS_ACCOUNTS",
                  "recipients file", "MEDSOS_RECIPIENTS", "evaluation settings", "MEDSOS_EVALUATION"):
        assert words in text, words
    with pytest.raises(SetupError, match="the run cannot start"):
        report.raise_if_problems()
    # the same folder, filled in: nothing to report
    s.landing.mkdir(parents=True)
    s.accounts.parent.mkdir(parents=True)
    s.accounts.write_text("office_code,platform,handle\n35.06,instagram,kpu_kabkediri\n", encoding="utf-8")
    s.recipients.write_text("office_code,email\n00,humas@kpu.go.id\n35,humas@jatim.kpu.go.id\n", encoding="utf-8")
    s.evaluation.write_bytes(Settings.from_env(recipients=s.recipients).evaluation.read_bytes())
    report = check_setup(s, check_pool=False)
    assert (report.problems, report.warnings) == ([], [])


def test_a_missing_pool_is_found_and_created_when_a_component_starts(tmp_path):
    url = f"sqlite:///{tmp_path / 'airflow.db'}"
    env = os.environ | airflow_local.environment(tmp_path) | {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url}
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    assert pool_exists(url=url) is False  # what check_setup reports under dag.test
    # a task process sees no database at all: it cannot tell
    assert pool_exists(url="airflow-db-not-allowed:///") is None
    # a component that starts a job (here a triggerer's) loads the medsos plugin, whose
    # listener creates the missing pool with one slot
    out = subprocess.run([sys.executable, "-c", "from airflow.jobs.job import Job; Job(job_type='TriggererJob')"],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert pool_exists(url=url) is True
    assert "created the missing pool medsos_warehouse" in out.stdout + out.stderr
    slots = subprocess.run([*airflow, "pools", "get", "medsos_warehouse", "--output", "json"], env=env,
                           capture_output=True, text=True, check=True).stdout
    assert '"slots": "1"' in slots or '"slots": 1' in slots, slots


@pytest.mark.slow
def test_the_weekly_dag_stops_at_its_first_task_without_recipients(airflow_db, medsos_env, monkeypatch):
    monkeypatch.setenv("MEDSOS_DEPLOYMENT", "production")
    monkeypatch.delenv("MEDSOS_RECIPIENTS")
    medsos_env.landing.mkdir(parents=True, exist_ok=True)
    dag = airflow_local.load_dag()
    run = airflow_local.run_dag_for_week(dag, "2024-W07")
    assert "failed" in str(run.state)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "failed" in states["check_setup"]
    assert "upstream_failed" in states["find_new_files"]
    assert not medsos_env.warehouse.exists()  # nothing ran against the samples
