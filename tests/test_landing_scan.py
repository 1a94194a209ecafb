"""A weekly run lists every file of the recent week folders and looks into an older
office folder only when a file was added, removed or renamed in it, so its cost does not
grow with a year of history; nothing an office drops is missed because of that."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from instagram_exports import IG_HEADER, ig_row

from medsos.pipeline import late_weeks, load_week, new_run_id
from medsos.warehouse import connect


def ig(*post_ids: str, likes: int = 5) -> str:
    return IG_HEADER + "".join(ig_row(p, "01/03/2024 09:00", likes) for p in post_ids)


@pytest.fixture
def kediri(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDSOS_LATE_WEEKS", "2")  # W09 and W10 are listed file by file in a W10 run
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("office_code,platform,handle,active_from\n35.06,instagram,kpu_kabkediri,\n", encoding="utf-8")
    return replace(settings, accounts=accounts)


def drop(landing: Path, relative: str, text: str) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def age(landing: Path) -> None:
    """Date the folders changed in the last seconds a minute back, as if the offices had
    dropped their files earlier: a folder changed moments before a scan is listed again
    on the next run."""
    now = time.time_ns()
    past = now - 60 * 1_000_000_000
    for folder in [p for p in landing.rglob("*") if p.is_dir()]:
        if folder.stat().st_mtime_ns > now - 20 * 1_000_000_000:
            os.utime(folder, ns=(past, past))


def run(settings, week: str, reprocess: bool = False) -> dict:
    load_week(settings, week, new_run_id(week, "test"), reprocess=reprocess)
    con = connect(settings.warehouse, read_only=True)
    try:
        (listed,) = con.sql("select files_seen from raw.runs order by started_at desc limit 1").fetchall()[0]
        files = dict(con.sql("select relative_path, status from raw.files").fetchall())
        posts = {p for (p,) in con.sql("select post_id from raw.post_snapshots").fetchall()}
    finally:
        con.close()
    return {"listed": listed, "files": files, "posts": posts}


def test_old_week_folders_are_listed_only_when_their_files_change(kediri):
    landing = kediri.landing
    drop(landing, "2024-W01/35.06/ig.csv", ig("1"))
    drop(landing, "2024-W02/35.06/ig.csv", ig("2"))
    drop(landing, "2024-W10/35.06/ig.csv", ig("10"))
    age(landing)
    first = run(kediri, "2024-W10")
    assert first["listed"] == 3 and first["posts"] == {"1", "2", "10"}

    # nothing changed in W01/W02: only this week's folder is listed
    assert run(kediri, "2024-W10")["listed"] == 1

    # a late export added to an old week folder is found and loaded
    drop(landing, "2024-W01/35.06/ig_late.csv", ig("1", "101"))
    age(landing)
    late = run(kediri, "2024-W10")
    assert late["files"]["2024-W01/35.06/ig_late.csv"] == "loaded" and "101" in late["posts"]
    assert late["listed"] == 3  # W01 again (2 files) and W10

    # a file taken out of an old week folder takes its rows with it
    (landing / "2024-W02/35.06/ig.csv").unlink()
    gone = run(kediri, "2024-W10")
    assert gone["files"]["2024-W02/35.06/ig.csv"] == "withdrawn" and "2" not in gone["posts"]

    # a whole old office folder removed
    shutil.rmtree(landing / "2024-W01")
    assert run(kediri, "2024-W10")["files"]["2024-W01/35.06/ig_late.csv"] == "withdrawn"

    # a file added in a subfolder of an old office folder (the folder's own time stays)
    sub = drop(landing, "2024-W03/35.06/dari_hp/ig.csv", ig("3"))
    assert "3" in run(kediri, "2024-W10")["posts"]
    office_folder_time = sub.parent.parent.stat().st_mtime_ns
    drop(landing, "2024-W03/35.06/dari_hp/ig_2.csv", ig("303"))
    assert sub.parent.parent.stat().st_mtime_ns == office_folder_time
    age(landing)
    assert "303" in run(kediri, "2024-W10")["posts"]
    # unzipped exports in a subfolder do not stop an unchanged folder from being passed over
    assert run(kediri, "2024-W10")["listed"] == 1
    (sub.parent / "ig_2.csv").unlink()
    assert "303" not in run(kediri, "2024-W10")["posts"]


def test_a_copy_in_an_old_folder_loads_when_its_original_goes(kediri):
    landing = kediri.landing
    original = drop(landing, "2024-W09/35.06/ig.csv", ig("9"))
    os.utime(original, (1_700_000_000, 1_700_000_000))
    run(kediri, "2024-W09")
    copy = drop(landing, "2024-W08/35.06/ig_lagi.csv", ig("9"))
    assert run(kediri, "2024-W09")["files"]["2024-W08/35.06/ig_lagi.csv"] == "duplicate"
    # weeks later the original is taken away; W08 is no longer a recent week
    original.unlink()
    later = run(kediri, "2024-W12")
    assert later["files"][copy.relative_to(landing).as_posix()] == "loaded" and later["posts"] == {"9"}


def test_a_file_saved_over_an_old_export_is_read_again_by_reprocess(kediri):
    landing = kediri.landing
    path = drop(landing, "2024-W01/35.06/ig.csv", ig("1", likes=5))
    run(kediri, "2024-W10")
    folder_time = path.parent.stat().st_mtime_ns
    path.write_text(ig("1", likes=99), encoding="utf-8")  # saved over in place: the folder's time stays
    assert path.parent.stat().st_mtime_ns == folder_time
    run(kediri, "2024-W10", reprocess=True)
    con = connect(kediri.warehouse, read_only=True)
    try:
        assert con.sql("select likes from raw.post_snapshots").fetchall() == [(99,)]
    finally:
        con.close()


def test_the_number_of_recent_weeks_is_checked(monkeypatch):
    monkeypatch.setenv("MEDSOS_LATE_WEEKS", "0")
    with pytest.raises(ValueError, match="MEDSOS_LATE_WEEKS"):
        late_weeks()
    monkeypatch.setenv("MEDSOS_LATE_WEEKS", "12")
    assert late_weeks() == 12


def test_a_folder_taken_away_and_put_back_loads_again(kediri, tmp_path):
    landing = kediri.landing
    drop(landing, "2024-W01/35.06/ig.csv", ig("1"))
    drop(landing, "2024-W10/35.06/ig.csv", ig("10"))
    age(landing)
    run(kediri, "2024-W10")
    folder, aside = landing / "2024-W01" / "35.06", tmp_path / "aside"
    for reprocess in (False, True):
        shutil.move(folder, aside)
        assert run(kediri, "2024-W10", reprocess=reprocess)["files"]["2024-W01/35.06/ig.csv"] == "withdrawn"
        shutil.move(aside, folder)  # a move keeps the folder's time
        back = run(kediri, "2024-W10")
        assert back["files"]["2024-W01/35.06/ig.csv"] == "loaded" and "1" in back["posts"]


def test_a_folder_changed_moments_ago_is_listed_again(kediri):
    landing = kediri.landing
    drop(landing, "2024-W01/35.06/ig.csv", ig("1"))
    drop(landing, "2024-W10/35.06/ig.csv", ig("10"))
    run(kediri, "2024-W10")
    # W01 changed seconds before the scan: a file saved in the same clock tick would not
    # have changed its time, so it is not passed over yet
    assert run(kediri, "2024-W10")["listed"] == 2
    age(landing)
    run(kediri, "2024-W10")
    assert run(kediri, "2024-W10")["listed"] == 1


def test_a_file_is_fingerprinted_the_same_whichever_way_it_is_read(tmp_path):
    # small exports are hashed in one read, big ones in pieces: the fingerprint that
    # tells a copy from a new file must not depend on which
    import hashlib

    from medsos.landing import WHOLE_READ, sha256_of

    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_bytes(b"Post ID,Caption\n1,Halo\n")
    big.write_bytes(os.urandom(1024) * (WHOLE_READ // 1024 + 3))
    for path in (small, big):
        expected = hashlib.sha256(path.read_bytes()).hexdigest()
        size = path.stat().st_size
        assert sha256_of(path) == sha256_of(path, size) == expected
    assert small.stat().st_size <= WHOLE_READ < big.stat().st_size


def test_a_recent_folder_is_passed_over_only_while_each_file_is_as_recorded(kediri):
    from medsos import landing as landing_zone
    from medsos.pipeline.find import _list_landing

    landing = kediri.landing
    path = drop(landing, "2024-W09/35.06/ig.csv", ig("9", likes=55))
    drop(landing, "2024-W10/35.06/ig.csv", ig("10"))
    age(landing)
    run(kediri, "2024-W10")

    def scanned() -> landing_zone.Scan:
        return _list_landing(kediri, "2024-W10", "2024-W09", False, False).found

    # both recent folders (MEDSOS_LATE_WEEKS=2) as recorded: each file stat'ed, none listed
    found = scanned()
    assert found.unchanged == {"2024-W09/35.06", "2024-W10/35.06"} and found.checked == 2 and found.files == []
    assert run(kediri, "2024-W10")["listed"] == 2

    # a correction saved over the export, same size: the folder's time stays, the file's moves
    folder_time = path.parent.stat().st_mtime_ns
    path.write_text(ig("9", likes=99), encoding="utf-8")
    os.utime(path, ns=(time.time_ns() - 30 * 10**9,) * 2)
    assert path.parent.stat().st_mtime_ns == folder_time
    found = scanned()
    assert found.unchanged == {"2024-W10/35.06"} and found.checked == 1
    assert [f.relative_path for f in found.files] == ["2024-W09/35.06/ig.csv"]
    run(kediri, "2024-W10")
    con = connect(kediri.warehouse, read_only=True)
    try:
        likes = con.sql("select likes from raw.post_snapshots where post_id = '9'").fetchall()
    finally:
        con.close()
    assert likes == [(99,)]

    # a file recorded there that is gone: the folder is listed (and the file withdrawn)
    assert scanned().checked == 2
    path.unlink()
    os.utime(path.parent, ns=(folder_time, folder_time))  # as if the folder's time had stayed
    found = scanned()
    assert "2024-W09/35.06" not in found.unchanged
    assert run(kediri, "2024-W10")["files"]["2024-W09/35.06/ig.csv"] == "withdrawn"


def test_a_backfill_lists_the_same_with_its_parse_worker_listing_the_later_weeks(settings, monkeypatch, caplog):
    from medsos.cli import main
    from medsos.pipeline import parse_workers_kept
    from medsos.pipeline.find import find_new_files

    landing = settings.landing
    assert main(["sample", "--from", "2024-W01", "--to", "2024-W06", "--landing", str(landing)]) == 0
    drop(landing, "minggu-7/35.06/ig.csv", ig("7"))  # not an ISO week
    drop(landing, "2024-W05/lepas.csv", ig("5"))  # outside an office folder
    drop(landing, "lepas.csv", ig("0"))  # at the top of the landing zone
    for k, v in settings.as_env().items():
        monkeypatch.setenv(k, v)

    def manifest(run_id: str) -> dict:
        return find_new_files(settings, "2024-W06", run_id, first_week="2024-W01").read_json("files.json")

    alone = manifest("alone")
    monkeypatch.setenv("MEDSOS_PARSE_WORKERS", "2")
    logger = logging.getLogger("medsos.pipeline.find")
    logger.addHandler(caplog.handler)  # the command's logging does not reach the root
    try:
        with caplog.at_level(logging.INFO, logger="medsos.pipeline.find"), parse_workers_kept():
            shared = manifest("shared")
    finally:
        logger.removeHandler(caplog.handler)
    assert "the weeks from 2024-W04 listed by a parse worker" in caplog.text
    assert shared == alone
    # each layout problem said once, the worker's weeks' files and the rest all there
    problems = alone["layout_problems"]
    assert len(problems) == len(set(problems)) == 3
    paths = {e["relative_path"] for e in alone["files"]}
    assert {"minggu-7/35.06/ig.csv", "2024-W05/lepas.csv", "lepas.csv"} <= paths
    assert {p[:8] for p in paths} >= {f"2024-W0{i}" for i in range(1, 7)}
