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
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "GX_ANALYTICS_ENABLED": "false",
    }


def migrate() -> None:
    """``airflow db migrate`` in a child process (about 5 s on SQLite), and the one-slot
    pool every warehouse task runs in, as the production init service creates it."""
    for command in (["db", "migrate"],
                    ["pools", "set", "medsos_warehouse", "1", "DuckDB warehouse: one writer at a time"]):
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
