"""The medsos Airflow plugin: every Airflow component that starts a job (scheduler, DAG
processor, triggerer) makes sure the one-slot pool ``medsos_warehouse`` exists.

A task in a pool that does not exist is never scheduled, and the reason is only in the
scheduler's log; Airflow 3 gives task code no access to the metadata database, so the
run's own setup check cannot look. These components can: a missing pool is created with
one slot and a warning in their log (an existing one is left as the operator set it).
"""

from __future__ import annotations

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin


class WarehousePoolListener:
    @hookimpl
    def on_starting(self, component) -> None:
        # tasks start too (their runner is no job) and have no database to write to
        if type(component).__name__ != "Job":
            return
        from medsos.deployment import ensure_pool

        ensure_pool()


class MedsosPlugin(AirflowPlugin):
    name = "medsos"
    listeners = [WarehousePoolListener()]
