"""The two ways a landing file is parsed give the same result.

CSV files of a recognised header group are read by DuckDB and converted a column at a
time (``medsos.parsers.csv_groups``); every other file, and every file with a cell the
row-by-row parser must judge, is read row by row. Each test below parses the same files
with the DuckDB path on and off (``MEDSOS_CSV_READER``) through the pipeline's own
``_parse_part`` and asserts identical manifest fields (status, kind, encoding, rows,
notes, quarantined rows with file, row, column and value) and identical post and
account-day frames; and that the DuckDB path really took the files it should.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from medsos.parsers import csv_groups
from medsos.pipeline.parse import _context, _parse_part
from medsos.registry import load_offices

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_REAL = Path(__file__).resolve().parents[2] / "shared" / "real-exports"
OFFICE = "35.07"
WEEK = "2025-W10"


def _entries(root: Path, files: list[Path]) -> list[dict]:
    entries = []
    for path in files:
        rel = str(path.relative_to(root))
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if not n.endswith("/")]
            rels = [f"{rel}::{m}" for m in members]
        else:
            rels = [rel]
        entries += [
            {"relative_path": r, "office_code": OFFICE, "delivery_week": WEEK, "status": "new"}
            for r in rels
        ]
    return entries


def _both_paths(monkeypatch, root: Path, entries: list[dict]):
    """(row path's result, DuckDB path's result, the DuckDB path's own reading)."""
    monkeypatch.setenv(csv_groups.READER_ENV, "python")
    by_rows = _parse_part(None, root, entries)
    monkeypatch.setenv(csv_groups.READER_ENV, "duckdb")
    by_groups = _parse_part(None, root, entries)
    office = load_offices()[OFFICE]
    groups, left = csv_groups.group_files(
        root, [(i, e["relative_path"], _context(e, office)) for i, e in enumerate(entries)]
    )
    read = csv_groups.read_groups(groups)
    taken = {entries[o.position]["relative_path"] for o in read.outcomes}
    why = {entries[i]["relative_path"]: reason for i, reason in {**left, **read.left}.items()}
    return by_rows, by_groups, taken, why


def _assert_same(by_rows, by_groups, entries) -> None:
    fields_rows, posts_rows, days_rows = by_rows
    fields_groups, posts_groups, days_groups = by_groups
    for entry, a, b in zip(entries, fields_rows, fields_groups, strict=True):
        assert a == b, entry["relative_path"]
    pd.testing.assert_frame_equal(posts_rows, posts_groups)
    pd.testing.assert_frame_equal(days_rows, days_groups)


def test_every_fixture_and_real_export_reads_the_same_both_ways(monkeypatch):
    roots = [FIXTURES] + ([SHARED_REAL] if SHARED_REAL.is_dir() else [])
    files = sorted(
        p
        for r in roots
        for p in r.rglob("*")
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".jsonl", ".zip")
    )
    root = Path(os.path.commonpath(files))  # a folder above both
    entries = _entries(root, files)
    by_rows, by_groups, taken, why = _both_paths(monkeypatch, root, entries)
    _assert_same(by_rows, by_groups, entries)
    taken_names = {t.rsplit("/", 1)[-1] for t in taken}
    # the real content exports of Instagram, Facebook and X, and the clean fixtures,
    # are read by DuckDB; the rest by rows, each for a reason
    assert {
        "Mar-18-2025_Apr-14-2025_578982927868853.csv",
        "Mar-18-2025_Apr-14-2025_1019826952924933.csv",
        "Jan-14-2025_Apr-14-2025_1396269028466733.csv",
        "account_analytics_content_2024-11-21_2025-02-19.csv",
        "ig_content_en.csv",
        "fb_content_en_legacy.csv",
        "account_analytics_content_reordered.csv",
    } <= taken_names
    rows_taken = sum(
        f["rows_parsed"]
        for f, e in zip(by_groups[0], entries, strict=True)
        if e["relative_path"] in taken
    )
    assert rows_taken > 300
    assert any(r.endswith("utf16.csv") for r in why)
    assert all(why[r] for r in why)
    # YouTube's tables: a header no column reader knows, the row path's at once
    assert (
        {r for r, reason in why.items() if reason == csv_groups.NO_COLUMN_READER}
        >= {r for r in why if "/youtube/" in r and r.endswith(".csv") and "utf16" not in r}
        != set()
    )


# the fixture as Meta writes it (LF; the fixture file itself was saved with CRLF)
CLEAN_IG = (FIXTURES / "instagram" / "ig_content_en.csv").read_bytes().replace(b"\r\n", b"\n")
CLEAN_X = (FIXTURES / "x" / "account_analytics_content_reordered.csv").read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _replace_cell(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


def _x_row(post_id: str, link: str, counts: str = "0,0,0,0,0,0") -> bytes:
    return f'{post_id},"Fri, Feb 16, 2024",Teks,{link},{counts}\n'.encode()


# (name, bytes, None when DuckDB takes it, else the reason it is left to the row path)
VARIANTS = [
    ("clean.csv", CLEAN_IG, None),
    ("crlf.csv", CLEAN_IG.replace(b"\n", b"\r\n"), None),
    ("no_bom.csv", CLEAN_IG.removeprefix(b"\xef\xbb\xbf"), None),
    ("padded.csv", _replace_cell(CLEAN_IG, b",950,", b",  950 ,"), None),
    ("padded_marker.csv", _replace_cell(CLEAN_IG, b",950,", b", - ,"), None),
    ("short_row.csv", CLEAN_IG.rstrip(b"\n").rsplit(b",", 3)[0] + b"\n", None),
    ("blank_row_of_commas.csv", CLEAN_IG + b",,,,,,,,,,,,,,,,,\n", None),
    ("dst_gap.csv", _replace_cell(CLEAN_IG, b"03/26/2026 16:08", b"03/08/2026 02:30"), None),
    ("dst_overlap.csv", _replace_cell(CLEAN_IG, b"03/26/2026 16:08", b"11/01/2026 01:30"), None),
    (
        "bad_count.csv",
        _replace_cell(CLEAN_IG, b",950,", b",95O,"),
        "a cell the row path must judge",
    ),
    (
        "bad_type.csv",
        _replace_cell(CLEAN_IG, b"IG reel", b"IG hologram"),
        "a cell the row path must judge",
    ),
    (
        "day_first.csv",
        _replace_cell(CLEAN_IG, b"03/26/2026 16:08", b"26/03/2026 16:08"),
        "a cell the row path must judge",
    ),
    (
        "no_time.csv",
        _replace_cell(CLEAN_IG, b"03/26/2026 16:08", b""),
        "a cell the row path must judge",
    ),
    (
        "feb_30.csv",
        _replace_cell(CLEAN_IG, b"03/26/2026 16:08", b"02/30/2026 16:08"),
        "a cell the row path must judge",
    ),
    (
        "sci_id.csv",
        _replace_cell(CLEAN_IG, b"17990000000000002,", b"1.799E+16,"),
        "a cell the row path must judge",
    ),
    (
        "huge_count.csv",
        _replace_cell(CLEAN_IG, b",950,", b",99999999999999999999,"),
        "a cell the row path must judge",
    ),
    ("compact_count.csv", _replace_cell(CLEAN_IG, b",950,", b",1.2K,"), None),
    (
        "blank_line.csv",
        CLEAN_IG.replace(b"\n", b"\n\n", 2),
        "its lines do not add up",
    ),
    # a cell beyond the header is read by neither path
    ("extra_cell.csv", CLEAN_IG + _lines(CLEAN_IG)[-2] + b",extra\n", None),
    ("stray_quote.csv", CLEAN_IG + b'1799,1784,"a"b""c,\n', "DuckDB could not read it"),
    ("no_final_newline.csv", CLEAN_IG.rstrip(b"\n"), "no line break at the end"),
    (
        "cut.csv",
        CLEAN_IG + b'17990000000000099,17841400000000001,kpu_kab_contoh,KPU,"Cut off\n',
        "an odd number of quote characters (cut off?)",
    ),
    ("semicolon.csv", CLEAN_IG.replace(b",", b";"), "separated by ';'"),
    ("cp1252.csv", CLEAN_IG.decode("utf-8-sig").replace("🗳️", "é").encode("cp1252"), "not UTF-8"),
    (
        "lone_cr.csv",
        _replace_cell(CLEAN_IG, b"Caranya", b"\rCaranya"),
        "a carriage return without a line feed",
    ),
    ("x_clean.csv", CLEAN_X, None),
    (
        "x_phantom.csv",
        CLEAN_X + _x_row("", "https://x.com/i/status/undefined"),
        "a cell the row path must judge",
    ),
    (
        "x_phantom_counts.csv",
        CLEAN_X + _x_row("", "https://x.com/i/status/undefined", "5,0,0,0,0,0"),
        "a cell the row path must judge",
    ),
    (
        "x_date_far.csv",
        _replace_cell(CLEAN_X, b"Fri, Feb 16, 2024", b"Fri, Mar 22, 2024"),
        "a cell the row path must judge",
    ),
    ("x_day_near.csv", _replace_cell(CLEAN_X, b"Fri, Feb 16, 2024", b"Sat, Feb 17, 2024"), None),
    ("x_no_date.csv", _replace_cell(CLEAN_X, b'"Fri, Feb 16, 2024"', b""), None),
]


@pytest.mark.parametrize("name,data,reason", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_a_variant_reads_the_same_both_ways(monkeypatch, tmp_path, name, data, reason):
    # a second, clean file shares the group, so a messy file never decides for others
    (tmp_path / name).write_bytes(data)
    companion = "companion_x.csv" if name.startswith("x_") else "companion.csv"
    (tmp_path / companion).write_bytes(CLEAN_X if name.startswith("x_") else CLEAN_IG)
    entries = _entries(tmp_path, [tmp_path / name, tmp_path / companion])
    by_rows, by_groups, taken, why = _both_paths(monkeypatch, tmp_path, entries)
    _assert_same(by_rows, by_groups, entries)
    assert companion in taken
    if reason is None:
        assert name in taken, why.get(name)
    else:
        assert name not in taken
        assert why[name].startswith(reason)


def test_a_cell_left_to_the_row_path_is_still_named(monkeypatch, tmp_path):
    (tmp_path / "bad.csv").write_bytes(_replace_cell(CLEAN_IG, b",950,", b",95O,"))
    entries = _entries(tmp_path, [tmp_path / "bad.csv"])
    monkeypatch.setenv(csv_groups.READER_ENV, "duckdb")
    fields, posts, _ = _parse_part(None, tmp_path, entries)
    (reject,) = fields[0]["parse_rejects"]
    assert (
        reject["source_file"],
        reject["source_row"],
        reject["column_name"],
        reject["value"],
    ) == (
        "bad.csv",
        2,
        "Reach",
        "95O",
    )
    assert len(posts) == fields[0]["rows_in_file"] - 1  # the other rows still load


def test_line_numbers_count_line_breaks_inside_cells(monkeypatch, tmp_path):
    (tmp_path / "a.csv").write_bytes(CLEAN_IG)
    entries = _entries(tmp_path, [tmp_path / "a.csv"])
    monkeypatch.setenv(csv_groups.READER_ENV, "duckdb")
    _, posts, _ = _parse_part(None, tmp_path, entries)
    # the first caption holds a line break: the second post starts on line 4
    assert posts["source_row"].tolist()[:2] == [2, 4]


def test_a_kept_connection_reads_every_group_as_a_fresh_one(monkeypatch, tmp_path):
    # one connection for a backfill's weeks: a group read after others (one of them with
    # a file DuckDB refuses) reads as it would alone, and nothing is left between reads
    for name, data in [
        ("ig.csv", CLEAN_IG),
        ("x.csv", CLEAN_X),
        ("ig_stray_quote.csv", CLEAN_IG + b'1799,1784,"a"b""c,\n'),
    ]:
        (tmp_path / name).write_bytes(data)
    entries = _entries(tmp_path, sorted(tmp_path.glob("*.csv")))
    office = load_offices()[OFFICE]
    files = [(i, e["relative_path"], _context(e, office)) for i, e in enumerate(entries)]
    groups, _ = csv_groups.group_files(tmp_path, files)
    alone = [csv_groups.read_groups({k: v}) for k, v in groups.items()]
    with csv_groups.connection_kept():
        for _ in range(2):
            kept = [csv_groups.read_groups({k: v}) for k, v in groups.items()]
            for a, b in zip(alone, kept, strict=True):
                pd.testing.assert_frame_equal(a.posts, b.posts)
                assert [o.fields for o in a.outcomes] == [o.fields for o in b.outcomes]
                assert a.left == b.left
            con = csv_groups._kept.con
            assert con.sql("select table_name from duckdb_tables()").fetchall() == []
    assert csv_groups._kept.con is None  # closed with the block
    assert any(r.left for r in alone)  # the broken file was refused, as meant


def test_a_file_changed_before_a_worker_reads_it_again_goes_to_the_row_path(tmp_path):
    # a worker gets the files' paths, not their bytes (csv_groups.without_bodies): a file
    # rewritten meanwhile (another length, or the same length saved again) is not read
    # with what was seen of it before; the row path reads it as it is now
    for name in ("a.csv", "b.csv", "c.csv"):
        (tmp_path / name).write_bytes(CLEAN_IG)
    entries = _entries(tmp_path, sorted(tmp_path.glob("*.csv")))
    office = load_offices()[OFFICE]
    files = [(i, e["relative_path"], _context(e, office)) for i, e in enumerate(entries)]
    groups, _ = csv_groups.group_files(tmp_path, files)
    sent = csv_groups.without_bodies(groups)
    assert all(c.body is None for members in sent.values() for c in members)
    (tmp_path / "b.csv").write_bytes(CLEAN_IG + _lines(CLEAN_IG)[-2])  # a row more
    same_size = CLEAN_IG.replace(b",950,", b",951,")
    assert len(same_size) == len(CLEAN_IG) and same_size != CLEAN_IG
    (tmp_path / "c.csv").write_bytes(same_size)
    stat = (tmp_path / "c.csv").stat()
    os.utime(tmp_path / "c.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    read = csv_groups.read_groups(sent)
    assert [entries[o.position]["relative_path"] for o in read.outcomes] == ["a.csv"]
    assert read.left == {
        1: "changed while the batch was read",
        2: "changed while the batch was read",
    }
    alone = csv_groups.read_groups({k: v[:1] for k, v in groups.items()})
    pd.testing.assert_frame_equal(read.posts, alone.posts)
