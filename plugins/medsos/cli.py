"""The ``medsos`` command.

    medsos sample                      write the Jawa Timur sample exports to the landing zone
    medsos run --week 2024-W07         the whole weekly job without Airflow
    medsos backfill --from W --to W    load past weeks in order (progress, summary)
    medsos pull [--week W]             pull API-connected accounts, then load them
    medsos rebuild [--week W]          every table again from the landing zone (a lost warehouse)
    medsos query "select …"            query the published (read-only) warehouse copy
    medsos demo [--dir DIR]            sample + the weekly DAG through Airflow for 8 weeks, in data/
    medsos national --out DIR          national-scale exports (553 offices x 5 platforms x 52 weeks)
    medsos bench [--weeks N]           the national benchmark: floor vs medsos, per stage
    medsos portal [add-user NAME]      the web portal for offices and provinces; its accounts

Exit codes: 0 done; 1 the job failed (the message says where); 2 wrong arguments or
configuration; 3 the warehouse file is held by another process; 4 refused: the command
would delete or rewrite data it did not create, or was not confirmed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_REFUSED = 1, 2, 3, 4


def _path_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--landing", type=Path, help="landing zone (env MEDSOS_LANDING)")
    p.add_argument("--warehouse", type=Path, help="DuckDB file (env MEDSOS_WAREHOUSE)")
    p.add_argument("--published", type=Path, help="read-only copy for staff (env MEDSOS_PUBLISHED)")
    p.add_argument("--outbox", type=Path, help="folder for rendered emails (env MEDSOS_OUTBOX)")
    p.add_argument("--accounts", type=Path, help="account registry CSV (env MEDSOS_ACCOUNTS)")


def _settings(args: argparse.Namespace):
    from medsos.config import Settings

    return Settings.from_env(
        landing=getattr(args, "landing", None),
        warehouse=getattr(args, "warehouse", None),
        published=getattr(args, "published", None),
        outbox=getattr(args, "outbox", None),
        accounts=getattr(args, "accounts", None),
    )


def _week(text: str) -> str:
    from medsos.weeks import InvalidWeek, parse_week

    try:
        parse_week(text)
    except InvalidWeek as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def cmd_sample(args: argparse.Namespace) -> int:
    from medsos.sample import build_plan, write_sample_checked

    settings = _settings(args)
    plan = build_plan(args.first, args.last, seed=args.seed, accounts_path=settings.accounts)
    files = write_sample_checked(settings.landing, plan)
    print(
        f"wrote {len(files)} export files for {len({a.office_code for a in plan.accounts})} offices, "
        f"{len(plan.weeks)} weeks ({plan.weeks[0]} … {plan.weeks[-1]}), {len(plan.posts)} posts "
        f"into {settings.landing}"
    )
    return 0


def confirmed(args: argparse.Namespace, command: str, what: str) -> bool:
    """A command that deletes or rewrites data names what it will touch, then goes on only
    with ``--yes`` or a 'y' typed at a terminal; anywhere else (a script, cron) it refuses."""
    print(f"medsos {command} {what}", file=sys.stderr)
    if getattr(args, "yes", False):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input("Go ahead? [y/N] ").strip().lower()
        if answer in ("y", "yes", "ya"):
            return True
        print(f"medsos {command}: refused: not confirmed; nothing was changed", file=sys.stderr)
        return False
    print(f"medsos {command}: refused: nothing was changed; add --yes to go ahead", file=sys.stderr)
    return False


def _reprocess_what(settings, last_week: str) -> str:
    return (
        f"--reprocess reads again every export in {settings.landing} for weeks up to {last_week} and "
        f"replaces the rows each one loaded into {settings.warehouse} (a file saved over in an old week "
        "folder loads as it reads now); nothing in the landing zone is changed."
    )


def cmd_run(args: argparse.Namespace) -> int:
    from medsos.pipeline import run_week

    settings = _settings(args)
    if args.reprocess and not confirmed(args, "run", _reprocess_what(settings, args.week)):
        return EXIT_REFUSED
    result = run_week(settings, args.week, reprocess=args.reprocess, resend=args.resend)
    print(f"week {result['week']} (run {result['run_id']})")
    print(
        f"  files: {result['files_processed']} new or changed, {result['files_loaded']} loaded, "
        f"{result['files_rejected']} rejected, {result['files_duplicate']} duplicate"
    )
    print(f"  rows: {result['rows_loaded']} loaded, {result['rows_quarantined']} quarantined")
    for problem in result["layout_problems"]:
        print(f"  landing: {problem}")
    print(f"  published copy: {result['published']}")
    for email in result["emails"]:
        print(f"  summary: {email}")
    sent = result["sent"]
    if sent["outbox_only"]:
        print(
            "  email: no SMTP connection (AIRFLOW_CONN_SMTP_DEFAULT); summaries are in the outbox only"
        )
    else:
        print(f"  email: {sent['sent']} sent, {sent['skipped']} already sent before")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Load history outside Airflow as one batch, with progress and a summary.

    The landing zone is listed once, every file parsed (the bar moves a week at a time),
    checked by Great Expectations and loaded in one transaction; the tables are built,
    published and the last week's summaries rendered once at the end. Files are taken week
    by week (late files and corrections fall where a weekly run would put them), which
    gives the same tables as the DAG running every week.
    """
    import time

    from medsos.pipeline import (
        build_tables,
        load_weeks,
        new_run_id,
        parse_workers_kept,
        publish_copy,
        render_summaries,
    )
    from medsos.weeks import weeks_between

    settings = _settings(args)
    if args.reprocess and not confirmed(args, "backfill", _reprocess_what(settings, args.last)):
        return EXIT_REFUSED
    todo = weeks_between(args.first, args.last)
    started = time.monotonic()

    def progress(week: str, files: int, rows: int) -> None:
        i = todo.index(week) + 1 if week in todo else len(todo)
        elapsed = time.monotonic() - started
        left = elapsed / i * (len(todo) - i)
        done = round(30 * i / len(todo))
        print(
            f"[{'#' * done}{'.' * (30 - done)}] {i}/{len(todo)} weeks ({week}) | {files:,} files"
            f" | {rows / max(elapsed, 1e-9):,.0f} rows/s | about {left:,.0f} s left (reading)",
            flush=True,
        )

    with parse_workers_kept():
        result = load_weeks(
            settings,
            args.first,
            args.last,
            new_run_id(args.last, "backfill"),
            reprocess=args.reprocess,
            progress=progress,
        )
    for problem in result["layout_problems"]:
        print(f"  landing: {problem}")
    build_started = time.monotonic()
    build_tables(settings, args.last)
    publish_copy(settings)
    emails = render_summaries(settings, args.last)
    elapsed = time.monotonic() - started
    print(
        f"backfill {args.first} … {args.last}: {len(todo)} weeks, {result['files_processed']:,} files "
        f"({result['files_rejected']:,} rejected), {result['rows_loaded']:,} rows loaded, "
        f"{result['rows_quarantined']:,} quarantined; tables built in "
        f"{time.monotonic() - build_started:,.1f} s; {len(emails)} summaries for {args.last}; {elapsed:,.0f} s in all"
    )
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    """Pull every account the registry marks ``source = api`` (what the ``medsos_pull``
    DAG does each day), then load the pulled weeks. Exit code 1 when any office-platform
    failed; the others are pulled and loaded all the same."""
    from datetime import UTC, datetime

    from medsos.api.pull import failures, load_pulled, outcome_table, pull, weeks_to_pull
    from medsos.registry import load_offices, normalise_office_code

    settings = _settings(args)
    offices = None
    if args.office:
        try:
            offices = [normalise_office_code(code) for code in args.office]
        except ValueError as exc:
            print(f"medsos pull: {exc}", file=sys.stderr)
            return EXIT_USAGE
        unknown = [code for code in offices if code not in load_offices()]
        if unknown:
            print(f"medsos pull: no KPU office has the code {', '.join(unknown)}", file=sys.stderr)
            return EXIT_USAGE
    pull_weeks = args.week or weeks_to_pull(datetime.now(UTC))
    outcomes = pull(settings, pull_weeks, platforms=args.platform, offices=offices)
    if not outcomes:
        print(
            f"no account in {settings.accounts} has source 'api'{' for these platforms' if args.platform else ''}; "
            "nothing to pull"
        )
        return 0
    print(outcome_table(outcomes))
    pulled = sorted({o.week for o in outcomes if o.status == "pulled"})
    if pulled and not args.no_load:
        loaded = load_pulled(settings, pulled)
        print(
            f"loaded {', '.join(loaded['weeks'])}: {loaded['files_loaded']} files, {loaded['rows_loaded']} rows, "
            f"{loaded['rows_quarantined']} quarantined, {loaded['files_rejected']} rejected"
        )
    failed = failures(outcomes)
    if failed:
        print(f"{len(failed)} of {len(outcomes)} pulls failed:", file=sys.stderr)
        for message in failed:
            print(f"  {message}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Every table again from the landing zone into a new warehouse, swapped in only when
    complete (``medsos.rebuild``): the answer to a lost or damaged warehouse."""
    from medsos import rebuild

    settings = _settings(args)
    plan = rebuild.plan(settings, args.week)
    try:
        if not confirmed(args, "rebuild", rebuild.describe(settings, plan)):
            return EXIT_REFUSED
        result = rebuild.run(settings, plan)
    finally:
        plan.reference.close()
    print("\n".join(rebuild.summary(settings, result)))
    return 0


YES_NO = {True: "ya", False: "tidak"}


def _cell(value):
    """A value as a staffer reads it in a spreadsheet: booleans in Indonesian, NULL empty."""
    if isinstance(value, bool):
        return YES_NO[value]
    return "" if value is None else value


def _write_xlsx(path: Path, columns: list[str], rows: list[tuple]) -> None:
    """The result as a workbook like the email's: a frozen header with a filter, widths
    that fit, yes/no in Indonesian, percentages formatted, links clickable."""
    from medsos.report.workbook import build_workbook

    path.write_bytes(build_workbook([("hasil", columns, rows)], labels=False))


def _one_line_text(rel):
    """The relation with line breaks in text shown as spaces: DuckDB's table printer writes
    a caption's line breaks as a literal ``\\n``, which reads as noise in a terminal."""
    if not any(str(t) == "VARCHAR" for t in rel.types):
        return rel
    columns = []
    for name, kind in zip(rel.columns, rel.types, strict=True):
        quoted = '"' + name.replace('"', '""') + '"'
        if str(kind) == "VARCHAR":
            columns.append(f"regexp_replace({quoted}, '\\s*[\\r\\n]+\\s*', ' ', 'g') as {quoted}")
        else:
            columns.append(quoted)
    return rel.project(", ".join(columns))


def cmd_query(args: argparse.Namespace) -> int:
    import shutil

    from medsos.warehouse import open_published

    settings = _settings(args)
    if args.format == "xlsx" and args.output is None:
        print(
            "medsos query: --format xlsx needs --output FILE.xlsx (a workbook is not for the terminal)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    con = open_published(settings)
    try:
        rel = con.sql(args.sql)
        if rel is None:
            return 0
        if args.format == "xlsx":
            _write_xlsx(args.output, list(rel.columns), rel.fetchall())
            print(f"{args.output}: {len(rel)} rows", file=sys.stderr)
            return 0
        try:
            if args.format == "csv":
                import csv

                # the BOM lets Excel read UTF-8 (accents, emoji) instead of guessing a code page
                sys.stdout.write("\ufeff")
                writer = csv.writer(sys.stdout)
                writer.writerow(rel.columns)
                writer.writerows([_cell(v) for v in row] for row in rel.fetchall())
            else:
                width = args.max_width or shutil.get_terminal_size(fallback=(200, 24)).columns
                _one_line_text(rel).show(max_rows=args.max_rows, max_width=width)
            sys.stdout.flush()
        except BrokenPipeError:
            # `medsos query … | head`: the reader has what it wanted; nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        con.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from medsos.demo import default_folder, run_demo

    return run_demo(args.dir or default_folder(), args.first, args.last, accounts=args.accounts)


def build_parser() -> argparse.ArgumentParser:
    from medsos.sample import DEFAULT_FIRST_WEEK, DEFAULT_LAST_WEEK

    parser = argparse.ArgumentParser(prog="medsos", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress logs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write deterministic sample exports (Jawa Timur)")
    _path_flags(p)
    p.add_argument("--from", dest="first", type=_week, default=DEFAULT_FIRST_WEEK)
    p.add_argument("--to", dest="last", type=_week, default=DEFAULT_LAST_WEEK)
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("run", help="run the weekly job for one ISO week")
    _path_flags(p)
    p.add_argument("--week", type=_week, required=True, help="ISO week, e.g. 2024-W07")
    p.add_argument(
        "--reprocess", action="store_true", help="load every file again (asks first; see --yes)"
    )
    p.add_argument(
        "--resend", action="store_true", help="send the summaries again even if already sent"
    )
    p.add_argument("--yes", action="store_true", help="go ahead with --reprocess without asking")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "backfill", help="load past weeks in order, outside Airflow (no emails sent)"
    )
    _path_flags(p)
    p.add_argument("--from", dest="first", type=_week, required=True)
    p.add_argument("--to", dest="last", type=_week, required=True)
    p.add_argument(
        "--reprocess", action="store_true", help="load every file again (asks first; see --yes)"
    )
    p.add_argument("--yes", action="store_true", help="go ahead with --reprocess without asking")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser(
        "rebuild",
        help="every table again from the landing zone into a new warehouse, "
        "swapped in when complete (a lost or damaged warehouse)",
    )
    _path_flags(p)
    p.add_argument(
        "--week",
        type=_week,
        help="the last week to report (default: the week the warehouse was last built for, else "
        "the newest week folder)",
    )
    p.add_argument("--yes", action="store_true", help="go ahead without asking")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser(
        "pull", help="pull API-connected accounts (registry source=api), then load them"
    )
    _path_flags(p)
    p.add_argument(
        "--week",
        type=_week,
        action="append",
        help="ISO week to pull (repeatable); default: the week just ended and the running one",
    )
    p.add_argument(
        "--platform",
        action="append",
        choices=("instagram", "facebook", "x", "youtube", "tiktok"),
        help="only this platform (repeatable)",
    )
    p.add_argument(
        "--office", action="append", help="only this office code (repeatable), e.g. 35.06"
    )
    p.add_argument(
        "--no-load", action="store_true", help="only write the pull files to the landing zone"
    )
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser(
        "query",
        help="run SQL on the published copy of the warehouse",
        description="Run one SQL statement on the published (read-only) copy of the warehouse, e.g. "
        "medsos query \"select * from marts.province_weekly where iso_week = '2024-W07'\"",
    )
    _path_flags(p)
    p.add_argument("sql", help="the SQL to run (quote it); the README lists ready-made queries")
    p.add_argument(
        "--format",
        choices=("table", "csv", "xlsx"),
        default="table",
        help="table: for reading in the terminal (default); csv: for other programs and Excel "
        "(UTF-8 with a BOM, yes/no as ya/tidak); xlsx: an Excel workbook, with --output",
    )
    p.add_argument("--output", type=Path, help="the workbook to write with --format xlsx")
    p.add_argument(
        "--max-rows",
        type=int,
        default=60,
        help="table format: rows shown before the middle is elided (default 60)",
    )
    p.add_argument(
        "--max-width",
        type=int,
        default=None,
        help="table format: characters per line (default: the terminal's width)",
    )
    p.set_defaults(func=cmd_query)

    p = sub.add_parser(
        "demo",
        help="sample data + medsos_weekly through Airflow (dag.test), in a folder of its own",
    )
    p.add_argument(
        "--dir",
        type=Path,
        help="the demo's own folder (default: the checkout's data/); it must be empty or made by a demo",
    )
    p.add_argument(
        "--accounts",
        type=Path,
        help="account registry CSV to build the sample from (env MEDSOS_ACCOUNTS)",
    )
    p.add_argument("--from", dest="first", type=_week, default=DEFAULT_FIRST_WEEK)
    p.add_argument("--to", dest="last", type=_week, default=DEFAULT_LAST_WEEK)
    p.set_defaults(func=cmd_demo)

    from medsos import bench

    p = sub.add_parser(
        "bench", help="national-scale benchmark: floor vs backfill vs one week (prints a table)"
    )
    bench.add_arguments(p)
    p.set_defaults(func=bench.run)

    from medsos.portal import cli as portal

    p = sub.add_parser(
        "portal",
        help="the web portal: offices upload exports, staff read their province "
        "(add-user: create an account)",
    )
    portal.add_arguments(p)
    p.set_defaults(func=portal.run)

    # its own options; main() hands the arguments to medsos.national as they are
    sub.add_parser(
        "national", help="write national-scale exports (553 offices x 5 platforms x N weeks)"
    )
    return parser


# commands that reach Airflow (the SMTP and API connections)
AIRFLOW_COMMANDS = {"run", "pull"}


def _log_to_stderr(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("great_expectations", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["national"]:
        from medsos import national
        from medsos.owned import Refused

        try:
            return national.main(argv[1:])
        except Refused as exc:
            print(f"medsos national: refused: {exc}", file=sys.stderr)
            return EXIT_REFUSED
    parser = build_parser()
    args = parser.parse_args(argv)
    _log_to_stderr(args.verbose)
    if args.command in AIRFLOW_COMMANDS:
        # Importing Airflow sends every log record to stdout, in its own format, from then
        # on; stdout is the command's output (a summary, CSV). Import it now and put the
        # logging back. If Airflow cannot start (a bad setting), the command still runs:
        # without it the summaries stay in the outbox, as the run reports.
        failed = None
        try:
            import airflow.sdk  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            failed = exc
        _log_to_stderr(args.verbose)
        if failed is not None:
            logging.getLogger(__name__).warning(
                "Airflow could not be loaded (%s: %s)", type(failed).__name__, failed
            )
    # big batches are parsed on every core (the console script guards its main module,
    # which the worker processes import again)
    os.environ.setdefault("MEDSOS_PARSE_WORKERS", str(os.cpu_count() or 1))
    import duckdb

    from medsos.owned import Refused
    from medsos.warehouse import WarehouseBusy

    try:
        return args.func(args)
    except Refused as exc:
        print(f"medsos {args.command}: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except WarehouseBusy as exc:
        print(f"medsos: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (FileNotFoundError, ValueError) as exc:
        print(f"medsos: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as exc:
        print(f"medsos: DuckDB: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a last word a user can act on, with the type for bug reports
        print(f"medsos: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.verbose:
            raise
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
