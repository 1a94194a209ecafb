"""A throw-away local Airflow (SQLite metadata) for the demo and the tests.

Airflow reads its configuration when first imported, so ``prepare`` must run before
anything imports ``airflow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from medsos import weeks
from medsos.config import project_dir


def prepare(home: Path) -> dict[str, str]:
    """Point this process's Airflow at ``home`` (see ``environment``)."""
    env = environment(home)
    os.environ.update(env)
    return env


def environment(home: Path) -> dict[str, str]:
    """Variables for an Airflow in ``home`` with SQLite, the project's dags/, no examples."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_dir() / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project_dir() / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
            "AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"
        ),
        "GX_ANALYTICS_ENABLED": "false",
    }


def migrate() -> None:
    """``airflow db migrate`` in a child process (about 5 s on SQLite), and the one-slot
    pool every warehouse task runs in, as the production init service creates it."""
    for command in (
        ["db", "migrate"],
        ["pools", "set", "medsos_warehouse", "1", "DuckDB warehouse: one writer at a time"],
    ):
        subprocess.run(
            [sys.executable, "-m", "airflow", *command],
            check=True,
            stdout=subprocess.DEVNULL,
            env=os.environ.copy(),
        )


def logical_date_for(week: str) -> datetime:
    """The scheduled run that evaluates ``week``: the Monday 06:00 WIB after it."""
    monday = weeks.week_end(week) + timedelta(days=1)
    return datetime.combine(monday, time(6, 0), tzinfo=ZoneInfo("Asia/Jakarta"))


def load_dag(dag_id: str = "medsos_weekly"):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(project_dir() / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[dag_id]


def run_dag_for_week(dag, week: str, conf: dict | None = None):
    """``dag.test()`` for the scheduled run of ``week``; returns the DagRun."""
    return dag.test(logical_date=logical_date_for(week), run_conf=conf or {})


def standalone_environment(home: Path, port: int, medsos_env: dict[str, str]) -> dict[str, str]:
    """The environment of ``airflow standalone`` for the project's DAGs on this machine only:
    SQLite in ``home``, the UI and API on 127.0.0.1:``port``, no example DAGs, the venv's
    ``airflow`` first on PATH (standalone starts its components as ``airflow …``), and the
    medsos settings (``medsos_env``) every task reads."""
    env = dict(os.environ)
    env.update(environment(home))
    env.update(
        {
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
                "AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"
            ),
            **medsos_env,
        }
    )
    env.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def admin_password(home: Path) -> str | None:
    """The admin password ``airflow standalone`` generated, once it has."""
    import json

    path = home / "simple_auth_manager_passwords.json.generated"
    try:
        return json.loads(path.read_text()).get("admin")
    except (OSError, ValueError):
        return None


def serve(port: int = 8080) -> int:  # `make airflow`
    """The Airflow UI with the project's DAGs on embedded defaults (SQLite in ``.airflow/``
    of the checkout, the sample registry and the data paths of ``medsos demo``), until Ctrl-C."""
    import signal
    import threading
    import time as clock

    from medsos.config import Settings

    settings = Settings.from_env()
    # beside the venv, not in data/: the demo owns data/ and refuses a folder it did not make
    home = project_dir() / ".airflow"
    env = standalone_environment(home, port, settings.as_env())
    for command in (
        ["db", "migrate"],
        ["pools", "set", "medsos_warehouse", "1", "DuckDB warehouse: one writer at a time"],
    ):
        subprocess.run(
            [sys.executable, "-m", "airflow", *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow", "standalone"],
        env=env,
        cwd=project_dir(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )

    def announce() -> None:
        for _ in range(300):
            password = admin_password(home)
            if password:
                print(
                    f"Airflow UI: http://127.0.0.1:{port}  user admin, password {password}\n"
                    f"(metadata and logs in {home}; Ctrl-C stops it)",
                    flush=True,
                )
                return
            clock.sleep(1)

    threading.Thread(target=announce, daemon=True).start()

    def stop(signum, _frame) -> None:  # a `kill` or `timeout` stops Airflow too, not just this
        proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


if __name__ == "__main__":
    raise SystemExit(serve(int(os.environ.get("MEDSOS_AIRFLOW_PORT") or 8080)))
