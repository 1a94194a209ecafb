"""DAG integrity: imports cleanly, tags and retries set, warehouse tasks serialised,
nothing read and no network touched at parse time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from medsos.config import project_dir

DAGS = project_dir() / "dags"
WAREHOUSE_TASKS = {"find_new_files", "load_batch", "build_tables", "publish_copy", "send_summary"}


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert {"medsos_weekly", "medsos_pull"} <= set(dag_bag.dag_ids)


def test_pull_dag_maps_per_platform_and_loads_through_the_pool(dag_bag):
    dag = dag_bag.dags["medsos_pull"]
    order = ["check_setup", "plan_pulls", "pull_platform", "load_pulls", "check_pulls"]
    for a, b in zip(order, order[1:], strict=False):
        assert b in dag.get_task(a).downstream_task_ids
    pull = dag.get_task("pull_platform")
    # mapped over the platforms (at most five), never offices x platforms (over 1024)
    assert type(pull).__name__.endswith("MappedOperator")
    assert pull.max_active_tis_per_dagrun == 2
    assert dag.get_task("load_pulls").pool == "medsos_warehouse"
    assert dag.get_task("load_pulls").trigger_rule == "all_done"  # loads what was pulled when others failed
    assert dag.timetable.expression == "0 1 * * *" and "Asia/Jakarta" in str(dag.timetable.timezone)
    assert dag.max_active_runs == 1 and dag.catchup is False


def test_every_dag_has_tags_retries_and_docs(dag_bag):
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.default_args.get("retries", 0) >= 2, f"{dag_id} retries < 2"
        assert dag.doc_md and dag_id in dag.doc_md
        for t in dag.tasks:
            if t.task_id == "check_setup":  # a missing pool or file stays missing: fail at once
                assert t.retries == 0 and t.pool in (None, "default_pool"), t.pool
                assert dag.get_task("check_setup").upstream_task_ids == set()
                continue
            assert t.retries >= 2, f"{dag_id}.{t.task_id} retries < 2"


def test_weekly_dag_shape(dag_bag):
    dag = dag_bag.dags["medsos_weekly"]
    order = [
        "check_setup", "find_new_files", "parse_files", "validate_batch", "load_batch",
        "build_tables", "publish_copy", "render_summaries", "send_summary",
    ]
    for a, b in zip(order, order[1:], strict=False):
        assert b in dag.get_task(a).downstream_task_ids
    for t in dag.tasks:
        if t.task_id in WAREHOUSE_TASKS:
            assert t.pool == "medsos_warehouse", t.task_id
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_schedule_is_monday_0600_jakarta(dag_bag):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    dag = dag_bag.dags["medsos_weekly"]
    tt = dag.timetable
    assert tt.expression == "0 6 * * 1"
    assert "Asia/Jakarta" in str(tt.timezone)
    from medsos.weeks import week_that_ended_before

    assert week_that_ended_before(datetime(2024, 2, 19, 6, tzinfo=ZoneInfo("Asia/Jakarta"))) == "2024-W07"
    # 23:30 UTC on Sunday is already Monday in Jakarta: the week that ended is still W07
    assert week_that_ended_before(datetime(2024, 2, 18, 23, 30, tzinfo=ZoneInfo("UTC"))) == "2024-W07"


PROBE = textwrap.dedent(
    """
    import json, sys, importlib.util
    opened, connects = [], []
    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            opened.append(args[0] if isinstance(args[0], str) else args[0].decode(errors="replace"))
        elif event in ("socket.connect", "socket.getaddrinfo"):
            connects.append(repr(args))
    sys.addaudithook(hook)
    spec = importlib.util.spec_from_file_location("medsos_weekly_probe", sys.argv[1])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    print(json.dumps({"opened": opened, "connects": connects, "modules": sorted(sys.modules)}))
    """
)


@pytest.mark.parametrize("dag_file", ["medsos_weekly.py", "medsos_pull.py"])
def test_parse_reads_no_data_and_opens_no_socket(tmp_path, dag_file):
    data = tmp_path / "data"
    (data / "landing" / "2024-W07" / "35.06").mkdir(parents=True)
    (data / "landing" / "2024-W07" / "35.06" / "export.csv").write_text("Post ID\n1\n")
    (data / "medsos.duckdb").write_bytes(b"")
    env = os.environ | {"MEDSOS_DATA_DIR": str(data)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAGS / dag_file)],
        capture_output=True, text=True, env=env, check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    project = str(project_dir())
    suspicious = [
        p for p in report["opened"]
        if p.startswith(str(data))
        or p.startswith(str(Path(project) / "sql"))
        or p.startswith(str(Path(project) / "expectations"))
        or p.endswith((".csv", ".xlsx", ".duckdb", ".parquet", ".toml"))
    ]
    assert suspicious == []
    assert report["connects"] == []
    heavy = {"duckdb", "great_expectations", "medsos.pipeline", "pandas", "openpyxl", "requests", "medsos.api"}
    assert heavy.isdisjoint(report["modules"])
