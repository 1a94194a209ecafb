"""The real scheduler: `airflow standalone` on 127.0.0.1 with the project's DAGs. The
weekly DAG is triggered for a sample week through the REST API and must succeed and
leave the tables and the outbox behind (issue: not only `dags test`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from compose import call

from medsos import airflow_local
from medsos.config import project_dir
from medsos.sample import build_plan, write_sample

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"airflow standalone exited while waiting for {what}:\n{log.read_text()[-4000:]}")
        result = check()
        if result:
            return result
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def call_until_answered(method: str, url: str, token: str, body: dict, *, proc: subprocess.Popen, log: Path) -> dict:
    """The scheduler, DAG processor and API server share one SQLite file; a write that
    meets another's lock gets a 500 ("Database error") and succeeds when sent again."""
    answers: list[tuple[int, dict]] = []

    def answered():
        status, reply = call(method, url, token, body)
        answers.append((status, reply))
        if status in (200, 201):
            return reply or {"ok": True}
        if status == 409 and method == "POST":  # an earlier try was stored after all
            return body
        assert status in (0, 500, 502, 503), f"{method} {url}: {status} {reply}"
        return None

    try:
        return wait_for(f"{method} {url}", answered, 60, proc, log)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nlast answers: {answers[-3:]}") from None


def test_scheduler_runs_the_weekly_dag(tmp_path, settings_for):
    settings = settings_for(tmp_path / "data")
    write_sample(settings.landing, build_plan("2024-W07", "2024-W07"))
    home = tmp_path / "airflow"
    port = free_port()
    # the environment `make airflow` gives `airflow standalone`
    env = airflow_local.standalone_environment(home, port, settings.as_env())
    env.update({
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    })
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*airflow, "pools", "set", "medsos_warehouse", "1", "DuckDB writer"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    log = tmp_path / "standalone.log"
    proc = subprocess.Popen([*airflow, "standalone"], env=env, cwd=project_dir(), stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("the API server", lambda: call("GET", f"{base}/api/v2/version")[0] == 200, 240, proc, log)
        password = wait_for("the admin password", lambda: airflow_local.admin_password(home), 60, proc, log)
        status, body = call("POST", f"{base}/auth/token", body={"username": "admin", "password": password})
        assert status in (200, 201), body
        token = body["access_token"]
        wait_for("the DAG to be parsed", lambda: call("GET", f"{base}/api/v2/dags/medsos_weekly", token)[0] == 200, 180, proc, log)
        call_until_answered("PATCH", f"{base}/api/v2/dags/medsos_weekly", token, {"is_paused": False}, proc=proc, log=log)
        run = call_until_answered("POST", f"{base}/api/v2/dags/medsos_weekly/dagRuns", token,
                                  {"dag_run_id": "scheduler_test_2024-W07", "logical_date": "2024-02-19T06:00:00+07:00",
                                   "conf": {"week": "2024-W07"}},
                                  proc=proc, log=log)
        run_id = run["dag_run_id"]

        def finished():
            s, r = call("GET", f"{base}/api/v2/dags/medsos_weekly/dagRuns/{run_id}", token)
            return r.get("state") if s == 200 and r.get("state") in ("success", "failed") else None

        state = wait_for("the DAG run to finish", finished, 600, proc, log)
        if state != "success":
            _, tis = call("GET", f"{base}/api/v2/dags/medsos_weekly/dagRuns/{run_id}/taskInstances", token)
            pytest.fail(f"run {run_id} {state}: {[(t['task_id'], t['state']) for t in tis.get('task_instances', [])]}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        (n, missing) = con.execute(
            "select count(*), count(*) filter (where data_status = 'missing') from marts.weekly_cadence where iso_week = '2024-W07'"
        ).fetchall()[0]
    finally:
        con.close()
    assert (n, missing) == (194, 0)
    assert (settings.outbox / "2024-W07" / "ringkasan_35_2024-W07.eml").exists()
