"""On a file system without clones (ext4) the published copy is not rewritten whole each
week: the copy staff had before is kept as a hidden spare, brought up to date in place
(only the blocks that differ are written) and swapped in with one rename. These tests
check the published bytes each time, that a reader still holding an old copy never has
it changed under them, and that a reader cannot open the spare while it is written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from medsos.config import Settings
from medsos.warehouse import (
    PUBLISH_BLOCK,
    _locked_for_writing,
    _write_differing_blocks,
    publish,
    spare_of,
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def on_ext4(tmp_path, monkeypatch):
    from medsos.warehouse import _clone

    probe = tmp_path / "probe"
    probe.write_bytes(b"medsos")
    if _clone(probe, tmp_path / "probe2"):
        pytest.skip("this file system clones; the spare is for file systems that do not")
    monkeypatch.delenv("MEDSOS_PUBLISH_IN_PLACE", raising=False)
    return Settings.from_env(
        warehouse=tmp_path / "medsos.duckdb",
        published=tmp_path / "pub" / "medsos.duckdb",
        landing=tmp_path / "landing",
        outbox=tmp_path / "outbox",
        work=tmp_path / "work",
        gx_dir=tmp_path / "gx",
    )


def _write(settings: Settings, sql: str) -> None:
    con = duckdb.connect(str(settings.warehouse))
    try:
        con.execute(sql)
        con.execute("checkpoint")
    finally:
        con.close()


def _count(path: Path, where: str = "true") -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(f"select count(*) from t where {where}").fetchall()[0][0]
    finally:
        con.close()


def test_each_publish_is_the_warehouse_and_the_spare_is_brought_up_to_date(on_ext4, caplog):
    s = on_ext4
    _write(s, "create table t as select range as n, md5(range::varchar) as s from range(1000000)")
    publish(s)  # the first publish: the copy, and a spare of it
    spare = spare_of(s.published)
    assert _sha(s.published) == _sha(s.warehouse) == _sha(spare)
    assert oct(s.published.stat().st_mode & 0o777) == oct(spare.stat().st_mode & 0o777) == "0o444"

    for week in range(3):
        _write(
            s,
            f"update t set s = 'week {week}' where n between {week * 1000} and {week * 1000 + 299}",
        )
        first_published = s.published.stat().st_ino
        spare_inode = spare.stat().st_ino
        caplog.clear()
        with caplog.at_level("INFO", logger="medsos.warehouse"):
            publish(s)
        assert _sha(s.published) == _sha(s.warehouse)
        assert _count(s.published, f"s = 'week {week}'") == 300
        # the spare became the published copy, and the copy before became the spare
        assert s.published.stat().st_ino == spare_inode
        assert spare.stat().st_ino == first_published
        assert oct(s.published.stat().st_mode & 0o777) == "0o444"
        (message,) = [r.getMessage() for r in caplog.records if "published" in r.getMessage()]
        assert "spare brought up to date" in message
        # a few blocks changed, not the whole file
        written = float(message.split("up to date, ")[1].split(" MB")[0].replace(",", ""))
        assert written * 2**20 < s.warehouse.stat().st_size / 2
    # nothing else is left beside the published copy
    assert sorted(p.name for p in s.published.parent.iterdir()) == [spare.name, s.published.name]


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
count = lambda: con.sql("select count(*) from t").fetchall()[0][0]
print(count(), flush=True)
sys.stdin.readline()  # holds the copy open until told
print(count(), flush=True)
"""


def test_a_reader_holding_an_old_copy_keeps_it_as_it_was(on_ext4, caplog):
    s = on_ext4
    _write(s, "create table t as select range as n from range(100000)")
    publish(s)
    # a staff member's session in another process, open over two publishes
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(s.published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "100000"
        _write(s, "insert into t select range from range(5)")
        publish(s)  # the copy the reader holds is now the spare
        _write(s, "insert into t select range from range(7)")
        caplog.clear()
        with caplog.at_level("INFO", logger="medsos.warehouse"):
            publish(s)  # the spare is held: a whole new copy instead
        assert any("(copy)" in r.getMessage() for r in caplog.records)
        assert _count(s.published) == 100012
        assert _sha(s.published) == _sha(s.warehouse)
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "100000"  # as it was when opened
    finally:
        reader.kill()
        reader.wait()
    _write(s, "insert into t select range from range(1)")
    caplog.clear()
    with caplog.at_level("INFO", logger="medsos.warehouse"):
        publish(s)
    assert any("spare brought up to date" in r.getMessage() for r in caplog.records)
    assert _count(s.published) == 100013
    assert _sha(s.published) == _sha(s.warehouse)


def test_no_spare_when_publishing_in_place_is_turned_off(on_ext4, monkeypatch):
    s = on_ext4
    monkeypatch.setenv("MEDSOS_PUBLISH_IN_PLACE", "0")
    _write(s, "create table t as select range as n from range(1000)")
    publish(s)
    inode = s.published.stat().st_ino
    _write(s, "insert into t select range from range(5)")
    publish(s)
    assert s.published.stat().st_ino != inode
    assert not spare_of(s.published).exists()
    assert _count(s.published) == 1005
    monkeypatch.setenv("MEDSOS_PUBLISH_IN_PLACE", "yes")
    with pytest.raises(ValueError, match="MEDSOS_PUBLISH_IN_PLACE must be 1 or 0"):
        publish(s)


def test_a_reader_cannot_open_the_spare_while_it_is_written(on_ext4):
    s = on_ext4
    _write(s, "create table t as select range as n from range(1000)")
    publish(s)
    spare = spare_of(s.published)
    os.chmod(spare, 0o644)
    with spare.open("r+b", buffering=0) as fh:
        assert _locked_for_writing(fh.fileno())
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(spare), read_only=True)
    reader = duckdb.connect(str(spare), read_only=True)  # the lock went with the file
    try:
        with spare.open("r+b", buffering=0) as fh:
            assert not _locked_for_writing(fh.fileno())
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (3 * PUBLISH_BLOCK + 17, 3 * PUBLISH_BLOCK + 17),  # same size, a byte changed
        (5 * PUBLISH_BLOCK, 2 * PUBLISH_BLOCK + 5),  # the warehouse got smaller
        (PUBLISH_BLOCK - 1, 4 * PUBLISH_BLOCK + 3),  # and larger
        (0, PUBLISH_BLOCK),
    ],
)
def test_only_differing_blocks_are_written_and_the_result_is_the_source(tmp_path, old, new):
    rng = __import__("random").Random(old + new)
    src, dst = tmp_path / "src", tmp_path / "dst"
    before = bytearray(rng.randbytes(old))
    after = bytearray(before[:new]) + bytearray(rng.randbytes(max(0, new - old)))
    if new and new == old:
        after[PUBLISH_BLOCK + 9] ^= 0xFF
    src.write_bytes(after)
    dst.write_bytes(before)
    with dst.open("r+b", buffering=0) as fh:
        size, written = _write_differing_blocks(src, fh)
        fh.truncate(size)
    assert dst.read_bytes() == bytes(after)
    assert size == new
    if new == old:
        assert written == PUBLISH_BLOCK  # one block of four
    if new < old:
        # the whole blocks kept are the same; only the last, shorter one is written
        assert written == new % PUBLISH_BLOCK
