"""The cells of many files of one header group, converted a column at a time in SQL.

``medsos.parsers.csv_groups`` has DuckDB read every file of a recognised CSV header
group in one ``read_csv`` into a table of text cells; the group's parser then turns the
cells into its columns here: the plain forms (digits, ``MM/DD/YYYY HH:MM``) are cast in
SQL, every other distinct text goes through the very function its row-by-row ``parse``
calls (``parse_count``, ``parse_fixed_datetime``, …), so both paths read a cell alike.

A cell this path cannot read *without error* is never reported here: it marks its row
``bad``, and every file with a bad row is parsed again by the row path, which quarantines
the row and names file, row, column and value exactly as it always has. So this path
only ever produces what the row path would produce for files without problems, and
``tests/test_csv_groups.py`` checks that on every fixture and real export.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from medsos.parsers.base import POST_COLUMNS, FileContext, conform
from medsos.parsers.sheets import RawSheet, header_index
from medsos.parsers.values import (
    MISSING_MARKERS,
    parse_count,
    parse_decimal,
    parse_duration_seconds,
    parse_fixed_datetime,
    to_instant,
)

# Plain forms cast in SQL. Fifteen digits stay well below the counts' limit (2**53): a
# longer number goes through parse_count and its check. ASCII digits only: str.isdigit,
# which the row path uses for ids, also takes other scripts' digits (left to it).
_DIGITS = "[0-9]{1,15}"
_DECIMAL = "[0-9]{1,15}([.][0-9]{1,6})?"
_WS = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace())
_MARKERS = ", ".join("'" + m.replace("'", "''") + "'" for m in sorted(MISSING_MARKERS))


def _filled(values: Any, fill: Any) -> np.ndarray:
    """A fetched column as an object array with ``fill`` where SQL gave NULL
    (``np.ma.filled`` ignores a fill of None on an object array)."""
    out = np.asarray(np.ma.getdata(values)).astype(object)
    out[np.ma.getmaskarray(values)] = fill
    return out


def _flags(values: Any) -> np.ndarray:
    """A fetched boolean column, NULL as False."""
    return _filled(values, False).astype(bool)


class Columns:
    """One header group's data rows (blank rows left out), in the DuckDB table ``cells``
    (in file order, a table being scanned in insertion order; ``c<i>`` the header's i-th
    column, as written), seen through a parser's alias map (cells are read stripped as
    ``str.strip`` strips them). ``bad`` marks the rows whose file the row
    path must read instead."""

    def __init__(
        self,
        con,
        header: list[str],
        file_of_row: np.ndarray,
        line_of_row: np.ndarray,
        files: list[FileContext],
    ):
        self.con, self.header = con, header
        self.file_of_row, self.line_of_row, self.files = file_of_row, line_of_row, files
        self.n = len(file_of_row)
        self.bad = np.zeros(self.n, dtype=bool)
        self.index: dict[str, int] = {}
        self._raw: dict[str, pd.Series] = {}

    def use(self, aliases: dict[str, str]) -> dict[str, int]:
        """See the columns through a parser's alias table (``header_index``)."""
        self.index = header_index(RawSheet(None, self.header, []), aliases)
        return self.index

    def has(self, name: str) -> bool:
        return name in self.index

    def _select(self, *expressions: str) -> dict[str, Any]:
        # the expressions are built here from column positions and constants only
        sql = "select " + ", ".join(f"{e} as x{i}" for i, e in enumerate(expressions))
        # a table is scanned in insertion order (preserve_insertion_order is on)
        got = self.con.execute(sql + " from cells").fetchnumpy()
        return {f"x{i}": got[f"x{i}"] for i in range(len(expressions))}

    def _cell(self, name: str) -> str:
        return f"c{self.index[name]}"

    # ------------------------------------------------------------------ cells as text

    def raw(self, name: str) -> pd.Series:
        """A column's cells as ``Row.raw`` gives them (stripped as ``str.strip`` does;
        None where empty or the column is absent)."""
        if name not in self._raw:
            if name not in self.index:
                self._raw[name] = pd.Series([None] * self.n, dtype=object)
            else:
                c = self._cell(name)
                got = self._select(c, f"coalesce(regexp_matches({c}, '^[{_WS}]|[{_WS}]$'), false)")
                s = pd.Series(_filled(got["x0"], None), dtype=object)
                padded = _flags(got["x1"])
                if padded.any():
                    stripped = s[padded].str.strip()
                    s[padded] = stripped.where(stripped != "", None)
                self._raw[name] = s
        return self._raw[name]

    def text(self, name: str) -> pd.Series:
        """``Row.text``: the stripped text, None where empty."""
        return self.raw(name)

    def lowered(self, name: str) -> pd.Series:
        """The stripped text in lower case as Python lowers it, None where empty (labels)."""
        return self.raw(name).str.lower().astype(object).where(self.raw(name).notna(), None)

    def mark_bad(self, rows: pd.Series | np.ndarray) -> None:
        self.bad |= np.asarray(rows, dtype=bool)

    def by_value(self, todo: np.ndarray, texts: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
        """``fn`` of each distinct text in the ``todo`` rows; a text ``fn`` refuses marks
        its rows bad (the row path will say why). Other rows None."""
        out = pd.Series([None] * self.n, dtype=object)
        if not todo.any():
            return out
        seen: dict[str, Any] = {}
        refused = object()
        for value in texts[todo].unique():
            try:
                seen[value] = fn(value)
            except ValueError:
                seen[value] = refused
        rows = np.flatnonzero(todo)
        values = [seen[v] for v in texts.to_numpy()[rows]]
        failed = np.array([v is refused for v in values], dtype=bool)
        self.bad[rows[failed]] = True
        out.iloc[rows[~failed]] = [v for v, f in zip(values, failed, strict=True) if not f]
        return out

    def _plain(self, name: str, pattern: str, cast: str) -> tuple[Any, np.ndarray]:
        """(the cells of the plain form cast in SQL (masked elsewhere), rows of another
        form that is no missing marker)."""
        c = self._cell(name)
        got = self._select(
            f"case when regexp_full_match({c}, '{pattern}') then {cast} end",
            f"{c} is not null and lower({c}) not in ({_MARKERS}) "
            f"and not regexp_full_match({c}, '{pattern}')",
        )
        return got["x0"], _flags(got["x1"])

    # ------------------------------------------------------------------ values

    def count(self, name: str, decimal_comma: bool = False) -> pd.Series:
        """``Row.count``: whole numbers, None where missing or the column is absent."""
        if name not in self.index:
            return pd.Series(pd.NA, index=range(self.n), dtype="Int64")
        plain, other = self._plain(name, _DIGITS, f"{self._cell(name)}::bigint")
        out = pd.Series(
            pd.arrays.IntegerArray(
                np.ma.filled(plain, 0).astype("int64"), np.ma.getmaskarray(plain)
            )
        )
        if other.any():
            read = self.by_value(
                other, self.raw(name), lambda v: parse_count(v, decimal_comma=decimal_comma)
            )
            out[other] = read[other].astype("Int64")
        return out

    def _floats(self, name: str, pattern: str, fn: Callable[[str], Any]) -> pd.Series:
        if name not in self.index:
            return pd.Series([None] * self.n, dtype=object)
        plain, other = self._plain(name, pattern, f"{self._cell(name)}::double")
        out = pd.Series(_filled(plain, None), dtype=object)
        if other.any():
            read = self.by_value(other, self.raw(name), fn)
            out[other] = read[other]
        return out

    def decimal(self, name: str, decimal_comma: bool = False) -> pd.Series:
        """``Row.decimal``: plain digits in SQL, any other text through ``parse_decimal``."""
        # '2275.0676' is float('2275.0676') in an English file; in an Indonesian one
        # the point groups thousands, so only plain digits are cast there
        return self._floats(
            name,
            _DIGITS if decimal_comma else _DECIMAL,
            lambda v: parse_decimal(v, decimal_comma=decimal_comma),
        )

    def duration(self, name: str) -> pd.Series:
        """``Row.duration`` in seconds (``47``, ``47.5``, ``0:12``, ``0:16:02``)."""
        return self._floats(name, _DECIMAL, parse_duration_seconds)

    def ids(self, name: str, where: np.ndarray | None = None) -> pd.Series:
        """``row_id``: a run of digits; any other cell (empty, a marker, ``1.2E+17``)
        marks the row bad. Only rows in ``where`` (default all) are read."""
        rows = np.ones(self.n, dtype=bool) if where is None else np.asarray(where, dtype=bool)
        if name not in self.index:
            self.mark_bad(rows)
            return pd.Series([None] * self.n, dtype=object)
        c = self._cell(name)
        ok = _flags(self._select(f"regexp_full_match({c}, '[0-9]+')")["x0"])
        self.mark_bad(rows & ~ok)
        return self.raw(name).where(rows & ok, None)

    def datetimes(
        self, name: str, formats: tuple[str, ...], plain: tuple[str, str] | None = None
    ) -> pd.Series:
        """``Row.datetime``: naive date-times, NaT where missing. ``plain`` is a (regex,
        strptime format) pair cast in SQL; every other text goes through
        ``parse_fixed_datetime`` with ``formats``, as the row path reads it."""
        out = pd.Series(pd.NaT, index=range(self.n), dtype="datetime64[us]")
        if name not in self.index:
            return out
        if plain is not None:
            c = self._cell(name)
            got, other = self._plain(name, plain[0], f"try_strptime({c}, '{plain[1]}')::timestamp")
            cast = np.ma.getmaskarray(got)
            # a plain-looking text SQL could not read (31 February) is the row path's to judge
            failed = self._select(
                f"regexp_full_match({c}, '{plain[0]}') and try_strptime({c}, '{plain[1]}') is null"
            )["x0"]
            other = other | _flags(failed)
            out[~cast] = pd.to_datetime(np.ma.compressed(got)).astype("datetime64[us]")
        else:
            c = self._cell(name)
            other = _flags(
                self._select(f"{c} is not null and lower({c}) not in ({_MARKERS})")["x0"]
            )
        if other.any():
            read = self.by_value(other, self.raw(name), lambda v: parse_fixed_datetime(v, formats))
            done = other & read.notna().to_numpy()
            if done.any():
                out[done] = pd.to_datetime(read[done].tolist()).astype("datetime64[us]")
        return out

    # ------------------------------------------------------------------ time and lineage

    def instants(self, local: pd.Series, zone: ZoneInfo) -> pd.Series:
        """``to_instant`` of naive wall-clock times on ``zone``'s clock, as UTC. An hour
        the clock skips or repeats is read by ``to_instant`` itself (pandas and zoneinfo
        settle those differently)."""
        out = local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(UTC)
        odd = local.notna() & out.isna()
        for i in np.flatnonzero(odd.to_numpy()):
            out.iloc[i] = pd.Timestamp(to_instant(local.iloc[i].to_pydatetime(), zone))
        return out

    def per_file(self, values: list[Any]) -> pd.Series:
        return pd.Series(values, dtype=object).iloc[self.file_of_row].reset_index(drop=True)

    def local_times(self, instants: pd.Series) -> pd.Series:
        """``to_local``: each row's instant on its office's wall clock (naive)."""
        zones = self.per_file([f.office_timezone for f in self.files])
        out = pd.Series(pd.NaT, index=instants.index, dtype="datetime64[us]")
        for zone in zones.unique():
            rows = (zones == zone).to_numpy()
            out[rows] = instants[rows].dt.tz_convert(zone).dt.tz_localize(None)
        return out

    def posts(self, platform: str, columns: dict[str, Any]) -> pd.DataFrame:
        """The post snapshots (``POST_COLUMNS``) with their lineage, as the row path's
        records make them; a constant is given as a plain value."""
        lineage = {
            "platform": platform,
            "office_code": self.per_file([f.office_code for f in self.files]),
            "snapshot_at": self.per_file([f.snapshot_at for f in self.files]),
            "source_file": self.per_file([f.relative_path for f in self.files]),
            "source_sheet": None,
            "source_row": pd.Series(self.line_of_row, dtype="Int64"),
        }
        data = {}
        for name, value in {**lineage, **columns}.items():
            data[name] = (
                value.reset_index(drop=True)
                if isinstance(value, pd.Series)
                else pd.Series([value] * self.n, dtype=object)
            )
        df = pd.DataFrame(data, index=range(self.n))
        for name in ("published_at", "snapshot_at"):
            df[name] = pd.to_datetime(df[name], utc=True)
        return conform(df, POST_COLUMNS)
