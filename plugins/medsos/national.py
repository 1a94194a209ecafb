"""Deterministic national-scale exports: every KPU/KIP office (553) x 5 platforms x N
weeks, in the platforms' native export formats (``python -m medsos.national``).

The Jawa Timur sample (``medsos.sample``) is built for correctness tests: one province,
hand-placed special cases, small volumes. This module reuses its post model, captions,
ids, metrics and, above all, its per-platform writers, but plans every office with the
volumes a busy national year has (a few to a few dozen posts per account per week), so
the cost of running medsos for all of Indonesia can be measured (``medsos.bench``).

The plan is made and written one office at a time: a national year is about 1.6 million
posts, which as Python objects would need gigabytes, while one office's year is small.
Every random choice is seeded from (seed, office, platform, week), so the bytes do not
depend on the order offices are written in, on ``--jobs``, or on which other offices are
in the subset.

Output::

    <out>/landing/<YYYY-Www>/<office_code>/<export as downloaded>
    <out>/accounts_national.csv      one account per office and platform
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from medsos import weeks
from medsos.registry import PLATFORMS, Office, load_offices
from medsos.sample import (
    ID_LANGUAGE_OFFICES,
    SamplePlan,
    _digits,
    _rng,
    _window_metrics,
    lifetime_metrics,
    new_post,
    write_sample,
)
from medsos.sample.model import ExportRequest, ExportRow, SampleAccount, SamplePost

DEFAULT_FIRST_WEEK = "2024-W01"
DEFAULT_WEEKS = 52
DEFAULT_SEED = 2024
ACCOUNTS_CSV = "accounts_national.csv"

# Posts per account per week, before an office's diligence is applied; the result is
# kept inside these bounds (tests check it). X accounts post most, YouTube least.
WEEKLY_POSTS = {
    "instagram": (3, 21),
    "facebook": (3, 28),
    "x": (4, 36),
    "youtube": (1, 5),
    "tiktok": (2, 14),
}

# Meta's and X's export windows start on the Thursday before the week, so a post shows up
# in two consecutive exports (as admins really download them).
OVERLAP_DAYS = 4


@dataclass(frozen=True)
class Written:
    files: int
    posts: int
    export_rows: int


def select_offices(offices: int | None = None, codes: list[str] | None = None) -> list[Office]:
    """The offices to generate: all 553, the given codes, or the first ``offices`` in code
    order, which start with KPU RI (00) and KIP Aceh (11) and then Aceh's regencies, so
    from two offices on a subset has a national and a provincial summary to render."""
    every = load_offices()
    if codes:
        unknown = [c for c in codes if c not in every]
        if unknown:
            raise ValueError(f"unknown office codes: {', '.join(unknown)}")
        return [every[c] for c in sorted(set(codes))]
    ordered = sorted(every.values(), key=lambda o: o.office_code)
    if offices is None or offices >= len(ordered):
        return ordered
    if offices < 1:
        raise ValueError("--offices must be at least 1")
    return ordered[:offices]


def account_for(office: Office, platform: str) -> SampleAccount:
    """The one official account of ``office`` on ``platform`` (handle and id derived from
    the office code, stable across runs)."""
    compact = office.office_code.replace(".", "")
    handle = {"x": f"KPU_{compact}", "tiktok": f"kpu.{compact}"}.get(platform, f"kpu{compact}")
    account_id = {
        "facebook": "1000" + _digits(11, "national-facebook", compact),
        "instagram": "17841" + _digits(12, "national-instagram", compact),
        "youtube": "UC" + _digits(22, "national-youtube", compact),
    }.get(platform)
    return SampleAccount(
        office_code=office.office_code,
        office_name=office.office_name,
        platform=platform,
        handle=handle,
        account_id=account_id,
        display_name=office.office_name,
    )


def write_accounts(path: Path, offices: list[Office]) -> Path:
    """The account registry for ``offices`` (every platform), as staff would keep it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["office_code", "platform", "handle", "account_id", "display_name", "source"])
        for office in offices:
            for platform in PLATFORMS:
                a = account_for(office, platform)
                w.writerow(
                    [
                        a.office_code,
                        a.platform,
                        a.handle,
                        a.account_id or "",
                        a.display_name,
                        "export",
                    ]
                )
    return path


def posts_per_week(seed: int, account: SampleAccount, week: str) -> int:
    """How many posts ``account`` publishes in ``week``: inside ``WEEKLY_POSTS``."""
    low, high = WEEKLY_POSTS[account.platform]
    rng = _rng(seed, "national-count", account.office_code, account.platform, week)
    # some offices are steadily busier than others; a week varies around that
    diligence = (
        0.5 + int(_digits(3, seed, "diligence", account.office_code, account.platform)) / 1000
    )
    return max(low, min(high, round(rng.randint(low, high) * diligence)))


def week_posts(seed: int, account: SampleAccount, week: str, week_index: int) -> list[SamplePost]:
    """The posts ``account`` publishes in ``week`` (local wall-clock times)."""
    rng = _rng(seed, "national-posts", account.office_code, account.platform, week)
    monday = weeks.week_start(week)
    count = posts_per_week(seed, account, week)
    days = sorted(monday + timedelta(days=rng.randrange(7)) for _ in range(count))
    # week_index can be -1 (the week before the first): keep ids positive and unique
    return [
        new_post(rng, account, day, (week_index + 1) * 1000 + seq) for seq, day in enumerate(days)
    ]


def office_plan(seed: int, office: Office, office_index: int, week_list: list[str]) -> SamplePlan:
    """Every export of one office for ``week_list``: the unit the writers are called with."""
    accounts = [account_for(office, p) for p in PLATFORMS]
    posts: list[SamplePost] = []
    requests: list[ExportRequest] = []
    for account in accounts:
        mine: list[SamplePost] = []
        # the week before the first too, so the first export's overlap has posts
        for i, week in enumerate([weeks.shift(week_list[0], -1), *week_list]):
            mine += week_posts(seed, account, week, i - 1)
        n = ID_LANGUAGE_OFFICES.get(account.platform)
        language = "id" if n and office_index % n == 1 else "en"
        for week in week_list:
            start = weeks.week_start(week) - timedelta(days=OVERLAP_DAYS)
            end = weeks.week_end(week)
            snapshot = datetime.combine(end + timedelta(days=1), clock())
            rows = []
            for p in mine:
                if not start <= p.published_local.date() <= end:
                    continue
                if account.platform == "youtube":
                    m = _window_metrics(
                        p, max(datetime.combine(start, clock()), p.published_local), snapshot
                    )
                else:
                    m = lifetime_metrics(p, snapshot)
                rows.append(ExportRow(p, m))
            rows.sort(key=lambda r: r.post.published_local, reverse=True)
            requests.append(ExportRequest(account, week, start, end, snapshot, language, rows))
        first = weeks.week_start(week_list[0])
        posts += [p for p in mine if p.published_local.date() >= first]
    return SamplePlan(week_list, accounts, posts, requests, cases={})


def _write_office(args: tuple[Path, int, str, int, list[str]]) -> Written:
    landing, seed, code, office_index, week_list = args
    plan = office_plan(seed, load_offices()[code], office_index, week_list)
    files = write_sample(landing, plan)
    return Written(len(files), len(plan.posts), sum(len(r.rows) for r in plan.requests))


def generate(
    out: Path,
    week_list: list[str],
    offices: list[Office] | None = None,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    progress: bool = False,
) -> Written:
    """Write the landing zone and the account registry under ``out``; totals written."""
    offices = offices if offices is not None else select_offices()
    landing = Path(out) / "landing"
    write_accounts(Path(out) / ACCOUNTS_CSV, offices)
    # the office's place in the full list (not in the subset) picks its admins' UI
    # language, so an office's files are the same bytes in any subset
    index = {code: i for i, code in enumerate(sorted(load_offices()))}
    work = [(landing, seed, o.office_code, index[o.office_code], week_list) for o in offices]
    total = Written(0, 0, 0)
    started = time.monotonic()
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn"))
        results = pool.map(_write_office, work, chunksize=4)
    else:
        pool = None
        results = map(_write_office, work)
    try:
        for i, w in enumerate(results, start=1):
            total = Written(
                total.files + w.files, total.posts + w.posts, total.export_rows + w.export_rows
            )
            if progress and (i % 25 == 0 or i == len(work)):
                print(
                    f"  {i}/{len(work)} offices, {total.files:,} files, {time.monotonic() - started:,.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.shutdown()
    return total


MARK = ".medsos-national"  # a folder `medsos national` made, and may write again


def week_range(first: str, count: int) -> list[str]:
    if count < 1:
        raise ValueError("--weeks must be at least 1")
    return weeks.weeks_between(first, weeks.shift(first, count - 1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="medsos national", description="write national-scale exports")
    p.add_argument(
        "--out", type=Path, required=True, help="folder for landing/ and the account registry"
    )
    p.add_argument(
        "--from", dest="first", default=DEFAULT_FIRST_WEEK, help="first ISO week (2024-W01)"
    )
    p.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help="number of weeks (52)")
    p.add_argument("--offices", type=int, help="only the first N offices in code order (all 553)")
    p.add_argument(
        "--office", action="append", dest="codes", help="only this office code (repeatable)"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--jobs", type=int, default=1, help="worker processes (output is identical)")
    args = p.parse_args(argv)
    from medsos.owned import claim

    claim(args.out, MARK, "national")  # never over an office's exports or a real registry
    week_list = week_range(args.first, args.weeks)
    offices = select_offices(args.offices, args.codes)
    started = time.monotonic()
    w = generate(args.out, week_list, offices, seed=args.seed, jobs=args.jobs, progress=True)
    print(
        f"wrote {w.files:,} export files ({w.export_rows:,} export rows) for {len(offices)} offices x "
        f"{len(PLATFORMS)} platforms x {len(week_list)} weeks ({week_list[0]} … {week_list[-1]}): "
        f"{w.posts:,} posts, in {time.monotonic() - started:,.1f} s, into {args.out / 'landing'}; "
        f"registry {args.out / ACCOUNTS_CSV}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
