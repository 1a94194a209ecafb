"""The published copy staff query: a clone of the warehouse where the file system can
(XFS, Btrfs), a byte copy elsewhere; either way the same bytes, and the warehouse's later
writes never reach it.

The clone test needs a folder on a reflink file system: MEDSOS_TEST_REFLINK_DIR (e.g. an
XFS loop mount: ``truncate -s 320M x.img; mkfs.xfs x.img; mount -o loop x.img DIR``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from medsos.config import Settings
from medsos.warehouse import clone_or_copy, publish


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_stays(root: Path) -> str:
    settings = Settings.from_env(warehouse=root / "medsos.duckdb", published=root / "pub" / "medsos.duckdb",
                                 landing=root / "landing", outbox=root / "outbox", work=root / "work",
                                 gx_dir=root / "gx")
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create table t as select range as n, repeat('x', 200) as s from range(200000)")
    con.close()
    publish(settings)
    assert _sha(settings.published) == _sha(settings.warehouse)
    assert not os.access(settings.published, os.W_OK) or os.geteuid() == 0
    assert oct(settings.published.stat().st_mode & 0o777) == "0o444"
    before = _sha(settings.published)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("update t set s = 'y' where n % 7 = 0")
    con.execute("checkpoint")
    con.close()
    assert _sha(settings.published) == before  # the warehouse's writes stay out of the copy
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        assert con.sql("select count(*) from t where s = 'y'").fetchall() == [(0,)]
    finally:
        con.close()
    probe = root / "probe"
    probe.write_bytes(b"medsos")
    return clone_or_copy(probe, root / "probe2")


def test_published_copy_on_this_file_system(tmp_path):
    how = _published_stays(tmp_path)
    assert how in ("clone", "copy")
    assert (tmp_path / "probe2").read_bytes() == b"medsos"


def test_published_copy_is_a_clone_on_a_reflink_file_system():
    folder = os.environ.get("MEDSOS_TEST_REFLINK_DIR")
    if not folder:
        pytest.skip("MEDSOS_TEST_REFLINK_DIR names no folder on XFS or Btrfs")
    root = Path(folder) / f"medsos-test-{os.getpid()}"
    root.mkdir()
    try:
        assert _published_stays(root) == "clone"
    finally:
        import shutil

        shutil.rmtree(root)
