"""Stage 5, build: the ``core`` and ``marts`` tables rebuilt from ``sql/``.

Reads ``raw``; writes ``core.*`` and ``marts.*`` (``medsos.warehouse.build``, incremental
by week) and marks the run built in ``raw.runs``.
"""

from __future__ import annotations

import logging

from medsos.config import Settings
from medsos.warehouse import build, open_warehouse

log = logging.getLogger(__name__)


def build_tables(settings: Settings, week: str, run_id: str | None = None) -> list[str]:
    """Stage 5: rebuild core and marts from sql/ for all weeks up to ``week``."""
    with open_warehouse(settings) as con:
        built = build(con, settings, week)
        if run_id:
            con.execute(
                "update raw.runs set status = 'built', finished_at = now() where run_id = ?",
                [run_id],
            )
        con.execute("checkpoint")
    log.info("built %s tables", len(built))
    return built
