"""The national generator (``medsos.national``) and the benchmark (``medsos.bench``) at a
scale that runs in seconds."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from medsos import bench, national
from medsos.parsers import detect
from medsos.parsers.base import FileContext, read_raw
from medsos.pipeline import snapshot_time
from medsos.registry import PLATFORMS, load_accounts, load_offices

WEEKS = national.week_range("2024-W06", 2)


def _digests(landing: Path) -> dict[str, str]:
    return {
        p.relative_to(landing).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(landing.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national")
    # KPU RI, KIP Aceh and a regency; Maluku Tengah (WIT) for a zone other than WIB
    offices = national.select_offices(codes=["00", "11", "11.01", "81.01"])
    national.generate(out, WEEKS, offices)
    return out


def test_same_seed_same_bytes(generated: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    national.generate(again, WEEKS, national.select_offices(codes=["00", "11", "11.01", "81.01"]))
    first = _digests(generated / "landing")
    assert first == _digests(again / "landing")
    assert (generated / national.ACCOUNTS_CSV).read_bytes() == (again / national.ACCOUNTS_CSV).read_bytes()
    # 4 offices x 5 platforms x 2 weeks, one file each
    assert len(first) == 40


def test_an_office_is_the_same_in_any_subset(generated: Path, tmp_path: Path) -> None:
    national.generate(tmp_path, WEEKS, national.select_offices(codes=["11.01"]))
    alone = _digests(tmp_path / "landing")
    together = {k: v for k, v in _digests(generated / "landing").items() if k.split("/")[1] == "11.01"}
    assert alone == together


def test_other_seed_other_posts() -> None:
    office = load_offices()["35.06"]
    a = national.office_plan(1, office, 7, WEEKS)
    b = national.office_plan(2, office, 7, WEEKS)
    assert [p.post_id for p in a.posts] != [p.post_id for p in b.posts]


def test_volumes_per_account_week_in_range() -> None:
    offices = national.select_offices(20)
    week_list = national.week_range("2024-W01", 6)
    seen: dict[str, set[int]] = {p: set() for p in PLATFORMS}
    for i, office in enumerate(offices):
        plan = national.office_plan(national.DEFAULT_SEED, office, i, week_list)
        for week in week_list:
            for platform in PLATFORMS:
                n = len(plan.posts_in_week(office.office_code, platform, week))
                low, high = national.WEEKLY_POSTS[platform]
                assert low <= n <= high, (office.office_code, platform, week, n)
                seen[platform].add(n)
        # one export per account and week, each showing the overlap with the week before
        assert len(plan.requests) == len(PLATFORMS) * len(week_list)
    # "a few to a few dozen": the busiest platforms reach the dozens, none is constant
    assert max(seen["x"]) >= 24
    assert all(len(counts) > 2 for counts in seen.values())


def test_every_file_is_recognised_with_its_platform_and_office(generated: Path) -> None:
    landing = generated / "landing"
    registry = {(a.office_code, a.platform): a for a in load_accounts(generated / national.ACCOUNTS_CSV)}
    assert len(registry) == 4 * len(PLATFORMS)
    offices = load_offices()
    platforms_per_folder: dict[tuple[str, str], list[str]] = {}
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing).as_posix()
        week, office_code = rel.split("/")[:2]
        raw = read_raw(path, rel)
        parser = detect(raw)
        office = offices[office_code]
        ctx = FileContext(rel, office_code, office.timezone, week, snapshot_time(week, office.timezone))
        result = parser.parse(raw, ctx)
        assert not result.rejected_rows, (rel, result.rejected_rows[:2])
        assert result.post_records, rel  # every account posts every week
        platforms_per_folder.setdefault((week, office_code), []).append(result.platform)
        account = registry[(office_code, result.platform)]
        for r in result.post_records:
            assert r["office_code"] == office_code
            if r.get("account_id"):
                assert r["account_id"] == account.account_id, rel
            if r.get("account_handle"):
                assert r["account_handle"].lstrip("@").lower() in {account.handle.lower(),
                                                                    account.display_name.lower()}, rel
    assert {k: sorted(v) for k, v in platforms_per_folder.items()} == {
        (w, o): sorted(PLATFORMS) for w in WEEKS for o in ("00", "11", "11.01", "81.01")
    }


def test_bench_end_to_end_tiny(medsos_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--offices", "3", "--weeks", "2", "--data-dir", str(tmp_path / "b"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "(a) floor" in out
    for stage in (*bench.STAGES, "total"):
        assert re.search(rf"^{stage}\s+[\d,.]+\s", out, re.M), stage
    targets = re.findall(r"^  (PASS|MISS)  (.+?)\s{2,}", out, re.M)
    assert [name for _, name in targets] == [
        "(b) within 3x of (a)", "(c) under 12 s", "(c) report under 3 s", "(c) within 1.2x of (d)",
        "peak memory under 2 GB",
    ]
    # nothing kept without --keep
    assert not any((tmp_path / "b").iterdir())


def test_memory_sampler_counts_children_at_the_same_time() -> None:
    """The bench's peak is what the process tree holds at once: a child holding 300 MB
    while the parent holds its own shows up as their sum."""
    import subprocess
    import sys
    import time

    from medsos.bench import TreeMemory, _rss_of_tree

    before = _rss_of_tree(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(300 * 2**20); time.sleep(3)"])
    try:
        with TreeMemory(interval=0.05) as memory:
            time.sleep(1.5)
    finally:
        child.kill()
        child.wait()
    assert memory.peak >= before + 280 * 2**20
    assert memory.peak < before + 1024 * 2**20
