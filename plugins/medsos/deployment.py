"""A production deployment refuses to run on samples, and says at once what is missing.

``MEDSOS_DEPLOYMENT=production`` (set by ``docker-compose.yaml``) makes medsos a
deployment: the account registry and the recipients must be named (``MEDSOS_ACCOUNTS``,
``MEDSOS_RECIPIENTS``) instead of falling back to the packaged Jawa Timur samples, which
would evaluate the wrong offices and mail example addresses.

``check_setup`` is the first task of ``medsos_weekly`` and ``medsos_pull``: it fails fast,
naming each problem, when something the run needs is missing (the one-slot pool
``medsos_warehouse``, the landing folder, the registry, the recipients, the evaluation
settings), so nothing waits silently in ``scheduled`` with the reason only in the
scheduler's log.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from medsos.config import Evaluation, Settings, production_settings_missing

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "medsos_warehouse"
# An address a mail server would take: one @, a dot in the domain, no spaces or commas.
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[A-Za-z]{2,}$")


class SetupError(RuntimeError):
    """What a run needs is missing; the message lists every problem, one a line."""


@dataclass
class SetupReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def raise_if_problems(self) -> None:
        for w in self.warnings:
            log.warning("setup: %s", w)
        if self.problems:
            raise SetupError("the run cannot start:\n- " + "\n- ".join(self.problems))


def check_recipients(path: Path, evaluators: set[str]) -> SetupReport:
    """Every row of the recipients CSV: a known office code and a valid address; and
    every office that receives a summary (``evaluators``) has somebody to receive it."""
    from medsos.registry import load_offices

    report = SetupReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{path}: cannot read the recipients ({exc})")
        return report
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    for column in ("office_code", "email"):
        if column not in header:
            report.problems.append(f"{path}: row 1, column '{column}': required column is missing")
    if report.problems:
        return report
    offices = load_offices()
    covered: set[str] = set()
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        where = f"{path}: row {reader.line_num}"
        code, address = row.get("office_code", ""), row.get("email", "")
        if code not in offices:
            report.problems.append(f"{where}, column 'office_code': {code!r} is no KPU office")
            continue
        if not EMAIL.match(address):
            report.problems.append(f"{where}, column 'email': {address!r} is not an email address")
            continue
        covered.add(code)
    for code in sorted(evaluators - covered):
        report.warnings.append(
            f"{path}: no recipient for {offices[code].office_name} ({code}); its weekly summary "
            "stays in the outbox until a row for it is added"
        )
    return report


def evaluators_of(accounts) -> set[str]:
    """Offices that receive a summary: KPU RI, and each province with evaluated offices."""
    from medsos.registry import load_offices

    offices = load_offices()
    out = {"00"}
    for account in accounts:
        office = offices.get(account.office_code)
        if office is not None and office.province_code:
            out.add(office.province_code)
    return out


POOL_DESCRIPTION = "DuckDB warehouse: one writer at a time"
# what a task process sees instead of the metadata database (Airflow 3 blocks it there)
BLOCKED_DATABASE = "airflow-db-not-allowed"


def pool_exists(name: str = WAREHOUSE_POOL, url: str | None = None) -> bool | None:
    """Whether Airflow has the pool; None where this process cannot ask.

    A run under ``dag.test`` (the demo, the tests) reads the metadata database with a
    short-lived engine of its own (read only). A task run by an executor cannot: Airflow 3
    blocks the database in task processes, and there the scheduler's medsos plugin
    (``plugins/medsos_airflow_plugin.py``, ``ensure_pool``) has made sure of the pool.
    """
    from airflow.configuration import conf
    from sqlalchemy import create_engine, text

    url = url or conf.get("database", "sql_alchemy_conn", fallback=None)
    if not url or url.startswith(BLOCKED_DATABASE):
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as con:
            count = con.execute(
                text("select count(*) from slot_pool where pool = :name"), {"name": name}
            ).scalar()
            return bool(count)
    finally:
        engine.dispose()


def ensure_pool(name: str = WAREHOUSE_POOL) -> bool:
    """Create the one-slot pool where it is missing (in a component with database access);
    True when it had to. An existing pool keeps the slots the operator gave it."""
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    try:
        with create_session() as session:
            if Pool.get_pool(name, session=session) is not None:
                return False
            Pool.create_or_update_pool(name, 1, POOL_DESCRIPTION, False, session=session)
    except Exception:  # noqa: BLE001 - a component must start even when this fails; the log says why
        log.exception(
            "could not make sure the pool %s exists; warehouse tasks wait until it does", name
        )
        return False
    log.warning(
        "created the missing pool %s with 1 slot: every task that writes the warehouse runs in it",
        name,
    )
    return True


def check_setup(settings: Settings, *, check_pool: bool = True) -> SetupReport:
    """Everything a run needs, checked before it starts; see the module docstring."""
    from medsos.registry import AccountRegistryError, load_accounts

    report = SetupReport(problems=production_settings_missing())
    if not settings.landing.is_dir():
        report.problems.append(
            f"the landing folder {settings.landing} (MEDSOS_LANDING) does not exist; offices drop their "
            "exports there, so create it (or mount it) first"
        )
    accounts = []
    if not settings.accounts.is_file():
        report.problems.append(
            f"the account registry {settings.accounts} (MEDSOS_ACCOUNTS) does not exist"
        )
    else:
        try:
            accounts = load_accounts(settings.accounts)
        except AccountRegistryError as exc:
            report.problems.append(
                f"the account registry (MEDSOS_ACCOUNTS) has errors:\n  {exc}".replace("\n", "\n  ")
            )
    if not settings.recipients.is_file():
        report.problems.append(
            f"the recipients file {settings.recipients} (MEDSOS_RECIPIENTS) does not exist"
        )
    else:
        found = check_recipients(settings.recipients, evaluators_of(accounts))
        report.problems += found.problems
        report.warnings += found.warnings
    try:
        Evaluation.load(settings.evaluation)
    except ValueError as exc:
        report.problems.append(f"the evaluation settings (MEDSOS_EVALUATION): {exc}")
    if check_pool and pool_exists() is False:
        report.problems.append(
            f"Airflow has no pool '{WAREHOUSE_POOL}': every task that touches the warehouse would wait "
            f'for ever. Create it: airflow pools set {WAREHOUSE_POOL} 1 "{POOL_DESCRIPTION}"'
        )
    return report


def check_before_run() -> None:
    """The ``check_setup`` task of both DAGs: the settings from the environment, then
    ``check_setup``; raises SetupError listing every problem."""
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise SetupError(f"the run cannot start: {exc}") from None
    check_setup(settings).raise_if_problems()
