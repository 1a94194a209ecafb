"""A warehouse's tables as rows, for tests that compare two warehouses built differently
(a backfill against weekly runs, chunks written against chunks left as parsed)."""

from __future__ import annotations

from pathlib import Path

import duckdb

# what differs between one run and another by nature: which run, and when it ran
RUN_COLUMNS = {"run_id", "processed_at", "first_seen_at", "validated_at", "built_at"}
# the raw tables whose rows two ways of loading the same files must agree on
# (raw.validation_results has a row per check and GX run: as many as the chunks)
RAW_TABLES = ["raw.files", "raw.quarantine", "raw.row_warnings", "raw.post_snapshots", "raw.account_daily"]


def tables_of(path: Path) -> dict[str, list]:
    """Every core.* and marts.* table and ``RAW_TABLES``, sorted, without ``RUN_COLUMNS``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            f"{s}.{t}"
            for s, t in con.sql(
                "select schema_name, table_name from duckdb_tables() where schema_name in ('core', 'marts') order by all"
            ).fetchall()
        ]
        out = {}
        for name in [*names, *RAW_TABLES]:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name || '.' || table_name = ?", [name]
                ).fetchall()
                if c not in RUN_COLUMNS
            ]
            out[name] = con.sql(f"select {', '.join(columns)} from {name} order by all").fetchall()
        return out
    finally:
        con.close()
