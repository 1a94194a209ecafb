"""Great Expectations on the week's batch, in one GX call per dataset.

GX is called on pandas DataFrames (its SQL datasource does not work on DuckDB) from
medsos's own code, not from an operator, so nothing is read at DAG parse time. Suites
are plain JSON files in ``expectations/``, reviewed like code. Each expectation carries
a ``severity``: ``critical`` failures send the failing rows to quarantine, ``warning``
failures are recorded and reported while the rows still load.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from medsos.config import expectations_dir

log = logging.getLogger(__name__)

ROW_KEY = "_row_key"


@dataclass
class ValidationOutcome:
    accepted: pd.DataFrame
    quarantined: pd.DataFrame  # the failing rows themselves
    failures: list[dict[str, Any]] = field(default_factory=list)  # one per failing row and check
    results: list[dict[str, Any]] = field(default_factory=list)  # one per expectation


def load_suite_json(name: str, folder: Path | None = None) -> dict[str, Any]:
    path = (folder or expectations_dir()) / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read expectation suite: {exc}") from exc


def _gx_suite(spec: dict[str, Any]):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = gx.ExpectationSuite(name=spec["name"], meta=spec.get("meta", {}))
    for item in spec["expectations"]:
        config = ExpectationConfiguration(
            type=item["type"],
            kwargs=item["kwargs"],
            meta=item.get("meta", {}),
            severity=item.get("severity", "critical"),
        )
        suite.add_expectation_configuration(config)
    return suite


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def run_suite(df: pd.DataFrame, suite_name: str, folder: Path | None = None) -> ValidationOutcome:
    """Validate ``df`` with the suite ``expectations/<suite_name>.json`` in a single GX run."""
    spec = load_suite_json(suite_name, folder)
    severity = {i: e.get("severity", "critical") for i, e in enumerate(spec["expectations"])}
    if df.empty:
        return ValidationOutcome(df.copy(), df.copy(), [], [])
    work = df.reset_index(drop=True).copy()
    work[ROW_KEY] = range(len(work))

    ctx = _context()
    source = ctx.data_sources.add_pandas(name=f"medsos_{suite_name}")
    asset = source.add_dataframe_asset(name=suite_name)
    batch_def = asset.add_batch_definition_whole_dataframe(name="batch")
    suite = ctx.suites.add(_gx_suite(spec))
    import great_expectations as gx

    vd = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_batch", data=batch_def, suite=suite)
    )
    result = vd.run(
        batch_parameters={"dataframe": work},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_KEY]},
    )

    failures: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    blocked: set[int] = set()
    for idx, r in enumerate(result.results):
        cfg = r.expectation_config
        sev = str(getattr(cfg, "severity", None) or severity.get(idx, "critical")).split(".")[-1].lower()
        kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
        column = kwargs.get("column") or ",".join(
            kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]
        ).strip(",")
        res = r.result or {}
        exc = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        results.append(
            {
                "expectation": cfg.type,
                "column_name": column or None,
                "severity": sev,
                "success": bool(r.success),
                "element_count": res.get("element_count"),
                "unexpected_count": res.get("unexpected_count"),
                "why": (cfg.meta or {}).get("why"),
                "error": exc,
            }
        )
        if r.success:
            continue
        if exc:
            # An expectation that could not run is a defect in the suite, not in the data.
            raise RuntimeError(f"expectation {cfg.type} on {column} could not run: {exc}")
        for item in res.get("unexpected_index_list") or []:
            key = int(item[ROW_KEY])
            value = None
            if isinstance(item, dict):
                vals = {k: v for k, v in item.items() if k != ROW_KEY}
                if len(vals) == 1:
                    value = str(next(iter(vals.values())))
                elif vals:
                    value = "; ".join(f"{k}={v}" for k, v in vals.items())
            failures.append(
                {
                    ROW_KEY: key,
                    "expectation": cfg.type,
                    "column_name": column,
                    "value": value,
                    "severity": sev,
                    "message": (cfg.meta or {}).get("why") or cfg.type,
                }
            )
            if sev == "critical":
                blocked.add(key)

    mask = work[ROW_KEY].isin(blocked)
    accepted = work.loc[~mask].drop(columns=[ROW_KEY]).reset_index(drop=True)
    quarantined = work.loc[mask].reset_index(drop=True)
    rows = work.set_index(ROW_KEY)
    for f in failures:
        row = rows.loc[f[ROW_KEY]]
        for col in ("source_file", "source_sheet", "source_row", "platform", "office_code", "post_id"):
            if col in rows.columns:
                v = row[col]
                f[col] = None if pd.isna(v) else (int(v) if col == "source_row" else str(v))
    log.info(
        "validated %s rows with %s: %s quarantined, %s failing checks",
        len(work),
        suite_name,
        len(quarantined),
        sum(1 for r in results if not r["success"]),
    )
    return ValidationOutcome(accepted, quarantined, failures, results)
