"""
### medsos_pull — daily API pulls for offices that connected their accounts

Every day at 01:00 WIB this DAG pulls the accounts the registry marks `source = api`
(the others keep sending exports) for the week that just ended and the running one,
so the Monday 06:00 evaluation (`medsos_weekly`) finds last week complete:

1. **plan_pulls** — which platforms have API accounts (read from the registry at run
   time, never at parse time).
2. **pull_platform** — mapped **per platform** (at most five tasks, whatever the number
   of offices; two at a time). Inside, offices are pulled a few at a time with their own
   tokens from the Airflow connections `medsos_<platform>` / `medsos_<platform>_<office>`.
   Every response lands unchanged (secrets removed) as JSON lines in
   `<landing>/<YYYY-Www>/<office>/api/<platform>/`. A refused token, a used-up quota or an
   API error fails that office-platform only; the others go on.
3. **load_pulls** — the pulled weeks through the export path (parse, validate with Great
   Expectations, load, build tables, refresh the staff copy) in the one-slot pool
   `medsos_warehouse`; runs even when some pulls failed.
4. **check_pulls** — fails the run, naming every failed office and platform, and every
   platform whose task died without reporting (a misconfigured connection), so a dead
   token shows red in the UI and alerts, while the pulled data is already loaded.

Trigger with `{"week": "2024-W07"}` to pull one given week instead, and
`{"platforms": ["youtube"]}` to pull only some platforms. Same as `medsos pull`.
All work is done by the `medsos` package (plugins/medsos/api); this file only wires tasks.
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
    dag_id="medsos_pull",
    schedule=CronTriggerTimetable("0 1 * * *", timezone="Asia/Jakarta"),
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "medsos", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["medsos", "daily", "api", "kpu"],
    doc_md=__doc__,
    params={
        "week": Param(
            "",
            type="string",
            description="ISO week to pull, e.g. 2024-W07. Empty: last and this week.",
        ),
        "platforms": Param(
            [],
            type="array",
            description="Only these platforms. Empty: every platform with API accounts.",
        ),
    },
)
def medsos_pull():
    @task(retries=0)
    def check_setup() -> None:
        """Fail at once, naming what is missing (pool, landing folder, registry,
        recipients, evaluation settings), rather than let the run wait or use samples."""
        from medsos.deployment import check_before_run

        check_before_run()

    @task
    def plan_pulls() -> list[dict]:
        """One entry per platform that has API accounts: the platform and the weeks."""
        from datetime import UTC, datetime

        from medsos.api.pull import platforms_to_pull, weeks_to_pull

        ctx = get_current_context()
        params = ctx["params"]
        moment = ctx["dag_run"].run_after or datetime.now(UTC)
        pull_weeks = [params["week"]] if params.get("week") else weeks_to_pull(moment)
        chosen = [
            p
            for p in platforms_to_pull(_settings())
            if not params.get("platforms") or p in params["platforms"]
        ]
        return [{"platform": p, "weeks": pull_weeks} for p in chosen]

    @task(max_active_tis_per_dagrun=2)
    def pull_platform(plan: dict) -> list[dict]:
        """Pull every API account of one platform; failures are returned, not raised."""
        from airflow.sdk.exceptions import AirflowFailException

        from medsos.api.pull import pull_platform as pull

        try:
            outcomes = pull(_settings(), plan["platform"], plan["weeks"])
        except ValueError as exc:
            # a misconfigured connection stays misconfigured: fail now, no retries
            raise AirflowFailException(f"{plan['platform']}: {exc}") from None
        return [o.to_dict() for o in outcomes]

    @task(pool=WAREHOUSE_POOL, trigger_rule="all_done")
    def load_pulls(results: list[list[dict]]) -> list[dict]:
        """Parse, validate and load the pulled weeks; rebuild tables and the staff copy."""
        from medsos.api.pull import load_pulled

        outcomes = [o for group in (results or []) if group for o in group]
        pulled = sorted({o["week"] for o in outcomes if o["status"] == "pulled"})
        if pulled:
            load_pulled(_settings(), pulled)
        return outcomes

    @task
    def check_pulls(plan: list[dict], outcomes: list[dict]) -> int:
        """Fail the run when any office-platform could not be pulled, naming each."""
        from airflow.sdk.exceptions import AirflowFailException

        from medsos.api.pull import failures, missing_platforms

        failed = failures(outcomes)
        failed += [
            f"{p}: the pull_platform task failed before reporting any office; its log says why"
            for p in missing_platforms([entry["platform"] for entry in plan], outcomes)
        ]
        if failed:
            # no retry: a refused token stays refused until someone reconnects the account
            raise AirflowFailException(f"{len(failed)} pulls failed:\n" + "\n".join(failed))
        return len(outcomes)

    plan = plan_pulls()
    check_setup() >> plan
    check_pulls(plan, load_pulls(pull_platform.expand(plan=plan)))


medsos_pull()
