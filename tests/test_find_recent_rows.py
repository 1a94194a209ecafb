"""The row-count check compares a new export with the median rows of the account's last
four loaded files (latest week first, then path), as find reads them from the warehouse
(``recent_rows`` in the batch manifest): the files of older weeks do not count."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from instagram_exports import IG_HEADER, ig_row

from medsos.pipeline import find_new_files, load_week, new_run_id
from medsos.pipeline.batch import FILES_JSON


@pytest.fixture
def kediri(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "office_code,platform,handle,active_from\n35.06,instagram,kpu_kabkediri,\n",
        encoding="utf-8",
    )
    return replace(settings, accounts=accounts)


def _export(first: int, posts: int) -> str:
    return IG_HEADER + "".join(ig_row(str(first + i), "01/03/2024 09:00") for i in range(posts))


def _recent_rows(settings, week: str) -> dict:
    batch = find_new_files(settings, week, new_run_id(week, "test"))
    return json.loads((batch.folder / FILES_JSON).read_text(encoding="utf-8"))["recent_rows"]


def test_the_median_of_the_last_four_loaded_files(kediri):
    landing = kediri.landing
    # rows per week: 9, 1, 2, 3, 10 (W05 has two files: both among the last four)
    rows = {"2024-W01": [9], "2024-W02": [1], "2024-W03": [2], "2024-W04": [3], "2024-W05": [10, 4]}
    first = 100
    for week, counts in rows.items():
        for n, count in enumerate(counts):
            folder = landing / week / "35.06"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"ig_{n}.csv").write_text(_export(first, count), encoding="utf-8")
            first += 100
        load_week(kediri, week, new_run_id(week, "test"))
    # the last four: W05's two files (10 and 4), W04 (3), W03 (2); median (3 + 4) / 2
    assert _recent_rows(kediri, "2024-W06") == {"35.06|instagram": 3.5}

    # one more week pushes W03 out: 10, 4, 3 and 20 -> (4 + 10) / 2
    folder = landing / "2024-W06" / "35.06"
    folder.mkdir(parents=True)
    (folder / "ig.csv").write_text(_export(first, 20), encoding="utf-8")
    load_week(kediri, "2024-W06", new_run_id("2024-W06", "test"))
    assert _recent_rows(kediri, "2024-W07") == {"35.06|instagram": 7.0}
