"""Parse where the bytes are: the CSV files of a recognised header group read by DuckDB.

A national week brings about 1,660 CSV exports in a handful of shapes (one header line
per platform and UI language). Reading them row by row in Python costs far more than
DuckDB's C reader: here the files of a batch are grouped by their header line (and line
ending), the group's parser is found from the header, the group's files are joined into
one text, each file's rows closed by a sentinel row naming it (one ``read_csv`` per small
file would cost DuckDB as much as the row path), DuckDB reads it once (every cell as
text), and the parser converts the cells a column at a time
(``ExportParser.read_columns``, with ``medsos.parsers.columns``).

Chosen per file, the row path (``medsos.parsers.sheets`` + ``parser.parse``) still reads
every file this path does not take, and so every file with anything to say:

- before reading: a ZIP member, an XLSX or JSON lines file, a file that is not plain
  UTF-8 (Windows-1252, UTF-16, mixed), one with a stray carriage return, an odd number
  of quote characters (a cut download), no line break at the end (the row path checks
  whether its last row was cut off), a ``sep=`` line, ``;`` separators, a header over
  several lines or of fewer than two columns, or a header no parser with a column reader
  recognises (TikTok's and YouTube's exports, Meta's daily files, …);
- after reading: a file DuckDB could not read (found by halving the group), one whose
  line count does not add up (blank lines, which DuckDB skips; rows it could not split;
  a line break in a column not read), and one with any cell the column reader cannot
  read without error.

So this path yields only what the row path would yield for a file without problems
(``tests/test_csv_groups.py`` compares both on every fixture and real export), and every
problem is still reported by the row path with file, row, column and value. Set
``MEDSOS_CSV_READER=python`` to read every file by the row path.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medsos.parsers.base import FileContext
from medsos.parsers.columns import Columns
from medsos.parsers.sheets import ParseError, RawFile, RawSheet, header_index
from medsos.processes import KeptPerThread

log = logging.getLogger(__name__)

READER_ENV = "MEDSOS_CSV_READER"
MEMBER_SEPARATOR = "::"  # medsos.landing's, for a ZIP member (not imported: no cycle)


# Ends each file's rows in the joined text DuckDB reads; no export has this byte.
SENTINEL = b"\x01"
# what str.strip() takes off both ends, which is how the row path strips a cell
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
WHITESPACE_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)  # for an RE2 [...]


def enabled() -> bool:
    return os.environ.get(READER_ENV, "duckdb").strip().lower() != "python"


@dataclass
class Candidate:
    """A file this path may read: where it is, who sent it, and what its bytes showed."""

    position: int  # in the caller's list
    ctx: FileContext
    path: Path
    encoding: str  # 'utf-8' or 'utf-8-sig', as the row path names it
    lines: int  # physical lines, the header's included
    body: bytes | None  # the bytes after the header line (None: to be read again)
    body_size: int = -1  # their length, to see that the file read again is the same
    modified_ns: int = 0  # the file's time when it was first read, to the same end

    def __post_init__(self) -> None:
        if self.body is not None:
            self.body_size = len(self.body)


def without_bodies(groups: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
    """The groups as another process gets them: without the files' bytes, which it reads
    again from the landing zone. A national week's CSV bodies are tens of megabytes,
    and a pipe passes them in small pieces, each waiting for the sending process's
    lock (the parse's busy process): reading them again from the page cache costs far
    less."""
    return {
        key: [
            dataclasses.replace(c, body=None, body_size=c.body_size, modified_ns=c.modified_ns)
            for c in candidates
        ]
        for key, candidates in groups.items()
    }


def _with_bodies(candidates: list[Candidate]) -> tuple[list[Candidate], dict[int, str]]:
    """The candidates with their bytes, read again where left out; a file whose bytes
    changed since they were first read is for the row path, which reads it as it is now."""
    ready: list[Candidate] = []
    changed: dict[int, str] = {}
    for c in candidates:
        if c.body is not None:
            ready.append(c)
            continue
        try:
            modified_ns = c.path.stat().st_mtime_ns
            data = c.path.read_bytes()
        except OSError:
            changed[c.position] = "unreadable when read again"
            continue
        if c.encoding == "utf-8-sig":
            data = data[len(codecs.BOM_UTF8) :]
        body = data.partition(b"\n")[2]
        if len(body) != c.body_size or modified_ns != c.modified_ns:
            changed[c.position] = "changed while the batch was read"
            continue
        ready.append(dataclasses.replace(c, body=body))
    return ready, changed


@dataclass
class FileOutcome:
    """What the row path's manifest fields would say of a file read here."""

    position: int
    fields: dict[str, Any]


@dataclass
class GroupsRead:
    posts: pd.DataFrame  # POST_COLUMNS plus ``_position`` (the file's place in the list)
    outcomes: list[FileOutcome]
    left: dict[int, str]  # position -> why the row path reads that file
    # a parse worker's rows travel as a Parquet file (medsos.pipeline.parse): ``posts``
    # is then empty until the file is read
    posts_file: str | None = None


def sniff(data: bytes) -> tuple[str, str, int, bytes] | str:
    """(header line, encoding, physical lines, the bytes after the header) of a file this
    path can read, else why not."""
    if not data.strip():
        return "empty"
    if data[:2] == b"PK" or b"\x00" in data:
        return "a workbook, UTF-16 or binary"
    if not data.endswith(b"\n"):
        # the row path checks whether the last row was cut off (short rows read here
        # are padded with empty cells, as the row path reads them)
        return "no line break at the end"
    encoding, body = "utf-8", data
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if SENTINEL in body:
        return "a control character (\\x01)"
    if body.count(b"\r") != body.count(b"\r\n"):
        return "a carriage return without a line feed"
    if body.count(b'"') % 2:
        return "an odd number of quote characters (cut off?)"
    first_bytes, _, rest = body.partition(b"\n")
    first = first_bytes.decode("utf-8")
    header = first.rstrip("\r")
    if not header.strip():
        return "a blank first line"
    if header[:4].lower() == "sep=":
        return "a 'sep=' line"
    if first.count(";") > first.count(","):
        return "separated by ';'"
    if header.count('"') % 2:
        return "a header over several lines"
    return header, encoding, body.count(b"\n"), rest


def group_files(
    landing_root: Path, files: list[tuple[int, str, FileContext]]
) -> tuple[dict[str, list[Candidate]], dict[int, str]]:
    """The files (position, relative path, context) this path may read, by header line,
    and why each other CSV file is left to the row path."""
    groups: dict[str, list[Candidate]] = {}
    left: dict[int, str] = {}
    # first line as written -> whether a column reader knows it: a file whose header none
    # knows (YouTube's table) goes to the row path without the sniff's passes over its
    # bytes, which the row path makes again (a national week's 553 tables in the task's
    # own process)
    known: dict[bytes, bool] = {}
    for position, rel, ctx in files:
        if MEMBER_SEPARATOR in rel or not rel.lower().endswith(".csv"):
            continue
        path = landing_root / rel
        try:
            modified_ns = path.stat().st_mtime_ns
            data = path.read_bytes()
        except OSError:
            left[position] = "unreadable"  # the row path says what is wrong with it
            continue
        first_line = data.partition(b"\n")[0]
        if known.get(first_line) is False:
            left[position] = NO_COLUMN_READER
            continue
        sniffed = sniff(data)
        if isinstance(sniffed, str):
            left[position] = sniffed
            continue
        header, encoding, lines, rest = sniffed
        # files ending their lines differently are read apart: DuckDB takes one line
        # ending per read (a CRLF file may still hold LF inside a quoted cell)
        key = header + ("\r\n" if first_line.endswith(b"\r") else "\n")
        candidate = Candidate(position, ctx, path, encoding, lines, rest, modified_ns=modified_ns)
        if first_line not in known:
            known[first_line] = readable(key, [candidate])
        if not known[first_line]:
            left[position] = NO_COLUMN_READER
            continue
        groups.setdefault(key, []).append(candidate)
    return groups, left


NO_COLUMN_READER = "no column reader knows its header"


def read_groups(groups: dict[str, list[Candidate]]) -> GroupsRead:
    """Read every group whose header a column reader recognises; the files left out of
    ``outcomes`` are for the row path (``left`` says why)."""
    frames: list[pd.DataFrame] = []
    outcomes: list[FileOutcome] = []
    left: dict[int, str] = {}
    for header_line, some in groups.items():
        candidates, changed = _with_bodies(some)
        left.update(changed)
        if not candidates:
            continue
        read = _read_group(header_line, candidates)
        if isinstance(read, str):
            left.update((c.position, read) for c in candidates)
            continue
        frames.append(read.posts)
        outcomes.extend(read.outcomes)
        left.update(read.left)
    posts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return GroupsRead(posts, outcomes, left)


def readable(key: str, candidates: list[Candidate]) -> bool:
    """Whether a group's header (``key``, as ``group_files`` gives it) has a column reader:
    the files of any other group are the row path's from the start."""
    header = [c.strip() for c in next(csv.reader([key.rstrip("\r\n")]))]
    return sum(1 for c in header if c) >= 2 and _parser_for(header, candidates[0]) is not None


def combine(reads: list[GroupsRead]) -> GroupsRead:
    """The groups of several ``read_groups`` calls as one (each file is in one of them)."""
    frames = [r.posts for r in reads if len(r.posts)]
    return GroupsRead(
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
        [o for r in reads for o in r.outcomes],
        {k: v for r in reads for k, v in r.left.items()},
    )


# A process that reads groups week after week (the parse of a backfill, its workers)
# keeps one DuckDB connection: opening one costs about 12 ms, and a national week reads
# four groups. One thread: each query's threads cost more than these small tables gain
# (a column's select 0.8 ms against 0.25 ms), and the processes already share the cores.
def _new_connection():
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    con.execute("set enable_progress_bar = false")
    return con


def _tidy(con) -> None:
    # what a group leaves behind (store_rejects' tables grow with every read)
    for table in ("cells", "temp.reject_errors", "temp.reject_scans"):
        con.execute(f"drop table if exists {table}")


_connections = KeptPerThread(_new_connection, _tidy)
_kept = _connections.local
# every ``read_groups`` call of this thread inside the block reads on one connection
connection_kept = _connections.kept
# for a worker process (a pool's initializer): the connection kept as long as it lives
keep_connection_for_good = _connections.keep_for_good


def _parser_for(header: list[str], first: Candidate):
    from medsos.parsers import detect

    raw = RawFile(first.path, first.ctx.relative_path, first.encoding, [RawSheet(None, header, [])])
    try:
        parser = detect(raw)
    except ParseError:
        return None
    return parser if hasattr(parser, "read_columns") else None


def _load(
    con,
    select: str,
    names: list[str],
    ending: bytes,
    candidates: list[Candidate],
    todo: list[int],
    refused: dict[int, str],
) -> None:
    """Append the rows of the files ``todo`` (indexes into ``candidates``) to ``cells``.

    The files' rows are joined into one text, each file's followed by a line holding
    only the sentinel and the file's index, and DuckDB reads that text once: reading
    each small file on its own costs DuckDB about as much as the whole row path. The
    sentinels come back as rows and say which file each row is from; they must all come
    back, in order, or the join is not trusted. A file DuckDB cannot read (a stray quote
    stops the whole read) is found by halving the list, so it alone goes to the row path.
    """
    import duckdb

    before = con.execute("select count(*) from cells").fetchall()[0][0]
    # the joined text lives as long as this block (removed on closing, even after an error)
    with tempfile.NamedTemporaryFile(prefix="medsos-csv-group-", suffix=".csv") as fh:
        # a header line of its own: DuckDB's sniffer fails on text that starts with a
        # quoted cell holding a blank line
        fh.write(",".join(names).encode() + ending)
        for i in todo:
            body = candidates[i].body
            assert body is not None, "read again by read_groups"
            fh.write(body)
            end = b"\r\n" if body.endswith(b"\r\n") else b"\n"
            # as wide as the header, so DuckDB's sniffer sees one shape of row
            fh.write(SENTINEL + str(i).encode() + b"," * (len(names) - 1) + end)
        fh.flush()
        try:
            con.execute(f"insert into cells {select}", {"file": fh.name, "names": names})
            marks = [
                r[0]
                for r in con.execute(
                    "select file_no from cells where rowid >= ? and is_mark", [before]
                ).fetchall()
            ]
            trusted = marks == todo
        except duckdb.Error as exc:
            trusted, marks = False, None
            # (the temporary file's name says nothing to anyone)
            first_line = str(exc).splitlines()[0].replace(f'"{fh.name}"', "the joined files")
            reason = f"DuckDB could not read it ({first_line[:200]})"
    if trusted:
        return
    if marks is not None:
        con.execute("delete from cells where rowid >= ?", [before])
        reason = "DuckDB read its rows differently (the file's end was not where it ends)"
    if len(todo) == 1:
        refused[todo[0]] = reason
        return
    half = len(todo) // 2
    _load(con, select, names, ending, candidates, todo[:half], refused)
    _load(con, select, names, ending, candidates, todo[half:], refused)


def _read_group(key: str, candidates: list[Candidate]) -> GroupsRead | str:
    header_line = key.rstrip("\r\n")
    ending = key[len(header_line) :].encode()
    header = [c.strip() for c in next(csv.reader([header_line]))]
    if sum(1 for c in header if c) < 2:
        return "a title line or one column"  # the row path knows those shapes
    width = len(header)
    parser = _parser_for(header, candidates[0])
    if parser is None:
        return "a header no column reader recognises"
    names = [f"c{i}" for i in range(width)]  # the SQL below is built from these and constants
    used = sorted(set(header_index(RawSheet(None, header, []), parser.column_aliases).values()))
    with _connections.using() as con:
        # Cells stay as written (Columns strips them as str.strip() does); only the
        # parser's columns are kept, with their line breaks counted for the row's line
        # number. A line break in another column leaves the file's line count short:
        # the check below then gives the file to the row path.
        newlines = (
            " + ".join(
                f"case when contains(c{i}, chr(10)) then strlen(c{i}) - strlen(replace(c{i}, chr(10), '')) else 0 end"
                for i in used
            )
            or "0"
        )
        select = (
            "select case when starts_with(c0, chr(1)) then try_cast(substr(c0, 2) as bigint) end as file_no, "
            "coalesce(starts_with(c0, chr(1)), false) as is_mark, "
            f"{newlines} as newlines, coalesce({', '.join(names)}) is null as blank"
            + "".join(f", c{i}" for i in used)
            + " from read_csv($file, header = true, names = $names, all_varchar = true, "
            "delim = ',', quote = '\"', escape = '\"', store_rejects = true, "
            # a short row is padded with empty cells as the row path pads it; padding
            # needs the serial reader when a quoted cell holds a line break
            "null_padding = true, parallel = false)"
        )
        con.execute(
            "create table cells (file_no bigint, is_mark boolean, newlines bigint, blank boolean"
            + "".join(f", c{i} varchar" for i in used)
            + ")"
        )
        refused: dict[int, str] = {}
        _load(con, select, names, ending, candidates, list(range(len(candidates))), refused)
        if len(refused) == len(candidates):
            return next(iter(refused.values()))
        # (a table is scanned in insertion order: preserve_insertion_order is on)
        got = con.execute("select file_no, is_mark, newlines, blank from cells").fetchnumpy()
        is_mark = np.asarray(got["is_mark"], dtype=bool)
        # a row belongs to the file whose sentinel comes next
        file_no = (
            pd.Series(np.where(is_mark, np.ma.filled(got["file_no"], -1), np.nan))
            .bfill()
            .to_numpy()
            .astype(np.int64)
        )
        con.execute("delete from cells where is_mark")
        data_rows = ~is_mark
        file_no = file_no[data_rows]
        steps = np.asarray(got["newlines"], dtype=np.int64)[data_rows] + 1
        line = (2 + pd.Series(steps).groupby(file_no).cumsum().to_numpy() - steps).astype(np.int64)
        ok = np.array([i not in refused for i in range(len(candidates))], dtype=bool)
        left = {candidates[i].position: reason for i, reason in refused.items()}
        # the last row must end on the file's last line: DuckDB skips blank lines and
        # rows it cannot split, and a line break may sit in a column not kept; the row
        # path reads such a file
        ends = pd.Series(line + steps - 1).groupby(file_no).max()
        for i, c in enumerate(candidates):
            if ok[i] and int(ends.get(i, 1)) != c.lines:
                ok[i] = False
                left[c.position] = (
                    "its lines do not add up (a blank line, a row DuckDB could not split, "
                    "or a line break in a column not read)"
                )
        blank = np.asarray(got["blank"], dtype=bool)[data_rows]
        con.execute("delete from cells where blank")
        file_no, line = file_no[~blank], line[~blank]
        cols = Columns(con, header, file_no, line, [c.ctx for c in candidates])
        posts = parser.read_columns(cols)
    if posts is None:
        return "without a column the parser requires"
    bad_files = set(np.unique(file_no[cols.bad]).tolist())
    for i in bad_files:
        if ok[i]:
            ok[i] = False
            left[candidates[i].position] = "a cell the row path must judge"
    keep = ok[file_no]
    posts = posts[keep].reset_index(drop=True)
    posts["_position"] = np.array([c.position for c in candidates])[file_no[keep]]
    rows = pd.Series(file_no[keep]).value_counts()
    outcomes = []
    for i, c in enumerate(candidates):
        if not ok[i]:
            continue
        n = int(rows.get(i, 0))
        outcomes.append(
            FileOutcome(
                c.position,
                {
                    "platform": parser.platform,
                    "export_kind": parser.kind,
                    "encoding": c.encoding,
                    "rows_in_file": n,
                    "lists_posts": bool(getattr(parser, "lists_posts", True)),
                    "status": "parsed",
                    "rows_parsed": n,
                    "rows_skipped": 0,
                    "notes": [],
                    "parse_rejects": [],
                },
            )
        )
    return GroupsRead(posts, outcomes, left)
