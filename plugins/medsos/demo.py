"""``make demo``: sample exports, then the real ``medsos_weekly`` DAG through Airflow
(``dag.test()`` on a temporary SQLite metadata database) for every sample week, then
the province's weekly posting-activity table."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from medsos.config import Settings


def run_demo(settings: Settings, first_week: str, last_week: str) -> int:
    from medsos import airflow_local, weeks
    from medsos.sample import build_plan, write_sample

    for path in (settings.landing, settings.outbox, settings.work, settings.gx_dir):
        if path.exists():
            shutil.rmtree(path)
    for path in (settings.warehouse, settings.published):
        path.unlink(missing_ok=True)
    plan = build_plan(first_week, last_week, accounts_path=settings.accounts)
    files = write_sample(settings.landing, plan)
    print(f"sample: {len(files)} export files, {len(plan.posts)} posts, weeks {first_week} … {last_week}")

    home = Path(tempfile.mkdtemp(prefix="medsos-airflow-"))
    try:
        airflow_local.prepare(home)
        # The DAG tasks read paths from the environment, exactly as in production.
        import os

        os.environ.update(settings.as_env())
        print(f"airflow: metadata database in {home} (SQLite)")
        airflow_local.migrate()
        dag = airflow_local.load_dag()
        for week in weeks.weeks_between(first_week, last_week):
            run = airflow_local.run_dag_for_week(dag, week)
            state = str(getattr(run, "state", run))
            print(f"medsos_weekly {week}: {state}")
            if "success" not in state:
                print("the DAG run failed; see the task logs above")
                return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)

    from medsos.warehouse import open_published

    con = open_published(settings)
    try:
        print("\nAktivitas posting KPU kabupaten/kota di Jawa Timur (marts.province_weekly, %):")
        con.sql(
            """
            pivot (
                select iso_week, platform, posting_activity_pct
                from marts.province_weekly where province_code = '35'
            )
            on platform in ('instagram', 'facebook', 'x', 'youtube', 'tiktok', 'all')
            using first(posting_activity_pct)
            order by iso_week
            """
        ).show(max_rows=60)
    finally:
        con.close()
    eml = sorted(settings.outbox.rglob("ringkasan_35_*.eml"))
    print(f"warehouse: {settings.warehouse}\npublished copy: {settings.published}")
    if eml:
        print(f"weekly email for Jawa Timur: {eml[-1]} (and .html beside it)")
    return 0
