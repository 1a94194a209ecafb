"""Great Expectations on the week's batch: one GX context per run, one GX call per dataset.

GX is called on pandas DataFrames (its SQL datasource does not work on DuckDB) from
medsos's own code, not from an operator, so nothing is read at DAG parse time. Suites
are JSON files in ``expectations/``, reviewed like code. Each expectation carries a
``severity``: ``critical`` failures hold the failing rows back (quarantine), ``warning``
failures are recorded and reported while the rows load. Kwargs written
``{"$PARAMETER": "office_codes"}`` are filled in at run time.

Results go to a file-backed GX context under the data folder: the validation results of
the last ``DATA_DOCS_RUNS`` runs of each suite and the Data Docs static site built from
them (``<gx_dir>/gx/uncommitted/data_docs/local_site``). Every run's results are kept
for good in the warehouse (``raw.validation_results``, ``raw.validation_file_results``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from medsos.config import expectations_dir

if TYPE_CHECKING:  # GX takes seconds to import; Validator imports it when first built
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)

ROW_KEY = "_row_key"
# GX rebuilds the Data Docs index from every stored result on each run, so a year of runs
# would make each validation slower than the last; older results live in the warehouse.
DATA_DOCS_RUNS = 12
LINEAGE = ("source_file", "source_sheet", "source_row", "platform", "office_code", "post_id")


@dataclass
class ValidationOutcome:
    accepted: pd.DataFrame  # rows with no critical failure (derived check columns dropped)
    quarantined: pd.DataFrame  # rows held back, with their ROW_KEY
    failures: list[dict[str, Any]] = field(default_factory=list)  # one per failing row and check
    results: list[dict[str, Any]] = field(default_factory=list)  # one per expectation
    docs_index: Path | None = None
    # GX's own result and its store key, for a context that did not run it (``adopt``)
    # (identifier, result) in this run's GX store; pickled when it comes from the
    # second process (``pipeline.validate._sealed``)
    stored: tuple[Any, Any] | bytes | None = None


def load_suite_json(name: str, folder: Path | None = None) -> dict[str, Any]:
    path = (folder or expectations_dir()) / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read expectation suite: {exc}") from exc


def messages_id(folder: Path | None = None) -> dict[str, str]:
    """``<suite>:<expectation>:<column>`` -> the Indonesian 'pesan' of every check, for emails."""
    out = {}
    root = folder or expectations_dir()
    for path in sorted(root.glob("*.json")):
        spec = load_suite_json(path.stem, root)
        for e in spec["expectations"]:
            out[f"{e['type']}:{_column_label(e['kwargs'])}"] = e.get("meta", {}).get("pesan", "")
    return out


def _column_label(kwargs: dict[str, Any]) -> str:
    if kwargs.get("column"):
        return kwargs["column"]
    if kwargs.get("column_list"):
        return ",".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ""


def _no_fingerprint() -> None:
    """GX hashes every value of an in-memory batch under 1 GB, only to note the hash
    ("pandas_data_fingerprint") among the stored result's batch markers: a quarter of the
    time a chunk of posts takes to check. medsos names each batch by its week and run and
    never reads the hash, so GX is told to skip it, as it does for bigger frames (its
    module's ``HASH_THRESHOLD``; ``tests/test_validation.py`` notices should GX rename it)."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


class Validator:
    """One GX context for a whole run; ``run`` validates one dataset's batch."""

    def __init__(
        self,
        gx_dir: Path | None = None,
        suites_dir: Path | None = None,
        run_name: str | None = None,
    ):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        _no_fingerprint()
        self.suites_dir = suites_dir
        self.ctx: AbstractDataContext
        self.docs_index: Path | None
        if gx_dir is not None:
            gx_dir.mkdir(parents=True, exist_ok=True)
            forget_old_results(gx_dir, DATA_DOCS_RUNS - 1)  # this run adds one per suite
            self.ctx = gx.get_context(mode="file", project_root_dir=str(gx_dir))
            self.docs_index = (
                gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
            )
        else:
            self.ctx = gx.get_context(mode="ephemeral")
            self.docs_index = None
        self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.ctx.data_sources.add_or_update_pandas(name="medsos")
        self._checkpoints: dict[str, Any] = {}  # a suite's JSON -> its checkpoint here
        self._docs_pending: list = []  # results (and their suites) Data Docs has no page of yet
        # what Data Docs shows as the run's name: the week and the run it validated
        self.run_name = run_name

    def _suite(self, spec: dict[str, Any]):
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        suite = self._gx.ExpectationSuite(name=spec["name"], meta=spec.get("meta", {}))
        for item in spec["expectations"]:
            suite.add_expectation_configuration(
                ExpectationConfiguration(
                    type=item["type"],
                    kwargs=item["kwargs"],
                    meta=item.get("meta", {}),
                    severity=item.get("severity", "critical"),
                )
            )
        return self.ctx.suites.add_or_update(suite)

    def _checkpoint(self, spec: dict[str, Any]):
        """The suite's checkpoint in this context, made once per suite (and again should
        the suite's file change): storing the suite, its validation definition and the
        checkpoint costs about 0.1 s, paid for every chunk of a backfill before."""
        key = json.dumps(spec, sort_keys=True)
        if key not in self._checkpoints:
            name = spec["name"]
            vd = self.ctx.validation_definitions.add_or_update(
                self._gx.ValidationDefinition(
                    name=name, data=self._batch_definition(name), suite=self._suite(spec)
                )
            )
            self._checkpoints[key] = self.ctx.checkpoints.add_or_update(
                self._gx.Checkpoint(
                    name=f"medsos_{name}",
                    validation_definitions=[vd],
                    actions=[],
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": [ROW_KEY],
                    },
                )
            )
        return self._checkpoints[key]

    def _batch_definition(self, name: str):
        try:
            asset = self.source.get_asset(name)
        except LookupError:
            asset = self.source.add_dataframe_asset(name=name)
        try:
            return asset.get_batch_definition("whole_batch")
        except KeyError:
            return asset.add_batch_definition_whole_dataframe("whole_batch")

    def run(
        self, df: pd.DataFrame, suite_name: str, parameters: dict[str, Any] | None = None
    ) -> ValidationOutcome:
        spec = load_suite_json(suite_name, self.suites_dir)
        if df.empty:
            return ValidationOutcome(df.copy(), df.iloc[0:0].copy(), [], [], self.docs_index)
        work = df.reset_index(drop=True).copy()
        work[ROW_KEY] = range(len(work))
        seen_by_gx, changed = _frame_for_gx(work, spec)

        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        checkpoint = self._checkpoint(spec)
        from great_expectations.core.run_identifier import RunIdentifier

        run = checkpoint.run(
            batch_parameters={"dataframe": seen_by_gx},
            expectation_parameters=parameters or {},
            run_id=RunIdentifier(run_name=self.run_name) if self.run_name else None,
        )
        ((identifier, result),) = run.run_results.items()
        if self.docs_index:
            self._docs_pending += [identifier, ExpectationSuiteIdentifier(name=suite_name)]
        try:
            outcome = self._route(work, spec, result, changed)
            outcome.stored = (identifier, result)
            return outcome
        except Exception:
            # a batch that fails a table check: its page is the one to read (and a failure
            # to draw it must not hide why the batch failed)
            try:
                self.build_docs()
            except Exception:
                log.exception("could not build the Data Docs pages of %s", suite_name)
            raise

    def adopt(self, stored: tuple[Any, Any] | bytes) -> None:
        """Keep a result another process's GX context produced (``ValidationOutcome.stored``)
        in this context's store, with a Data Docs page like the ones run here."""
        import pickle

        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        # pickled by this run's own second process
        pair = pickle.loads(stored) if isinstance(stored, bytes) else stored  # noqa: S301
        identifier, result = pair
        name = identifier.expectation_suite_identifier.name
        self._checkpoint(load_suite_json(name, self.suites_dir))  # its page, should none run here
        suite_id = ExpectationSuiteIdentifier(name=name)
        self.ctx.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=identifier,
            expectation_suite_identifier=suite_id,
        )
        if self.docs_index:
            self._docs_pending += [identifier, suite_id]

    def release(self) -> None:
        """Let go of the batches validated: GX's pandas source keeps the last DataFrame of
        each asset (a year's account days, the files, a chunk of posts: about 0.3 GB in a
        national backfill), and GX keeps the context after this object is gone; the
        build that follows needs that memory."""
        self._checkpoints = {}  # they name the source's assets
        try:
            self.ctx.data_sources.delete("medsos")
        except Exception:  # noqa: BLE001 - an older context without it: nothing held then
            log.debug("no GX source to release", exc_info=True)

    def build_docs(self) -> Path | None:
        """Add this run's pages to the Data Docs site, once for all its suites (what GX's
        UpdateDataDocsAction does per checkpoint: each build renders the index again)."""
        if self.docs_index and self._docs_pending:
            self.ctx.build_data_docs(resource_identifiers=self._docs_pending, build_index=True)
            self._docs_pending = []
        return self.docs_index

    def _route(
        self, work: pd.DataFrame, spec: dict[str, Any], result, changed: set[str]
    ) -> ValidationOutcome:
        failures: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        blocked: set[int] = set()
        table_level_critical = []
        for r in result.results:
            cfg = r.expectation_config
            sev = str(getattr(cfg, "severity", "critical")).split(".")[-1].lower()
            column = _column_label(cfg.kwargs)
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
                    "pesan": (cfg.meta or {}).get("pesan"),
                    "error": exc,
                }
            )
            if r.success:
                continue
            if exc:
                # A check that could not run is a defect of the suite, not of the data.
                raise RuntimeError(
                    f"{spec['name']}: expectation {cfg.type} on {column} could not run: {exc}"
                )
            index_list = res.get("unexpected_index_list")
            if index_list is None:
                if sev == "critical":
                    table_level_critical.append(f"{cfg.type} ({(cfg.meta or {}).get('why', '')})")
                continue
            for item in index_list:
                key = int(item[ROW_KEY])
                # a value GX saw changed is reported as the row holds it (12, not 12.0;
                # a missing text <NA>, not a categorical's nan)
                vals = {
                    k: (work.at[key, k] if k in changed else v)
                    for k, v in item.items()
                    if k != ROW_KEY
                }
                value = (
                    str(next(iter(vals.values())))
                    if len(vals) == 1
                    else "; ".join(f"{k}={v}" for k, v in vals.items())
                )
                failures.append(
                    {
                        ROW_KEY: key,
                        "check_name": cfg.type,
                        "column_name": column,
                        "value": value,
                        "severity": sev,
                        "message": (cfg.meta or {}).get("why") or cfg.type,
                    }
                )
                if sev == "critical":
                    blocked.add(key)
        if table_level_critical:
            raise ValueError(
                f"{spec['name']}: the batch fails table checks: {'; '.join(table_level_critical)}"
            )

        mask = work[ROW_KEY].isin(blocked)
        accepted = work.loc[~mask].drop(columns=[ROW_KEY]).reset_index(drop=True)
        quarantined = work.loc[mask].reset_index(drop=True)
        rows = work.set_index(ROW_KEY)
        for f in failures:
            row = rows.loc[f[ROW_KEY]]
            for col in LINEAGE:
                if col in rows.columns:
                    v = row[col]
                    f[col] = None if pd.isna(v) else (int(v) if col == "source_row" else str(v))
        log.info(
            "validated %s rows with %s: %s held back, %s failing checks",
            len(work),
            spec["name"],
            len(quarantined),
            sum(1 for r in results if not r["success"]),
        )
        return ValidationOutcome(accepted, quarantined, failures, results, self.docs_index)


def _frame_for_gx(work: pd.DataFrame, spec: dict[str, Any]) -> tuple[pd.DataFrame, set[str]]:
    """The frame GX checks, and the columns changed in it. Both changes keep every check's
    outcome; they only make GX's pandas code cheaper.

    - GX checks a range on a column of numpy integers or floats a whole column at a time,
      but on a nullable ``Int64`` column one value at a time in Python: on a national year
      (2.87 M rows, 7 counts) that was about a third of the validation. So the counts it
      checks for a range are handed to it as float64, NULL as NaN, which GX skips as it
      skips NULL; a count below 2**53 is exact as a float (larger ones stay as they are).
    - GX copies the whole frame several times per check (a filter per expectation) and
      compares text columns with a set by hashing every value. Text whose values repeat
      (platform, office code, post type, source file: a few thousand distinct values in
      hundreds of thousands of rows) is handed to it as a pandas categorical: a copy then
      moves small integer codes, and a set or null check looks at each distinct value once.
      Text checked for its type or its pattern (the post id) stays as it is, since those
      checks look at each value. A frame of national weeks: 1.50 -> 1.16 s (measured in
      ``docs/benchmark.md``).

    ``work`` keeps its own columns (it is what loads; the reported values come from it;
    ``work`` and ``ROW_KEY`` line up by position).
    """
    expectations = spec.get("expectations", [])
    ranged = {
        e["kwargs"]["column"]
        for e in expectations
        if e["type"] == "expect_column_values_to_be_between" and e["kwargs"].get("column")
    }
    as_values = {
        e["kwargs"]["column"]
        for e in expectations
        if e["type"] in _CHECKS_EACH_VALUE and e["kwargs"].get("column")
    }
    floats = {
        c
        for c in ranged
        if c in work.columns
        and str(work[c].dtype) == "Int64"
        and not (work[c].abs() >= 2**53).any()
    }
    repeating = {
        c
        for c in work.columns
        if c not in as_values and str(work[c].dtype) == "string" and _repeats(work[c])
    }
    if not floats and not repeating:
        return work, set()
    seen = work.copy(deep=False)
    for c in floats:
        seen[c] = work[c].astype("float64")
    for c in repeating:
        seen[c] = work[c].astype("category")
    return seen, floats | repeating


# checks that look at each value's Python type or text: their column stays text for GX
_CHECKS_EACH_VALUE = {
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_not_match_regex_list",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_values_to_match_strftime_format",
    "expect_column_values_to_be_dateutil_parseable",
    "expect_column_values_to_be_json_parseable",
}


def _repeats(column: pd.Series, sample: int = 5_000) -> bool:
    """Whether a text column is worth a categorical: judged on its first rows, where
    fewer than one value in ten is new (a caption or a permalink is not)."""
    head = column.iloc[:sample]
    return head.nunique() * 10 < len(head)


def forget_old_results(gx_dir: Path, keep: int) -> int:
    """Delete all but the newest ``keep`` stored results of each suite, with their Data
    Docs pages. Results are stored as ``validations/<suite>/<run name>/<run time>/…``, the
    run name saying which week and run (``2024-W07_manual__…``); the run time
    (``20241231T235959.000000Z``) sorts as text, so it orders them. Returns folders deleted."""
    import shutil

    uncommitted = gx_dir / "gx" / "uncommitted"
    site = uncommitted / "data_docs" / "local_site"
    deleted = 0
    for suite in sorted((uncommitted / "validations").glob("*")):
        if not suite.is_dir():
            continue
        runs = sorted(
            (p for p in suite.glob("*/*") if p.is_dir()), key=lambda p: (p.name, p.parent.name)
        )
        for run in runs[: max(len(runs) - keep, 0)]:
            page = site / run.relative_to(uncommitted)
            shutil.rmtree(run, ignore_errors=True)
            shutil.rmtree(page, ignore_errors=True)
            for folder in (run.parent, page.parent):  # a run name left with no run
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            deleted += 1
    return deleted


def run_suite(
    df: pd.DataFrame,
    suite_name: str,
    parameters: dict[str, Any] | None = None,
    gx_dir: Path | None = None,
) -> ValidationOutcome:
    """One-off validation (tests, ad-hoc checks); the pipeline keeps one Validator per run."""
    validator = Validator(gx_dir)
    outcome = validator.run(df, suite_name, parameters)
    validator.build_docs()
    return outcome
