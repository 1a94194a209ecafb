"""Run the API pulls: every registry account with ``source = api``, per platform.

``pull_platform`` is one Airflow task of ``medsos_pull`` (mapped per platform, never per
office x platform) and ``medsos pull`` runs it for each platform. Inside, offices are
pulled a few at a time (the connection's ``concurrency``, default 4), each with its own
token. What can go wrong with one office stays with that office: a refused token, a
missing connection, an API error after retries make that office-platform ``failed`` with
a message naming both, and the others go on; so does anything unexpected (it is caught
per office, named and logged without its traceback, which could quote a header). A
used-up YouTube quota fails the offices not yet pulled, since nothing more can be
fetched that day; a refused token fails every week asked for, not only the first.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from medsos import weeks
from medsos.api import connections, facebook, instagram, tiktok, x, youtube
from medsos.api.client import ApiError, QuotaExhausted, RateGate, TokenRejected
from medsos.api.graph import MetricList
from medsos.api.record import PullTarget, Recorder
from medsos.config import Settings
from medsos.registry import Account, load_accounts, load_offices

log = logging.getLogger(__name__)

PULLERS = {
    "facebook": facebook,
    "instagram": instagram,
    "youtube": youtube,
    "tiktok": tiktok,
    "x": x,
}
API_PLATFORMS = tuple(PULLERS)
# the running week ends a little before now: X refuses an end_time under 10 s old
END_MARGIN = timedelta(minutes=1)


@dataclass
class Outcome:
    platform: str
    office_code: str
    office_name: str
    week: str
    status: str  # pulled | failed | skipped
    file: str | None = None  # relative to the landing root
    posts: int = 0
    requests: int = 0
    waited_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    message: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def api_accounts(settings: Settings, platform: str | None = None) -> list[Account]:
    """The registry's accounts pulled by API (all platforms, or one)."""
    return [
        a
        for a in load_accounts(settings.accounts)
        if a.source == "api" and (platform is None or a.platform == platform)
    ]


def platforms_to_pull(settings: Settings) -> list[str]:
    return sorted({a.platform for a in api_accounts(settings)}, key=API_PLATFORMS.index)


def weeks_to_pull(now: datetime, tz: str = "Asia/Jakarta") -> list[str]:
    """The week just ended and the running one: the ended week's late posts and settling
    numbers are fetched again until its evaluation, and a daily pull keeps both fresh."""
    running = weeks.week_of(now.astimezone(ZoneInfo(tz)))
    return [weeks.shift(running, -1), running]


def window(week: str, tz: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The week as UTC instants, cut in the office's own zone; None for a future week."""
    zone = ZoneInfo(tz)
    start = datetime.combine(weeks.week_start(week), time(), zone).astimezone(UTC)
    end = datetime.combine(weeks.week_start(week) + timedelta(days=7), time(), zone).astimezone(UTC)
    end = min(end, now - END_MARGIN)
    return (start, end) if end > start else None


def pull_platform(
    settings: Settings,
    platform: str,
    pull_weeks: list[str],
    offices: list[str] | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """Pull one platform for every API account (or those of ``offices``) and week."""
    if platform not in PULLERS:
        raise ValueError(f"unknown platform {platform!r}; use one of {', '.join(API_PLATFORMS)}")
    module = PULLERS[platform]
    now = now or datetime.now(UTC)
    office_list = load_offices()
    accounts = [
        a for a in api_accounts(settings, platform) if offices is None or a.office_code in offices
    ]
    extra = connections.platform_extra(platform)
    metrics = module.metric_list(extra)
    quota: dict[str, str] = {}  # set once YouTube says the day's quota is gone
    gate = RateGate()  # a rate limit met by one office pauses them all

    def one_account(account: Account) -> list[Outcome]:
        office = office_list[account.office_code]
        name = f"{platform}, {office.office_name} ({office.office_code})"
        outcomes = []
        refused = None  # a refused token is refused for every week
        for week in pull_weeks:
            outcome = Outcome(platform, office.office_code, office.office_name, week, "failed")
            outcomes.append(outcome)
            span = window(week, office.timezone, now)
            if span is None:
                outcome.status, outcome.message = "skipped", "the week has not started yet"
                continue
            if refused or quota:
                outcome.message = refused or f"{name}: {quota['message']}"
                continue
            try:
                creds = connections.credentials_for(platform, office.office_code)
            except connections.MissingCredentials as exc:
                outcome.message = f"{name}: {exc}"
                continue
            client = creds.client(platform, gate)
            target = PullTarget(
                platform,
                office.office_code,
                office.office_name,
                account.handle,
                account.account_id,
                week,
                *span,
            )
            rec = Recorder(target, client)
            try:
                posts = module.pull(rec, target, metrics, creds.extra)
                if isinstance(metrics, MetricList):
                    note_retired(rec, metrics)
                path = rec.write(settings.landing)
            except TokenRejected as exc:
                refused = outcome.message = (
                    f"{name}: the platform refused the token of connection {creds.conn_id} ({exc}); the office "
                    "admin must reconnect the account and the connection needs the new token"
                )
                log.error("%s", outcome.message)
                continue
            except QuotaExhausted as exc:
                quota.setdefault("message", str(exc))
                outcome.message = f"{name}: {exc}"
                log.error("%s", outcome.message)
                continue
            except (ApiError, ValueError) as exc:
                outcome.message = f"{name}: {client.scrub(str(exc))}"
                log.error("%s", outcome.message)
                continue
            except Exception as exc:  # noqa: BLE001 - one office's surprise must not stop the others
                outcome.message = (
                    f"{name}: unexpected {type(exc).__name__}: {client.scrub(str(exc))}"
                )
                log.error("%s", outcome.message)
                continue
            outcome.status = "pulled"
            outcome.file = path.relative_to(settings.landing).as_posix()
            outcome.posts = posts
            outcome.requests = client.requests_made
            outcome.waited_seconds = round(client.waited_seconds, 1)
            outcome.notes = list(rec.notes)
            log.info(
                "%s %s %s: %s posts in %s requests -> %s",
                platform,
                office.office_code,
                week,
                outcome.posts,
                outcome.requests,
                outcome.file,
            )
        return outcomes

    workers = max(1, min(int(extra.get("concurrency", 4)), 16))
    with ThreadPoolExecutor(workers, thread_name_prefix=f"pull-{platform}") as pool:
        results = list(pool.map(one_account, accounts))
    return [o for group in results for o in group]


def note_retired(rec: Recorder, metrics: MetricList) -> None:
    """Every pull file of the run says which metrics were dropped, not only the pull
    that met the error: a reader of one file sees why its numbers lack that metric."""
    for metric, message in sorted(metrics.retired.items()):
        if not any(f"'{metric}' is retired" in n for n in rec.notes):
            rec.note(
                f"metric '{metric}' is retired by the platform ({message}); not asked for in this pull"
            )


def pull(
    settings: Settings,
    pull_weeks: list[str],
    platforms: list[str] | None = None,
    offices: list[str] | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """``pull_platform`` for each platform that has API accounts (or those given). A
    platform whose connection is misconfigured gives one failed outcome naming it (no
    office), and the other platforms still run."""
    outcomes: list[Outcome] = []
    for platform in platforms or platforms_to_pull(settings):
        try:
            outcomes += pull_platform(settings, platform, pull_weeks, offices, now)
        except ValueError as exc:
            outcomes.append(
                Outcome(
                    platform, "", "", ",".join(pull_weeks), "failed", message=f"{platform}: {exc}"
                )
            )
    return outcomes


def failures(outcomes: list[Outcome] | list[dict]) -> list[str]:
    """The message of every office-platform-week that failed."""
    return [
        (o["message"] if isinstance(o, dict) else o.message) or "failed"
        for o in outcomes
        if (o["status"] if isinstance(o, dict) else o.status) == "failed"
    ]


def missing_platforms(planned: list[str], outcomes: list[dict]) -> list[str]:
    """Platforms planned but without a single outcome: their task died before it could
    report (a misconfigured connection, a crash), which must not look like success."""
    reported = {o["platform"] for o in outcomes}
    return [p for p in planned if p not in reported]


def landing_path(settings: Settings, outcome: Outcome) -> Path | None:
    return settings.landing / outcome.file if outcome.file else None


def load_pulled(settings: Settings, pulled_weeks: list[str], run_prefix: str = "pull") -> dict:
    """Take the pulled files through parse -> validate -> load (each week in order, as a
    weekly run would), then rebuild the tables and the staff copy once. No email: the
    weekly run sends it."""
    from medsos.pipeline import build_tables, load_week, new_run_id, publish_copy

    ordered = sorted(set(pulled_weeks), key=weeks.week_start)
    totals = {
        "files_processed": 0,
        "files_loaded": 0,
        "files_rejected": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
    }
    for week in ordered:
        result = load_week(settings, week, new_run_id(week, run_prefix))
        for key in totals:
            totals[key] += int(result.get(key, 0))
    if ordered:
        build_tables(settings, ordered[-1])
        publish_copy(settings)
    return totals | {"weeks": ordered}


def outcome_table(outcomes: list[Outcome]) -> str:
    """The pull's outcomes as a plain table (one line per office, platform and week)."""
    lines = [
        f"{'platform':<10} {'office':<7} {'week':<9} {'status':<8} {'posts':>5} {'requests':>8}  details"
    ]
    for o in sorted(outcomes, key=lambda o: (o.platform, o.office_code, o.week)):
        details = o.message or "; ".join(o.notes) or (o.file or "")
        lines.append(
            f"{o.platform:<10} {o.office_code:<7} {o.week:<9} {o.status:<8} {o.posts:>5} {o.requests:>8}  {details}"
        )
    return "\n".join(lines)
