"""Model contracts: what every column of the warehouse holds, and the data tests its rows pass.

One YAML file per table, beside the SQL that builds it, in the manner of dbt's model YAML
(jaffle-shop): ``sql/marts/weekly_cadence.yml`` describes ``marts.weekly_cadence``.
Tables written from Python have theirs in ``sql/reference/`` (offices, accounts, calendar,
thresholds, lexicon, campaign tags: all from files staff edit) or, for
``core.post_categories`` (computed from the posts by medsos/content.py), in
``sql/intermediate/``. The folder gives the schema: ``staging/`` -> ``staging``,
``intermediate/`` and ``reference/`` -> ``core``, ``marts/`` -> ``marts``::

    models:
      - name: weekly_cadence
        data_tests:
          - unique: {columns: [office_code, platform, iso_week]}
        columns:
          - name: office_code
            description: The office's Kemendagri code ...
            data_tests:
              - not_null
              - relationships: {to: core.offices, field: office_code}
          - name: data_status
            description: ...
            data_tests:
              - accepted_values: {values: [reported, missing]}

After every build (``warehouse.build``, inside its transaction) :func:`enforce`

1. checks that each table of ``staging``, ``core`` and ``marts`` has a contract and that
   the contract lists exactly the table's columns (a column gained or lost without the
   contract saying so stops the build, so a description can never go stale silently);
2. writes each description as the column's comment, which ``duckdb_columns()`` and
   DuckDB's clients show (views' columns too); only where it differs, but every table a
   build replaces has lost its comments, so most are written each time (about 0.05 s).
   A model-level ``description`` becomes the table's comment, for a table nothing else
   describes (core.post_categories; the others take theirs from the SQL file's header
   or from warehouse.py);
3. runs the data tests: ``unique`` (one or more columns), ``not_null``,
   ``accepted_values`` and ``relationships``. Any failure stops the build with one error
   naming table, column, test and a few offending values; the transaction rolls back,
   so the published copy keeps the last good tables.

The tests are cheap on a year of national history: per table one scan for every
not_null and accepted_values test together, one grouping per unique key and one
anti-join per relationship; the offending rows are looked up only when a test failed.
The tables recomputed by post (``test_rows_in: meta.posts_to_build``) are tested only
for the posts the build recomputed, unless it recomputed most of them: about 0.5 s in
all for a weekly build on a year of national history, against 2-3 s reading every row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from medsos.config import sql_dir

log = logging.getLogger(__name__)

# contract folder under sql/ -> schema of its tables
FOLDER_SCHEMA = {
    "staging": "staging",
    "intermediate": "core",
    "reference": "core",
    "marts": "marts",
}
CHECKED_SCHEMAS = ("staging", "core", "marts")
EXAMPLES = 5  # offending values named in an error

TEST_KINDS = ("unique", "not_null", "accepted_values", "relationships")


class ContractError(ValueError):
    """A contract file that cannot be used, or that does not match its table."""


class DataTestFailed(RuntimeError):
    """Rows of a built table broke a data test of its contract; the build is undone."""


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    not_null: bool = False
    accepted_values: tuple[Any, ...] | None = None
    relationships: tuple[tuple[str, str], ...] = ()  # (table, column) every value must exist in


@dataclass(frozen=True)
class Contract:
    table: str  # schema.name
    path: Path
    columns: tuple[Column, ...]
    unique: tuple[tuple[str, ...], ...] = ()  # each a key: no two rows share its values
    # the table's comment, for a table nothing else describes (core.post_categories); the
    # others take theirs from their SQL file's header or from warehouse.py
    description: str | None = None
    # test only the rows whose keys are in this table (see 'test_rows_in' in load_contract)
    test_rows_in: tuple[str, tuple[str, ...]] | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def key(self) -> tuple[str, ...]:
        """Columns that identify a row in an error message: the first unique key, else
        the first three columns."""
        return self.unique[0] if self.unique else tuple(self.column_names[:3])


@dataclass
class Failure:
    table: str
    column: str | None
    test: str
    detail: str
    path: Path = field(default_factory=Path)

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.test} failed: {self.detail} (contract {self.path.as_posix()})"


# --------------------------------------------------------------------------- reading


def contract_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """(schema.table, path) of every contract file under ``sql/``."""
    root = root or sql_dir()
    out = []
    for folder, schema in FOLDER_SCHEMA.items():
        for path in sorted((root / folder).glob("*.yml")):
            out.append((f"{schema}.{path.stem}", path))
    names = [t for t, _ in out]
    twice = sorted({t for t in names if names.count(t) > 1})
    if twice:
        raise ContractError(
            f"two contract files describe {', '.join(twice)} (sql/intermediate/ and sql/reference/?)"
        )
    return out


def load_contracts(root: Path | None = None) -> dict[str, Contract]:
    return {table: load_contract(path, table) for table, path in contract_files(root)}


def load_contract(path: Path, table: str) -> Contract:
    """Read and check one contract file; every problem names the file."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc

    def bad(what: str) -> ContractError:
        return ContractError(f"{path}: {what}")

    if not isinstance(doc, dict) or set(doc) != {"models"} or not isinstance(doc["models"], list):
        raise bad("a contract file holds one key, 'models', with a list of one model")
    if len(doc["models"]) != 1 or not isinstance(doc["models"][0], dict):
        raise bad("'models' must list exactly one model, the one the file is named after")
    model = doc["models"][0]
    name = table.split(".", 1)[1]
    if model.get("name") != name:
        raise bad(f"the model is named {model.get('name')!r}; the file is named after {name!r}")
    unknown = set(model) - {"name", "description", "columns", "data_tests", "test_rows_in"}
    if unknown:
        raise bad(
            f"unknown key(s) {', '.join(sorted(unknown))} (name, description, columns, data_tests, test_rows_in)"
        )

    columns: list[Column] = []
    unique: list[tuple[str, ...]] = []
    seen: set[str] = set()
    raw_columns = model.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise bad("'columns' must list every column of the table")
    for i, entry in enumerate(raw_columns, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise bad(f"column {i}: needs a 'name'")
        col = entry["name"]
        if col in seen:
            raise bad(f"column {col!r} is listed twice")
        seen.add(col)
        unknown = set(entry) - {"name", "description", "data_tests"}
        if unknown:
            raise bad(
                f"column {col!r}: unknown key(s) {', '.join(sorted(unknown))} (name, description, data_tests)"
            )
        description = entry.get("description")
        if not isinstance(description, str) or not description.strip():
            raise bad(f"column {col!r}: needs a 'description' saying what it holds")
        not_null = False
        accepted: tuple[Any, ...] | None = None
        relationships: list[tuple[str, str]] = []
        unique_here = False
        for test in entry.get("data_tests") or []:
            kind, args = _test(test, bad, f"column {col!r}")
            if kind == "not_null":
                not_null = True
            elif kind == "unique":
                unique_here = True
            elif kind == "accepted_values":
                values = args.get("values") if isinstance(args, dict) else None
                if not isinstance(values, list) or not values:
                    raise bad(f"column {col!r}: accepted_values needs 'values', a list")
                accepted = tuple(values)
            elif kind == "relationships":
                if (
                    not isinstance(args, dict)
                    or not isinstance(args.get("to"), str)
                    or not isinstance(args.get("field"), str)
                ):
                    raise bad(
                        f"column {col!r}: relationships needs 'to' (a table like core.offices) and 'field'"
                    )
                if args["to"].count(".") != 1:
                    raise bad(
                        f"column {col!r}: relationships 'to' names schema and table, like core.offices"
                    )
                relationships.append((args["to"], args["field"]))
        columns.append(
            Column(col, " ".join(description.split()), not_null, accepted, tuple(relationships))
        )
        if unique_here:
            unique.append((col,))

    for test in model.get("data_tests") or []:
        kind, args = _test(test, bad, "model")
        if kind != "unique":
            raise bad(
                f"a model-level test must be 'unique' with 'columns'; {kind} belongs under a column"
            )
        cols = args.get("columns") if isinstance(args, dict) else None
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            raise bad("unique needs 'columns', a list of one or more column names")
        missing = [c for c in cols if c not in seen]
        if missing:
            raise bad(f"unique names {', '.join(missing)}, not among the contract's columns")
        unique.append(tuple(cols))
    test_rows_in = None
    if "test_rows_in" in model:
        spec = model["test_rows_in"]
        cols = spec.get("columns") if isinstance(spec, dict) else None
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("table"), str)
            or spec["table"].count(".") != 1
            or not isinstance(cols, list)
            or not cols
            or not all(c in seen for c in cols)
        ):
            raise bad(
                "test_rows_in needs 'table' (like meta.posts_to_build) and 'columns', some of the model's"
            )
        # a repeated key can only be caught among the rows tested if the key holds those columns
        partial = [k for k in unique if not set(cols) <= set(k)]
        if partial:
            raise bad(
                f"test_rows_in: the unique key ({', '.join(partial[0])}) must include {', '.join(cols)}"
            )
        test_rows_in = (spec["table"], tuple(cols))
    description = model.get("description")
    if description is not None and (not isinstance(description, str) or not description.strip()):
        raise bad("the model's 'description' must be text when given")
    return Contract(
        table=table,
        path=path,
        columns=tuple(columns),
        unique=tuple(unique),
        description=" ".join(description.split()) if description else None,
        test_rows_in=test_rows_in,
    )


def _test(test: Any, bad: Callable[[str], ContractError], where: str) -> tuple[str, Any]:
    if isinstance(test, str):
        kind, args = test, None
    elif isinstance(test, dict) and len(test) == 1:
        ((kind, args),) = test.items()
    else:
        raise bad(f"{where}: a data test is a name or a one-key mapping, not {test!r}")
    if kind not in TEST_KINDS:
        raise bad(f"{where}: unknown data test {kind!r} (one of {', '.join(TEST_KINDS)})")
    return kind, args


# --------------------------------------------------------------------------- applying


def enforce(con: duckdb.DuckDBPyConnection, root: Path | None = None) -> dict[str, float]:
    """Check every table against its contract, comment its columns and run its data
    tests; raise ContractError or DataTestFailed. Returns seconds spent per step."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    contracts = load_contracts(root)
    times["read"] = time.perf_counter() - started
    step = time.perf_counter()
    current = check_columns(con, contracts)
    times["columns"] = time.perf_counter() - step
    step = time.perf_counter()
    written = comment_columns(con, contracts, current)
    times["comments"] = time.perf_counter() - step
    step = time.perf_counter()
    failures = run_data_tests(con, contracts.values())
    times["tests"] = time.perf_counter() - step
    log.info(
        "contracts of %s tables: %s column comments written, data tests in %.2f s (%.2f s in all)",
        len(contracts),
        written,
        times["tests"],
        time.perf_counter() - started,
    )
    if failures:
        raise DataTestFailed(
            f"{len(failures)} data test(s) failed after building the tables; the build is undone "
            "and the published copy keeps the last good tables:\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
    return times


def check_columns(
    con: duckdb.DuckDBPyConnection, contracts: Mapping[str, Contract]
) -> dict[tuple[str, str], str | None]:
    """Each table of the checked schemas has a contract listing exactly its columns.
    Returns the current comment of every column, by (table, column)."""
    rows = con.execute(
        f"""select schema_name || '.' || table_name, column_name, comment
            from duckdb_columns()
            where database_name = current_database()
              and schema_name in ({_marks(CHECKED_SCHEMAS)})
              and not internal
            order by schema_name, table_name, column_index""",
        list(CHECKED_SCHEMAS),
    ).fetchall()
    actual: dict[str, list[str]] = {}
    comments: dict[tuple[str, str], str | None] = {}
    for table, column, comment in rows:
        actual.setdefault(table, []).append(column)
        comments[(table, column)] = comment
    problems = []
    for table in sorted(set(actual) - set(contracts)):
        folder = {"staging": "staging", "marts": "marts"}.get(
            table.split(".")[0], "intermediate (or reference)"
        )
        problems.append(
            f"{table} has no contract: describe its columns in sql/{folder}/{table.split('.')[1]}.yml"
        )
    for table, contract in sorted(contracts.items()):
        if table not in actual:
            problems.append(
                f"{_shown_path(contract.path)}: describes {table}, which the build did not make"
            )
            continue
        have, said = actual[table], contract.column_names
        gained = [c for c in have if c not in said]
        lost = [c for c in said if c not in have]
        if gained:
            problems.append(
                f"{table} has column(s) {', '.join(gained)} that {_shown_path(contract.path)} does not describe"
            )
        if lost:
            problems.append(
                f"{_shown_path(contract.path)} describes column(s) {', '.join(lost)} that {table} does not have"
            )
    if problems:
        raise ContractError(
            "the tables and their contracts disagree:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return comments


def comment_columns(
    con: duckdb.DuckDBPyConnection,
    contracts: Mapping[str, Contract],
    current: Mapping[tuple[str, str], str | None],
) -> int:
    """Write each description as its column's comment where it differs; returns how many."""
    written = 0
    for table, contract in contracts.items():
        if contract.description:
            text = contract.description.replace("'", "''")
            con.execute(f"comment on table {_table(table)} is '{text}'")
        for col in contract.columns:
            if current.get((table, col.name)) == col.description:
                continue
            # COMMENT ON takes a literal, not a parameter; the text is ours, quoted safely
            text = col.description.replace("'", "''")
            con.execute(f"comment on column {_table(table)}.{_ident(col.name)} is '{text}'")
            written += 1
    return written


# --------------------------------------------------------------------------- data tests


def run_data_tests(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> list[Failure]:
    failures: list[Failure] = []
    tables = {
        t
        for (t,) in con.sql(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }
    for contract in contracts:
        rows = _table(contract.table)
        if contract.test_rows_in and contract.test_rows_in[0] in tables:
            rows = _rows_to_test(con, contract) or rows
        found: list[Failure] = []
        found += _value_tests(con, contract, rows)
        found += _unique_tests(con, contract, rows)
        found += _relationship_tests(con, contract, rows)
        for f in found:
            f.path = _shown_path(contract.path)
        failures += found
        if rows.startswith("temp."):
            con.execute(f"drop table {rows}")
    return failures


def _rows_to_test(con: duckdb.DuckDBPyConnection, contract: Contract) -> str | None:
    """A weekly build recomputes only the rows of the keys in ``test_rows_in``; the others
    are as the last build left them, after it tested them. Those rows, with the columns the
    tests read, go to a temporary table once, so each test reads a week's rows and not a
    year's. None when most rows were recomputed (a full build): the table itself is then
    cheaper to read than to filter."""
    assert contract.test_rows_in
    keys_table, keys = contract.test_rows_in
    ((n_keys, n_rows),) = con.sql(
        f"select (select count(*) from {_table(keys_table)}), (select count(*) from {_table(contract.table)})"
    ).fetchall()
    if n_keys * 4 >= n_rows:
        return None
    wanted = {
        c.name
        for c in contract.columns
        if c.not_null or c.accepted_values is not None or c.relationships
    }
    wanted |= {k for key in contract.unique for k in key} | set(contract.key()) | set(keys)
    cols = ", ".join(_ident(c) for c in contract.column_names if c in wanted)
    name = "_contract_rows_" + contract.table.replace(".", "_")
    # picked by row id from a scan of the keys alone: only the row groups holding the rows
    # (together at the end of the table after a weekly build) are read with every column
    con.execute(
        f"""create or replace temp table {name} as
            select {cols} from {_table(contract.table)}
            where rowid in (
                select rowid from {_table(contract.table)}
                semi join {_table(keys_table)} using ({", ".join(map(_ident, keys))}))"""
    )
    return f"temp.main.{name}"


def _value_tests(con: duckdb.DuckDBPyConnection, contract: Contract, rows: str) -> list[Failure]:
    """not_null and accepted_values of every column in one scan of the table."""
    checks: list[tuple[Column, str]] = []
    exprs: list[str] = []
    params: list[Any] = []
    for col in contract.columns:
        ident = _ident(col.name)
        if col.not_null:
            checks.append((col, "not_null"))
            exprs.append(f"count(*) filter (where {ident} is null)")
        if col.accepted_values is not None:
            checks.append((col, "accepted_values"))
            exprs.append(
                f"count(*) filter (where {ident} is not null and {ident} not in ({_marks(col.accepted_values)}))"
            )
            params += list(col.accepted_values)
    if not exprs:
        return []
    counts = con.execute(f"select {', '.join(exprs)} from {rows}", params).fetchall()[0]
    out = []
    for (col, kind), n in zip(checks, counts, strict=True):
        if not n:
            continue
        ident = _ident(col.name)
        if kind == "not_null":
            key = [c for c in contract.key() if c != col.name] or contract.column_names[:1]
            examples = con.execute(
                f"select {', '.join(_ident(k) for k in key)} from {rows} "
                f"where {ident} is null limit {EXAMPLES}"
            ).fetchall()
            shown = "; ".join(
                ", ".join(f"{k}={_show(v)}" for k, v in zip(key, r, strict=True)) for r in examples
            )
            out.append(
                Failure(contract.table, col.name, "not_null", f"{n} row(s) are NULL, e.g. {shown}")
            )
        else:
            values = con.execute(
                f"select {ident}, count(*) from {rows} "
                f"where {ident} is not null and {ident} not in ({_marks(col.accepted_values or ())}) "
                f"group by 1 order by 2 desc, 1 limit {EXAMPLES}",
                list(col.accepted_values or ()),
            ).fetchall()
            shown = ", ".join(f"{_show(v)} ({c} row{'s' if c != 1 else ''})" for v, c in values)
            allowed = ", ".join(_show(v) for v in col.accepted_values or ())
            out.append(
                Failure(
                    contract.table,
                    col.name,
                    "accepted_values",
                    f"{n} row(s) hold a value outside [{allowed}]: {shown}",
                )
            )
    return out


def _unique_tests(con: duckdb.DuckDBPyConnection, contract: Contract, rows: str) -> list[Failure]:
    out = []
    for key in contract.unique:
        cols = ", ".join(_ident(k) for k in key)
        hits = con.execute(
            f"""select {cols}, count(*) as copies, count(*) over () as keys_repeated
                from {rows}
                group by all having count(*) > 1
                order by copies desc limit {EXAMPLES}"""
        ).fetchall()
        if hits:
            shown = "; ".join(
                ", ".join(f"{k}={_show(v)}" for k, v in zip(key, r[: len(key)], strict=True))
                + f" ({r[len(key)]} rows)"
                for r in hits
            )
            name = key[0] if len(key) == 1 else None
            label = "unique" if len(key) == 1 else f"unique ({', '.join(key)})"
            out.append(
                Failure(
                    contract.table,
                    name,
                    label,
                    f"{hits[0][-1]} {'value' if len(key) == 1 else 'key'}(s) appear on more than one row, e.g. {shown}",
                )
            )
    return out


def _relationship_tests(
    con: duckdb.DuckDBPyConnection, contract: Contract, rows: str
) -> list[Failure]:
    out = []
    for col in contract.columns:
        for to, to_field in col.relationships:
            ident = _ident(col.name)
            hits = con.execute(
                f"""select t.{ident}, count(*) as n, count(*) over () as values_unknown
                    from {rows} as t
                    anti join {_table(to)} as r on t.{ident} = r.{_ident(to_field)}
                    where t.{ident} is not null
                    group by 1 order by n desc, 1 limit {EXAMPLES}"""
            ).fetchall()
            if hits:
                shown = ", ".join(
                    f"{_show(v)} ({n} row{'s' if n != 1 else ''})" for v, n, _ in hits
                )
                out.append(
                    Failure(
                        contract.table,
                        col.name,
                        f"relationships -> {to}.{to_field}",
                        f"{hits[0][2]} value(s) not found in {to}: {shown}",
                    )
                )
    return out


# --------------------------------------------------------------------------- helpers


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{_ident(schema)}.{_ident(name)}"


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _show(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def _shown_path(path: Path) -> Path:
    try:
        return path.relative_to(sql_dir().parent)
    except ValueError:
        return path
