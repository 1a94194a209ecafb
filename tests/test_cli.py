"""The medsos command: messages a user can act on and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medsos.cli import EXIT_USAGE, main


def test_bad_week_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--week", "2024-7"])
    assert exit_.value.code == 2
    assert "2024-W07" in capsys.readouterr().err


def test_query_before_any_run_says_what_to_do(settings, capsys):
    code = main(["query", "select 1", "--warehouse", str(settings.warehouse), "--published", str(settings.published)])
    assert code == EXIT_USAGE
    assert "medsos run --week" in capsys.readouterr().err


def test_sample_run_and_query_from_the_console_script(settings, tmp_path):
    medsos = [sys.executable, "-m", "medsos.cli"]
    flags = [
        "--landing", str(settings.landing), "--warehouse", str(settings.warehouse),
        "--published", str(settings.published), "--outbox", str(settings.outbox),
    ]
    subprocess.run([*medsos, "sample", "--from", "2024-W07", "--to", "2024-W07", "--landing", str(settings.landing)], check=True)
    # Airflow's own default level: the run reaches Airflow (SMTP connection), whose
    # logging must not land in the command's output
    env_work = {"MEDSOS_WORK": str(tmp_path / "work"), "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}
    import os

    out = subprocess.run([*medsos, "run", "--week", "2024-W07", *flags], check=True, capture_output=True, text=True, env=os.environ | env_work)
    assert "rows:" in out.stdout and "0 quarantined" in out.stdout
    assert all(line.startswith(("week ", "  ")) for line in out.stdout.splitlines()), out.stdout
    # Airflow that cannot start (a bad setting) costs the email, not the run
    out = subprocess.run([*medsos, "run", "--week", "2024-W07", *flags], capture_output=True, text=True,
                         env=os.environ | env_work | {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "nosuchdb://"})
    assert out.returncode == 0, out.stderr
    assert all(line.startswith(("week ", "  ")) for line in out.stdout.splitlines()), out.stdout
    assert "summaries are in the outbox only" in out.stdout and "Airflow could not be loaded" in out.stderr
    out = subprocess.run(
        [*medsos, "query", "select count(*) as n from marts.weekly_cadence where iso_week = '2024-W07'", "--format", "csv", *flags],
        check=True, capture_output=True, text=True,
    )
    assert out.stdout.startswith("\ufeff")  # for Excel
    assert out.stdout.removeprefix("\ufeff").splitlines() == ["n", "194"]
    bad = subprocess.run([*medsos, "query", "select * from no_such_table", *flags], capture_output=True, text=True)
    assert bad.returncode == 1 and "no_such_table" in bad.stderr


def test_backfill_reports_progress_and_a_summary(settings, tmp_path):
    import os

    medsos = [sys.executable, "-m", "medsos.cli"]
    flags = [
        "--landing", str(settings.landing), "--warehouse", str(settings.warehouse),
        "--published", str(settings.published), "--outbox", str(settings.outbox),
    ]
    subprocess.run([*medsos, "sample", "--from", "2024-W06", "--to", "2024-W07", "--landing", str(settings.landing)], check=True)
    out = subprocess.run([*medsos, "backfill", "--from", "2024-W06", "--to", "2024-W07", *flags], check=True,
                         capture_output=True, text=True, env=os.environ | {"MEDSOS_WORK": str(tmp_path / "w"),
                                                                          "MEDSOS_GX_DIR": str(tmp_path / "gx")})
    lines = out.stdout.splitlines()
    assert lines[0].startswith("[###############...............] 1/2 weeks (2024-W06) | 194 files | ")
    assert lines[1].startswith("[##############################] 2/2 weeks (2024-W07) | 388 files | ")
    assert "rows/s | about " in lines[0]
    assert lines[-1].startswith("backfill 2024-W06 … 2024-W07: 2 weeks, 388 files (0 rejected)")

    # the same weeks run one by one, as the DAG does, give the same tables
    from dataclasses import replace

    import duckdb

    from medsos.pipeline import run_week

    weekly = replace(settings, warehouse=tmp_path / "weekly.duckdb", published=tmp_path / "weekly_pub.duckdb",
                     work=tmp_path / "w2", outbox=tmp_path / "o2")
    for week in ("2024-W06", "2024-W07"):
        run_week(weekly, week, send=False)
    tables = ("marts.weekly_cadence", "marts.weekly_engagement", "marts.province_weekly", "marts.office_rolling")
    results = []
    for path in (settings.published, weekly.published):
        con = duckdb.connect(str(path), read_only=True)
        results.append({t: con.sql(f"select * from {t} order by all").fetchall() for t in tables})
        con.close()
    assert results[0] == results[1]
