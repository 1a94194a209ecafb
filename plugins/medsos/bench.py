"""What running medsos for all 553 offices costs, measured against a floor
(``medsos bench``).

One command, one set of generated exports (``medsos.national``), four measurements
((a) in a process of its own, (b)-(d) in this one and its parse workers):

(a) the floor: DuckDB alone reading every raw file of the history once. CSV files are
    grouped by their header line and each group is one ``read_csv`` over the list of
    files (every column is touched, nothing is kept). TikTok ``Content.xlsx`` files take
    a fast path: the sheet XML is read from the zip with ``xml.etree`` (C accelerated),
    shared strings resolved, every row materialised; DuckDB has no XLSX reader without
    an extension download.
(b) medsos's path for the history (a year by default), as ``medsos backfill`` runs it:
    one batch: find, parse (two weeks at a time, written week by week), validate and load
    once, then build, publish and the summaries once.
(c) one more national week, incremental, on top of that history.
(d) the same week on top of one week of history: a fresh warehouse that saw only the
    previous week (its landing zone holds only those two weeks, hard-linked).

Stage times are wall-clock seconds; rows/s is the scenario's rows (post snapshots and
account days parsed) over the stage's seconds, so stages compare on one scale. (c) and (d)
each start after ``sync`` (the writes of what ran before them are on disk first) with
the week's files read once (both find them in the page cache). Peak
memory is the largest resident set of the whole process tree (this process and its
parse workers, read from /proc every 0.1 s) while medsos runs (b), (c) and (d): what the
machine must hold at once. ``ru_maxrss`` of this process and of its largest child are
printed beside it; their sum overstates, since the two peaks need not coincide.

Targets (issue 23): (b) within 3x of (a); (c) under 12 s, its report under 3 s; (c)
within 1.2x of (d); peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from medsos import national
from medsos.config import Settings

STAGES = ("find", "parse", "validate", "load", "build", "publish", "report")
# the path the (a)/(b) comparison is about (issue 9: parse, validate, load, build marts)
PATH_STAGES = ("find", "parse", "validate", "load", "build")
GB = 1024**3
TARGET_FLOOR_RATIO = 3.0
TARGET_WEEK_SECONDS = 12.0
TARGET_REPORT_SECONDS = 3.0
TARGET_HISTORY_RATIO = 1.2
TARGET_PEAK_BYTES = 2 * GB


@dataclass
class Scenario:
    name: str
    weeks: list[str]
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    peaks: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(STAGES, 0)
    )  # bytes, process tree
    rows: int = 0
    files: int = 0

    def total(self, stages: tuple[str, ...] = STAGES) -> float:
        return sum(self.seconds[s] for s in stages)


@dataclass
class Floor:
    seconds: float = 0.0
    csv_seconds: float = 0.0
    xlsx_seconds: float = 0.0
    files: int = 0
    csv_groups: int = 0
    rows: int = 0


@dataclass
class BenchResult:
    offices: int
    history: list[str]
    week: str
    floor: Floor
    backfill: Scenario
    on_history: Scenario
    on_one_week: Scenario
    peak_self: int  # bytes, ru_maxrss
    peak_child: int
    workers: int
    generate_seconds: float
    peak_tree: int = 0  # bytes, sampled resident set of this process and its children

    def targets(self) -> list[tuple[str, str, bool]]:
        b = self.backfill.total(PATH_STAGES)
        c, d = self.on_history.total(), self.on_one_week.total()
        ratio_b = b / self.floor.seconds if self.floor.seconds else float("inf")
        ratio_c = c / d if d else float("inf")
        peak = self.peak_tree or self.peak_self + self.workers * self.peak_child
        return [
            (
                f"(b) within {TARGET_FLOOR_RATIO:g}x of (a)",
                f"{b:,.1f} s / {self.floor.seconds:,.1f} s = {ratio_b:,.1f}x",
                ratio_b <= TARGET_FLOOR_RATIO,
            ),
            (f"(c) under {TARGET_WEEK_SECONDS:g} s", f"{c:,.1f} s", c < TARGET_WEEK_SECONDS),
            (
                f"(c) report under {TARGET_REPORT_SECONDS:g} s",
                f"{self.on_history.seconds['report']:,.1f} s",
                self.on_history.seconds["report"] < TARGET_REPORT_SECONDS,
            ),
            (
                f"(c) within {TARGET_HISTORY_RATIO:g}x of (d)",
                f"{c:,.1f} s / {d:,.1f} s = {ratio_c:,.2f}x",
                ratio_c <= TARGET_HISTORY_RATIO,
            ),
            (
                "peak memory under 2 GB",
                f"{peak / GB:,.2f} GB (process and parse workers at once)",
                peak < TARGET_PEAK_BYTES,
            ),
        ]


# --------------------------------------------------------------------------- helpers


def _maxrss() -> tuple[int, int]:
    # Linux reports kilobytes
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    )


def _rss_of_tree(root_pid: int) -> int:
    """Resident bytes of ``root_pid`` and every process below it, from /proc."""
    page = os.sysconf("SC_PAGE_SIZE")
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # the process ended meanwhile
        # the command name may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * page
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class TreeMemory:
    """Samples the process tree's resident set in a thread; ``peak`` is the largest seen,
    ``stage_peak`` the largest since the last ``start_stage()``."""

    current: TreeMemory | None = None  # the sampler running, for the stage timer

    def __init__(self, interval: float = 0.1):
        import threading

        self.interval, self.peak, self.stage_peak = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError, IndexError):
                rss = _rss_of_tree(os.getpid())
                self.peak, self.stage_peak = max(self.peak, rss), max(self.stage_peak, rss)
            self._stop.wait(self.interval)

    def start_stage(self) -> None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            self.stage_peak = _rss_of_tree(os.getpid())

    def __enter__(self) -> TreeMemory:
        if Path("/proc/self/stat").exists():
            self._thread.start()
        TreeMemory.current = self
        return self

    def __exit__(self, *exc) -> None:
        TreeMemory.current = None
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def settings_under(root: Path, landing: Path, accounts: Path) -> Settings:
    """Every path the pipeline writes under ``root``: nothing may reach the checkout's data/."""
    return Settings.from_env(
        landing=landing,
        warehouse=root / "medsos.duckdb",
        published=root / "published" / "medsos.duckdb",
        outbox=root / "outbox",
        work=root / "work",
        gx_dir=root / "gx",
        accounts=accounts,
    )


@contextlib.contextmanager
def _environment(settings: Settings, parse_workers: int | None = None) -> Iterator[None]:
    """The MEDSOS_* variables of ``settings`` while the bench runs (parse workers are
    spawned and read the environment), restored afterwards."""
    wanted = settings.as_env() | (
        {"MEDSOS_PARSE_WORKERS": str(parse_workers)} if parse_workers else {}
    )
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Timer:
    """Times stage calls into a scenario, optionally under one shared profiler."""

    def __init__(self, profiler: cProfile.Profile | None):
        self.profiler = profiler

    def __call__(
        self, scenario: Scenario, stage: str, fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        memory = TreeMemory.current
        if memory is not None:
            memory.start_stage()
        started = time.perf_counter()
        if self.profiler is not None:
            self.profiler.enable()
        try:
            return fn(*args, **kw)
        finally:
            if self.profiler is not None:
                self.profiler.disable()
            scenario.seconds[stage] += time.perf_counter() - started
            if memory is not None:
                scenario.peaks[stage] = max(scenario.peaks[stage], memory.stage_peak)


def _landing_files(landing: Path, week_list: list[str]) -> list[Path]:
    out: list[Path] = []
    for week in week_list:
        for folder, _dirs, names in os.walk(landing / week):
            out += [Path(folder) / n for n in names]
    return sorted(out)


# --------------------------------------------------------------------------- (a) floor

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _xlsx_rows(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{_NS}t")) for si in root.iter(f"{_NS}si")
            ]
        rows = 0
        for name in names:
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            for row in ElementTree.fromstring(z.read(name)).iter(f"{_NS}row"):
                values: list[str | None] = []
                for c in row.iter(f"{_NS}c"):
                    v = c.find(f"{_NS}v")
                    if c.get("t") == "s" and v is not None:
                        # an index into the shared strings; an empty one is a broken workbook
                        values.append(shared[int(v.text or "")])
                    elif c.get("t") == "inlineStr":
                        values.append("".join(t.text or "" for t in c.iter(f"{_NS}t")))
                    else:
                        values.append(None if v is None else v.text)
                rows += bool(values)
        return rows


def measure_floor_apart(files: list[Path]) -> Floor:
    """(a) in a process of its own: what DuckDB's reader keeps of its allocations after
    the floor must not be counted as medsos's memory, nor slow medsos's stages."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure_floor, files).result()


def measure_floor(files: list[Path]) -> Floor:
    """(a): DuckDB alone reads every raw file once (XLSX by the fast path above)."""
    import duckdb

    floor = Floor(files=len(files))
    started = time.perf_counter()
    groups: dict[bytes, list[str]] = {}
    workbooks: list[Path] = []
    for path in files:
        with path.open("rb") as fh:
            first = fh.readline()
        if first.startswith(b"PK"):
            workbooks.append(path)
        else:
            groups.setdefault(first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n"), []).append(
                str(path)
            )
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")  # its bar would fill the benchmark's output
    try:
        for paths in groups.values():
            # every column is summed over so the reader must parse each cell; nothing is kept
            counts = con.execute(
                "select count(*), sum(length(columns(*))) from read_csv(?, header = true, all_varchar = true, "
                "delim = ',', quote = '\"', escape = '\"')",
                [paths],
            ).fetchall()[0]  # an aggregate: always one row
            floor.rows += int(counts[0])
    finally:
        con.close()
    floor.csv_groups = len(groups)
    floor.csv_seconds = time.perf_counter() - started
    xlsx_started = time.perf_counter()
    for path in workbooks:
        floor.rows += _xlsx_rows(path)
    floor.xlsx_seconds = time.perf_counter() - xlsx_started
    floor.seconds = time.perf_counter() - started
    return floor


# --------------------------------------------------------------------------- (b)-(d)


def _load_week(settings: Settings, week: str, sc: Scenario, timed: _Timer) -> None:
    from medsos import pipeline

    run_id = pipeline.new_run_id(week, "bench")
    batch = timed(sc, "find", pipeline.find_new_files, settings, week, run_id)
    parsed = timed(sc, "parse", pipeline.parse_files, settings, batch)
    timed(sc, "validate", pipeline.validate_batch, settings, batch)
    timed(sc, "load", pipeline.load_batch, settings, batch)
    shutil.rmtree(batch.folder, ignore_errors=True)
    sc.rows += parsed["posts_parsed"] + parsed["account_days_parsed"]
    sc.files += parsed["files_parsed"] + parsed["files_rejected"]


def _finish(settings: Settings, week: str, sc: Scenario, timed: _Timer) -> None:
    from medsos import pipeline

    timed(sc, "build", pipeline.build_tables, settings, week)
    timed(sc, "publish", pipeline.publish_copy, settings)
    timed(sc, "report", pipeline.render_summaries, settings, week)


def run_backfill(
    settings: Settings, history: list[str], timed: _Timer, progress: bool = True
) -> Scenario:
    """(b): the history as ``medsos backfill`` loads it: one batch (listed once, parsed two
    weeks at a time, validated and loaded once), tables built once."""
    from medsos import pipeline

    sc = Scenario("backfill", history)
    started = time.perf_counter()

    def shown(week: str, files: int, rows: int) -> None:
        if progress:
            i = history.index(week) + 1 if week in history else len(history)
            elapsed = time.perf_counter() - started
            print(
                f"  (b) {i}/{len(history)} weeks read ({week}) | {files:,} files | "
                f"{rows / max(elapsed, 1e-9):,.0f} rows/s",
                file=sys.stderr,
                flush=True,
            )

    with pipeline.parse_workers_kept():
        loaded = pipeline.load_weeks(
            settings,
            history[0],
            history[-1],
            pipeline.new_run_id(history[-1], "bench"),
            progress=shown,
            timed=lambda stage, fn, *args, **kw: timed(sc, stage, fn, *args, **kw),
        )
    sc.rows = loaded["posts_parsed"] + loaded["account_days_parsed"]
    sc.files = loaded["files_parsed"] + loaded["files_rejected"]
    _finish(settings, history[-1], sc, timed)
    return sc


def _settle(landing: Path, week: str) -> None:
    """Start a scenario on a quiet machine, the same for (c) and (d): the disk writes the
    one before left in the page cache (a year's backfill ends by copying an 830 MB file)
    are flushed first, so (c) does not pay for (b)'s writes (its own writes still count);
    and the week's files are read once beforehand, so (d), which reads the same files
    (hard links) after (c), does not find them warm while (c) found them cold."""
    import gc

    gc.collect()
    os.sync()
    for path in _landing_files(landing, [week]):
        path.read_bytes()


def run_incremental(settings: Settings, week: str, timed: _Timer, name: str) -> Scenario:
    """(c)/(d): one weekly run (without sending) on whatever the warehouse already holds."""
    _settle(settings.landing, week)
    sc = Scenario(name, [week])
    _load_week(settings, week, sc, timed)
    _finish(settings, week, sc, timed)
    return sc


def _link_weeks(src: Path, dst: Path, week_list: list[str]) -> None:
    # hard links: same bytes and modification times, no copy; the landing walk does not
    # follow symlinks, so those would not do
    for week in week_list:
        try:
            shutil.copytree(src / week, dst / week, copy_function=os.link)
        except OSError:
            shutil.rmtree(dst / week, ignore_errors=True)
            shutil.copytree(src / week, dst / week)


def _generated(gen: Path, params: dict[str, Any], jobs: int) -> float:
    """Generate the exports under ``gen`` unless a kept folder already has these ones."""
    marker = gen / "generated.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        return 0.0
    shutil.rmtree(gen, ignore_errors=True)
    started = time.perf_counter()
    offices = national.select_offices(params["offices"])
    week_list = national.week_range(params["first"], params["weeks"])
    written = national.generate(
        gen, week_list, offices, seed=params["seed"], jobs=jobs, progress=True
    )
    marker.write_text(json.dumps(params))
    print(f"generated {written.files:,} files, {written.posts:,} posts", file=sys.stderr)
    return time.perf_counter() - started


def run_bench(
    root: Path,
    history_weeks: int = national.DEFAULT_WEEKS,
    offices: int | None = None,
    first: str = national.DEFAULT_FIRST_WEEK,
    seed: int = national.DEFAULT_SEED,
    jobs: int = 1,
    profile: Path | None = None,
    progress: bool = True,
    parse_workers: int | None = None,
) -> BenchResult:
    if history_weeks < 1:
        raise ValueError("--weeks must be at least 1")
    all_weeks = national.week_range(first, history_weeks + 1)
    history, week = all_weeks[:-1], all_weeks[-1]
    office_list = national.select_offices(offices)
    gen = root / "gen"
    params = {"offices": len(office_list), "first": first, "weeks": len(all_weeks), "seed": seed}
    generate_seconds = _generated(gen, params, jobs)
    landing, accounts = gen / "landing", gen / national.ACCOUNTS_CSV

    for run in ("history", "fresh"):
        shutil.rmtree(root / run, ignore_errors=True)
    profiler = cProfile.Profile() if profile else None
    timed = _Timer(profiler)

    if progress:
        print("(a) floor …", file=sys.stderr, flush=True)
    floor = measure_floor_apart(_landing_files(landing, history))

    workers = parse_workers or int(os.environ.get("MEDSOS_PARSE_WORKERS") or 1)
    on_history_settings = settings_under(root / "history", landing, accounts)
    # what the machine holds at once while medsos runs: this process and its workers
    with TreeMemory() as memory:
        with _environment(on_history_settings, parse_workers):
            backfill = run_backfill(on_history_settings, history, timed, progress)
            if progress:
                print("(c) one week on the history …", file=sys.stderr, flush=True)
            on_history = run_incremental(on_history_settings, week, timed, "on_history")

        fresh_landing = root / "fresh" / "landing"
        _link_weeks(landing, fresh_landing, [history[-1], week])
        fresh = settings_under(root / "fresh", fresh_landing, accounts)
        with _environment(fresh, parse_workers):
            if progress:
                print("(d) one week on one week …", file=sys.stderr, flush=True)
            untimed = _Timer(None)
            _load_week(fresh, history[-1], Scenario("setup", [history[-1]]), untimed)
            _finish(fresh, history[-1], Scenario("setup", [history[-1]]), untimed)
            on_one_week = run_incremental(fresh, week, timed, "on_one_week")

    if profiler is not None and profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile))
    peak_self, peak_child = _maxrss()
    return BenchResult(
        offices=len(office_list),
        history=history,
        week=week,
        floor=floor,
        backfill=backfill,
        on_history=on_history,
        on_one_week=on_one_week,
        peak_self=peak_self,
        peak_child=peak_child,
        workers=workers if workers > 1 else 0,
        generate_seconds=generate_seconds,
        peak_tree=memory.peak,
    )


# --------------------------------------------------------------------------- report


def format_result(r: BenchResult) -> str:
    f = r.floor
    lines = [
        f"medsos bench: {r.offices} offices x 5 platforms; history {r.history[0]} … {r.history[-1]} "
        f"({len(r.history)} weeks), incremental week {r.week}; {os.cpu_count()} CPUs",
        "",
        f"(a) floor, DuckDB reading every raw file of the history once: {f.seconds:,.1f} s for {f.files:,} files, "
        f"{f.rows:,} rows ({f.rows / max(f.seconds, 1e-9):,.0f} rows/s); CSV: {f.csv_groups} header groups "
        f"read_csv(list) {f.csv_seconds:,.1f} s; XLSX: zipfile + xml.etree {f.xlsx_seconds:,.1f} s",
        "",
    ]
    scs = [
        (f"(b) backfill {len(r.history)} wk", r.backfill),
        ("(c) week on history", r.on_history),
        ("(d) week on 1 week", r.on_one_week),
    ]
    head = f"{'stage':<10}" + "".join(f"{name:>30}" for name, _ in scs)
    sub = f"{'':<10}" + "".join(f"{'s':>12}{'rows/s':>12}{'share':>6}" for _ in scs)
    lines += [head, sub]
    for stage in (*STAGES, "total"):
        cells = []
        for _, sc in scs:
            s = sc.total() if stage == "total" else sc.seconds[stage]
            share = s / sc.total() if sc.total() else 0.0
            cells.append(f"{s:>12,.2f}{sc.rows / s if s else 0:>12,.0f}{share:>6.0%}")
        lines.append(f"{stage:<10}" + "".join(cells))
    lines.append(f"{'files':<10}" + "".join(f"{sc.files:>30,}" for _, sc in scs))
    lines.append(
        f"{'peak GB':<10}"
        + "".join(f"{' '.join(f'{sc.peaks[s] / GB:.1f}' for s in STAGES):>30}" for _, sc in scs)
    )
    lines.append(f"{'rows':<10}" + "".join(f"{sc.rows:>30,}" for _, sc in scs))
    per_week = r.backfill.total(("find", "parse", "validate", "load")) / len(r.history)
    lines += [
        f"{'':<10}" + "".join(f"{'(per stage, in order above)':>30}" for _ in scs),
        "",
        f"(b) path time (find+parse+validate+load+build): {r.backfill.total(PATH_STAGES):,.1f} s; "
        f"per history week {per_week:,.1f} s before build",
        f"peak memory, process tree sampled during (b)-(d): {r.peak_tree / GB:,.2f} GB; ru_maxrss: process "
        f"{r.peak_self / GB:,.2f} GB, largest child process {r.peak_child / GB:,.2f} GB (the floor's own process included)",
        "",
        "targets:",
    ]
    for name, measured, ok in r.targets():
        lines.append(f"  {'PASS' if ok else 'MISS'}  {name:<28} {measured}")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "--weeks",
        type=int,
        default=national.DEFAULT_WEEKS,
        help="weeks of history for (b); (c)/(d) run the week after (52)",
    )
    p.add_argument("--offices", type=int, help="only the first N offices (all 553)")
    p.add_argument(
        "--from", dest="first", default=national.DEFAULT_FIRST_WEEK, help="first history week"
    )
    p.add_argument("--seed", type=int, default=national.DEFAULT_SEED)
    p.add_argument(
        "--data-dir",
        type=Path,
        help="work here instead of a fresh temporary folder; generated exports found there "
        "with the same options are reused",
    )
    p.add_argument("--keep", action="store_true", help="keep the generated exports and warehouses")
    p.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes generating the exports"
    )
    p.add_argument(
        "--parse-workers",
        type=int,
        help="parse processes for big batches (MEDSOS_PARSE_WORKERS; default: as set, else every core)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        help="write cProfile stats of (b)-(d) stage calls to this file "
        "(set MEDSOS_PARSE_WORKERS=1 to see parsing in it)",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(
        argparse.ArgumentParser(prog="medsos bench", description=__doc__.split("\n\n")[0])
    )


def run(args: argparse.Namespace) -> int:
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="medsos-bench-"))
    if args.data_dir:
        from medsos.owned import claim

        # the bench deletes and rewrites gen/, history/ and fresh/ in it: only in its own folder
        claim(root, ".medsos-bench", "bench")
    root.mkdir(parents=True, exist_ok=True)
    try:
        result = run_bench(
            root,
            args.weeks,
            args.offices,
            args.first,
            args.seed,
            args.jobs,
            args.profile,
            parse_workers=args.parse_workers,
        )
        print(format_result(result))
        if args.profile:
            print(f"\nprofile: {args.profile}; top functions by own time:")
            pstats.Stats(str(args.profile), stream=sys.stdout).sort_stats("tottime").print_stats(15)
    finally:
        if args.keep:
            print(f"kept: {root}")
        elif args.data_dir:
            for part in ("gen", "history", "fresh"):
                shutil.rmtree(root / part, ignore_errors=True)
            (root / ".medsos-bench").unlink(missing_ok=True)  # its mark, with nothing left to mark
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``medsos bench [--weeks N] [--offices N] [--data-dir DIR] [--keep] …``; 0 when it ran
    (targets missed are reported, not an error)."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # as the medsos command does: big batches are parsed on every core
    os.environ.setdefault("MEDSOS_PARSE_WORKERS", str(os.cpu_count() or 1))
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
