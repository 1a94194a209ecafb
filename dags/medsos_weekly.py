"""
### medsos_weekly — weekly evaluation of KPU offices' social-media accounts

Every Monday 06:00 WIB this DAG evaluates the ISO week (Monday–Sunday) that ended the
night before:

0. **check_setup** — fail at once, naming what is missing: the pool, the landing
   folder, the account registry, the recipients, the evaluation settings (a production
   deployment never falls back to the samples).
1. **find_new_files** — list exports in `<landing>/<YYYY-Www>/<office_code>/` for that
   week and earlier ones that are new or changed (late exports fill their week in; an
   office folder older than `MEDSOS_LATE_WEEKS` is listed only when it changed).
2. **parse_files** — recognise each file's platform from its headers and normalise it.
3. **validate_batch** — Great Expectations suite `expectations/post_snapshots.json` on
   the whole batch; failing rows go to quarantine, good rows go on.
4. **load_batch** — one DuckDB transaction; re-runs replace, never duplicate.
5. **build_tables** — rebuild `core.*` and `marts.*` from `sql/` (per-post tables only
   for the posts whose files changed).
6. **publish_copy** — refresh the read-only copy staff query.
7. **render_summaries** — weekly emails per province and for KPU RI into the outbox.
8. **send_summary** — mapped, one per summary: deliver it through the `smtp_default`
   connection, once per recipient (send log `raw.email_log`); without the connection the
   summaries stay in the outbox.

Tasks touching the DuckDB file share the one-slot pool `medsos_warehouse`; one run at a
time. Trigger with `{"week": "2024-W07"}` to (re-)evaluate a given week;
`{"reprocess": true}` loads every file again; `{"resend": true}` sends the summaries again. Backfill past weeks with
`airflow backfill create --dag-id medsos_weekly --from-date … --to-date …`.
All work is done by the `medsos` package (plugins/medsos); this file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

WAREHOUSE_POOL = "medsos_warehouse"


def _settings():
    from medsos.config import Settings

    return Settings.from_env()


@dag(
    dag_id="medsos_weekly",
    schedule=CronTriggerTimetable("0 6 * * 1", timezone="Asia/Jakarta"),
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "medsos", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["medsos", "weekly", "kpu"],
    doc_md=__doc__,
    params={
        "week": Param(
            "",
            type="string",
            description="ISO week to evaluate, e.g. 2024-W07. Empty: the week that just ended.",
        ),
        "reprocess": Param(False, type="boolean", description="Load every file again."),
        "resend": Param(False, type="boolean", description="Send the summaries again."),
    },
)
def medsos_weekly():
    @task(retries=0)
    def check_setup() -> None:
        """Fail at once, naming what is missing (pool, landing folder, registry,
        recipients, evaluation settings), rather than let the run wait or use samples."""
        from medsos.deployment import check_before_run

        check_before_run()

    @task(pool=WAREHOUSE_POOL)
    def find_new_files() -> dict:
        """Which exports are new or changed since the last run."""
        from medsos import weeks
        from medsos.pipeline import find_new_files as find

        ctx = get_current_context()
        week = ctx["params"].get("week") or weeks.week_that_ended_before(
            ctx.get("logical_date") or ctx["dag_run"].run_after
        )
        batch = find(
            _settings(), week, ctx["run_id"], reprocess=bool(ctx["params"].get("reprocess"))
        )
        return batch.to_dict()

    @task
    def parse_files(batch: dict) -> dict:
        """Recognise and normalise each file; unreadable files are rejected with a reason."""
        import os

        from medsos.pipeline import Batch
        from medsos.pipeline import parse_files as parse

        # one worker process per core for a big batch (a national week)
        parse(_settings(), Batch.from_dict(batch), workers=os.cpu_count())
        return batch

    @task
    def validate_batch(batch: dict) -> dict:
        """Great Expectations on the week's batch in one call."""
        from medsos.pipeline import Batch
        from medsos.pipeline import validate_batch as validate

        validate(_settings(), Batch.from_dict(batch))
        return batch

    @task(pool=WAREHOUSE_POOL)
    def load_batch(batch: dict) -> dict:
        """One transaction into the raw layer of the warehouse."""
        from medsos.pipeline import Batch
        from medsos.pipeline import load_batch as load

        return {"batch": batch, "counts": load(_settings(), Batch.from_dict(batch))}

    @task(pool=WAREHOUSE_POOL)
    def build_tables(loaded: dict) -> str:
        """Rebuild core and marts tables from sql/."""
        from medsos.pipeline import build_tables as build

        build(_settings(), loaded["batch"]["week"], loaded["batch"]["run_id"])
        return loaded["batch"]["week"]

    @task(pool=WAREHOUSE_POOL)
    def publish_copy(week: str) -> str:
        """Replace the read-only copy for staff."""
        from medsos.pipeline import publish_copy as publish

        publish(_settings())
        return week

    @task
    def render_summaries(week: str) -> list[dict]:
        """Weekly emails per province and for KPU RI, written to the outbox."""
        from medsos.pipeline import render_summaries as render

        return [{"week": week, "eml": path} for path in render(_settings(), week)]

    @task(pool=WAREHOUSE_POOL, max_active_tis_per_dagrun=1)
    def send_summary(summary: dict) -> dict:
        """Send one summary (mapped: one task per province and one for KPU RI) through
        smtp_default, once per recipient."""
        from medsos.pipeline import send_summaries as send

        ctx = get_current_context()
        return send(
            _settings(),
            summary["week"],
            ctx["run_id"],
            resend=bool(ctx["params"].get("resend")),
            only=[summary["eml"]],
        )

    batch = find_new_files()
    check_setup() >> batch
    summaries = render_summaries(
        publish_copy(build_tables(load_batch(validate_batch(parse_files(batch)))))
    )
    send_summary.expand(summary=summaries)


medsos_weekly()
