"""The production topology of docker-compose.yaml, run for real without Docker: PostgreSQL
and Redis from Debian's packages, the init service's script, then the api-server,
scheduler, dag-processor, triggerer and a Celery worker, each as its own process with the
environment the compose file gives it (tests/compose.py). ``medsos_weekly`` is triggered
through the REST API and its tasks run on the Celery worker; the run must leave the tables,
the outbox and the emails behind.

The same topology without ``AIRFLOW__API_AUTH__JWT_SECRET`` must fail: each component then
signs and checks execution-API tokens with a secret of its own, and the worker's task is
refused. That proves the setting is what makes the topology work.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest
from compose import Postgres, Redis, Topology, call

from medsos.config import PACKAGE_DIR
from medsos.sample import build_plan, write_sample

pytestmark = pytest.mark.slow
WEEK = "2024-W07"


def wait_for(what: str, check, timeout: float, topology: Topology):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topology.alive()
        result = check()
        if result:
            return result
        time.sleep(2)
    logs = "\n".join(f"--- {n}\n{p.read_text()[-2500:]}" for n, p in topology.logs.items())
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


class Inbox:
    """The mail server the init service's smtp_default points at: who got which week."""

    def __init__(self):
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        import email

        week = str(email.message_from_bytes(envelope.content)["X-Medsos-Week"])
        self.received += [(week, rcpt) for rcpt in envelope.rcpt_tos]
        return "250 OK"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from aiosmtpd.controller import Controller
    from compose import free_port

    root = tmp_path_factory.mktemp("servers")
    postgres, redis = Postgres(root / "postgres"), Redis(root / "redis")
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    yield postgres, redis, smtp, inbox
    smtp.stop()
    redis.close()
    postgres.close()


def deployment(root: Path, servers, database: str, drop: tuple[str, ...] = ()) -> Topology:
    """Host folders and an .env as an operator would write them, and the topology on them."""
    postgres, redis, smtp, _ = servers
    for folder in ("landing", "published", "config"):
        (root / "host" / folder).mkdir(parents=True)
    write_sample(root / "host" / "landing", build_plan(WEEK, WEEK))
    config = root / "host" / "config"
    shutil.copy(PACKAGE_DIR / "data" / "accounts_jatim_sample.csv", config / "accounts.csv")
    shutil.copy(PACKAGE_DIR / "data" / "recipients_sample.csv", config / "recipients.csv")
    shutil.copy(PACKAGE_DIR / "evaluation.toml", config / "evaluation.toml")
    dotenv = {
        "POSTGRES_USER": "airflow", "POSTGRES_PASSWORD": "topology-test", "POSTGRES_DB": database,
        "AIRFLOW_FERNET_KEY": "kr8lQy0hQ0ZTbFt3cB8sDqVtq5o7Zr0mX4fG2uJc9aE=",
        "AIRFLOW_JWT_SECRET": "a-secret-every-component-shares-0123456789",
        "AIRFLOW_API_SECRET_KEY": "another-secret-0123456789",
        "AIRFLOW_ADMIN_PASSWORD": "admin-test-password",
        "MEDSOS_SMTP_URI": f"smtp://127.0.0.1:{smtp.port}?disable_ssl=true&disable_tls=true&from_email=medsos%40example.org",
        "MEDSOS_LANDING_DIR": str(root / "host" / "landing"),
        "MEDSOS_PUBLISHED_DIR": str(root / "host" / "published"),
        "MEDSOS_CONFIG_DIR": str(config),
    }
    postgres.create(database, dotenv["POSTGRES_USER"], dotenv["POSTGRES_PASSWORD"])
    return Topology(root, dotenv, postgres, redis, drop=drop)


def bring_up(topology: Topology) -> str:
    """The init script, then every component; returns an API token of the admin user."""
    topology.run_init()
    topology.start("airflow-apiserver")
    base = f"http://127.0.0.1:{topology.api_port}"
    wait_for("the API server", lambda: call("GET", f"{base}/api/v2/version")[0] == 200, 240, topology)
    for service in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"):
        topology.start(service)
    status, body = call("POST", f"{base}/auth/token",
                        body={"username": "admin", "password": topology.dotenv["AIRFLOW_ADMIN_PASSWORD"]})
    assert status in (200, 201), body
    token = body["access_token"]
    wait_for("medsos_weekly to be parsed",
             lambda: call("GET", f"{base}/api/v2/dags/medsos_weekly", token)[0] == 200, 240, topology)
    status, body = call("PATCH", f"{base}/api/v2/dags/medsos_weekly", token, {"is_paused": False})
    assert status == 200, body
    return token


def trigger(topology: Topology, token: str) -> str:
    base = f"http://127.0.0.1:{topology.api_port}"
    status, run = call("POST", f"{base}/api/v2/dags/medsos_weekly/dagRuns", token,
                       {"dag_run_id": f"topology_{WEEK}", "logical_date": "2024-02-19T06:00:00+07:00",
                        "conf": {"week": WEEK}})
    assert status in (200, 201), run
    return run["dag_run_id"]


def task_states(topology: Topology, token: str, run_id: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{topology.api_port}"
    _, body = call("GET", f"{base}/api/v2/dags/medsos_weekly/dagRuns/{run_id}/taskInstances", token)
    return {t["task_id"]: t["state"] for t in body.get("task_instances", [])}


def test_the_weekly_run_succeeds_on_the_celery_worker(tmp_path, servers):
    topology = deployment(tmp_path, servers, "airflow")
    try:
        token = bring_up(topology)
        run_id = trigger(topology, token)
        base = f"http://127.0.0.1:{topology.api_port}"

        def finished():
            status, run = call("GET", f"{base}/api/v2/dags/medsos_weekly/dagRuns/{run_id}", token)
            return run.get("state") if status == 200 and run.get("state") in ("success", "failed") else None

        state = wait_for("the DAG run to finish", finished, 900, topology)
        states = task_states(topology, token, run_id)
        assert state == "success", (states, topology.logs["airflow-worker"].read_text()[-4000:])
        # every task ran through Celery: the worker received each one
        worker_log = topology.logs["airflow-worker"].read_text()
        for task_id in ("check_setup", "find_new_files", "parse_files", "validate_batch", "load_batch",
                        "build_tables", "publish_copy", "render_summaries", "send_summary"):
            assert task_id in worker_log, f"{task_id} did not run on the Celery worker"
        print(f"\ncomponents: {sorted(topology.procs)}\ntask states: {states}\n"
              + "\n".join(line for line in worker_log.splitlines() if "check_setup" in line)[:2000])
    finally:
        topology.close()
    published = Path(topology.dotenv["MEDSOS_PUBLISHED_DIR"]) / "medsos.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        (rows, missing) = con.execute(
            "select count(*), count(*) filter (where data_status = 'missing') from marts.weekly_cadence "
            "where iso_week = ?", [WEEK]).fetchall()[0]
    finally:
        con.close()
    assert (rows, missing) == (194, 0)
    outbox = Path(topology.local("/data/outbox")) / WEEK
    assert (outbox / f"ringkasan_35_{WEEK}.eml").exists() and (outbox / f"ringkasan_00_{WEEK}.eml").exists()
    # (the scheduler also starts the run of the latest week once the DAG is unpaused)
    got = sorted(rcpt for week, rcpt in servers[3].received if week == WEEK)
    assert got == ["humas@kpu-jatim.example.org", "humas@kpu-ri.example.org"]


def test_without_the_shared_jwt_secret_no_task_runs(tmp_path, servers):
    topology = deployment(tmp_path, servers, "airflow_no_jwt", drop=("AIRFLOW__API_AUTH__JWT_SECRET",))
    try:
        token = bring_up(topology)
        run_id = trigger(topology, token)
        worker_log = topology.logs["airflow-worker"]

        def refused():
            text = worker_log.read_text()
            return "Signature verification failed" in text or "Invalid auth token" in text

        wait_for("the worker to be refused", refused, 600, topology)

        def first_task_done():
            state = task_states(topology, token, run_id).get("check_setup")
            return state if state in ("failed", "up_for_retry", "success") else None

        assert wait_for("check_setup to end", first_task_done, 300, topology) != "success"
        assert "success" not in [task_states(topology, token, run_id).get("find_new_files")]
    finally:
        topology.close()
    assert not (Path(topology.dotenv["MEDSOS_PUBLISHED_DIR"]) / "medsos.duckdb").exists()
