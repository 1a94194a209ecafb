"""`medsos query` as staff use it: piped into head, opened in Excel, read in a terminal."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import duckdb
import pytest


@pytest.fixture
def published(tmp_path):
    path = tmp_path / "published" / "medsos.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute("""create table kantor as
                   select i as nomor, 'KPU Kabupaten Pacitan é 🗳️ ' || i as nama, i % 2 = 0 as memenuhi,
                          case when i % 3 = 0 then null else i * 1.5 end as nilai
                   from range(1, 2001) t(i)""")
    con.close()
    return path


def medsos(*args: str, published) -> list[str]:
    return [sys.executable, "-m", "medsos.cli", "query", *args, "--published", str(published)]


def test_piped_into_head_it_ends_quietly(published):
    for fmt in ("table", "csv"):
        command = " ".join(f"'{a}'" for a in medsos("select * from kantor", "--format", fmt,
                                                     "--max-rows", "5000", published=published))
        out = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | head -1"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "BrokenPipe" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_csv_opens_in_excel_as_utf8(published):
    out = subprocess.run(medsos("select * from kantor order by nomor limit 3", "--format", "csv",
                                published=published), capture_output=True, check=True)
    assert out.stdout.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(out.stdout.decode("utf-8-sig"))))
    assert rows[0] == ["nomor", "nama", "memenuhi", "nilai"]
    assert rows[1] == ["1", "KPU Kabupaten Pacitan é 🗳️ 1", "tidak", "1.5"]
    assert rows[3] == ["3", "KPU Kabupaten Pacitan é 🗳️ 3", "tidak", ""]  # NULL stays empty
    assert rows[2][2] == "ya"


def test_xlsx_has_a_frozen_header_and_a_filter(published, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "hasil.xlsx"
    out = subprocess.run(medsos("select * from kantor order by nomor", "--format", "xlsx", "--output",
                                str(target), published=published), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ws = load_workbook(target).active
    assert [c.value for c in ws[1]] == ["nomor", "nama", "memenuhi", "nilai"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D2001"
    assert (ws["A2"].value, ws["C2"].value, ws["D4"].value) == (1, "tidak", None)
    assert ws.column_dimensions["B"].width > 20
    refused = subprocess.run(medsos("select 1", "--format", "xlsx", published=published),
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--output" in refused.stderr


def test_table_width_follows_the_terminal(published):
    wide = "select " + ", ".join(f"nomor * {i} as kolom_{i}" for i in range(1, 16)) + " from kantor limit 3"
    lines = {}
    for columns in ("60", "250"):
        out = subprocess.run(medsos(wide, published=published), capture_output=True, text=True, check=True,
                             env=os.environ | {"COLUMNS": columns})
        lines[columns] = max(len(line) for line in out.stdout.splitlines())
    # DuckDB keeps at least a few columns, so a narrow terminal can still wrap a little
    assert lines["60"] < lines["250"] <= 250, lines


def test_help_explains_each_option():
    out = subprocess.run([sys.executable, "-m", "medsos.cli", "query", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for words in ("UTF-8 with a BOM", "terminal's width", "rows shown", "workbook to write"):
        assert words in " ".join(out.split()), words
