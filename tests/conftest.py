"""Shared fixtures. Airflow reads its configuration at first import, so the throw-away
AIRFLOW_HOME (SQLite) is set here, before any test module imports airflow."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="medsos-test-airflow-"))

from medsos import airflow_local  # noqa: E402

airflow_local.prepare(_AIRFLOW_HOME)
# nothing a test does may land in the checkout's data/ folder
os.environ["MEDSOS_DATA_DIR"] = str(_AIRFLOW_HOME / "medsos-data")

from medsos.config import Settings  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite Airflow metadata database for real DAG runs."""
    airflow_local.migrate()
    return _AIRFLOW_HOME


def make_settings(root: Path) -> Settings:
    return Settings.from_env(
        landing=root / "landing",
        warehouse=root / "medsos.duckdb",
        published=root / "published" / "medsos.duckdb",
        outbox=root / "outbox",
        work=root / "work",
        gx_dir=root / "gx",
    )


@pytest.fixture(scope="session")
def settings_for():
    """``settings_for(folder)``: Settings with every path under ``folder``."""
    return make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def medsos_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for k, v in settings.as_env().items():
        monkeypatch.setenv(k, v)
    return settings


def pytest_configure(config):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
