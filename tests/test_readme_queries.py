"""The README's ready-made queries, run as a staffer would (`medsos query`) on the demo's
data: each one runs and finds something in the demo's last week, and captions print on
one readable line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from medsos import weeks
from medsos.demo import BAD_ROW, QUIET_INSTAGRAM, SILENT_OFFICE, STRAY_PHOTO, prepare
from medsos.pipeline import run_week

README = Path(__file__).resolve().parents[1] / "README.md"
FIRST, LAST = "2024-W06", "2024-W09"


def ready_made_queries() -> list[tuple[str, str]]:
    """(caption, SQL) of every statement in the README's ready-made block."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("### Ready-made queries"):]
    block = block[block.index("```sql") + 6:]
    block = block[:block.index("```")]
    out, caption = [], ""
    for statement in (s.strip() for s in block.split(";")):
        if not statement:
            continue
        comments = [line for line in statement.splitlines() if line.startswith("--")]
        caption = comments[-1][3:] if comments else caption
        sql = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        out.append((caption, sql))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import os

    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("MEDSOS_")]:
            mp.delenv(name)  # the demo works only in its own folder
        settings = prepare(tmp_path_factory.mktemp("readme") / "demo", FIRST, LAST)
    for week in weeks.weeks_between(FIRST, LAST):
        run_week(settings, week, send=False)
    return settings


def query(settings, sql: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medsos.cli", "query", sql, "--published", str(settings.published),
                           *extra], capture_output=True, text=True, timeout=120)


QUERIES = ready_made_queries()


def test_the_readme_has_its_queries():
    assert len(QUERIES) >= 12
    assert all(LAST in sql for caption, sql in QUERIES if "minggu ini" in caption)


@pytest.mark.parametrize("caption, sql", QUERIES, ids=[f"{i + 1}" for i in range(len(QUERIES))])
def test_each_query_finds_something_on_the_demo_week(demo, caption, sql):
    out = query(demo, sql, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = out.stdout.lstrip("\ufeff").strip().splitlines()
    assert len(rows) >= 2, f"{caption}: no rows\n{sql}"


def test_the_demos_mistakes_are_what_the_queries_find(demo):
    missing = query(demo, f"""select distinct office_code from marts.weekly_cadence
                              where iso_week = '{LAST}' and data_status = 'missing'""", "--format", "csv")
    assert SILENT_OFFICE in missing.stdout
    quiet = query(demo, f"""select office_code, weeks_active_last_4 from marts.office_rolling
                            where platform = 'instagram' and iso_week = '{LAST}' and office_code = '{QUIET_INSTAGRAM[0]}'""",
                  "--format", "csv")
    assert f"{QUIET_INSTAGRAM[0]},1" in quiet.stdout
    photo = query(demo, "select relative_path, status from raw.files where status = 'rejected'", "--format", "csv")
    assert f"{LAST}/{STRAY_PHOTO}/foto_rapat_koordinasi.jpg,rejected" in photo.stdout
    held = query(demo, "select source_file, column_name, value from raw.quarantine", "--format", "csv")
    assert f"{LAST}/{BAD_ROW}/" in held.stdout and ",likes,-5" in held.stdout


def test_captions_print_on_one_line(demo):
    out = query(demo, "select caption from core.posts where caption like '%' || chr(10) || '%' limit 3",
                "--max-width", "400")
    assert out.returncode == 0, out.stderr
    body = [line for line in out.stdout.splitlines() if line.startswith("│")][2:]
    assert body and not any("\\n" in line for line in body), out.stdout
    assert re.search(r"\S \S", body[0])
