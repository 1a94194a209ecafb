"""The docker-compose deployment, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re

import pytest
import yaml

from medsos.config import project_dir

ROOT = project_dir()
SERVICES = {
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker", "airflow-init", "mailcatcher",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def env_of(service: dict) -> dict:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_services_present(compose):
    assert SERVICES <= set(compose["services"])


def test_images_pinned(compose):
    for name, svc in compose["services"].items():
        image = svc.get("image", "")
        if image.startswith("${MEDSOS_IMAGE"):
            assert svc.get("build") == ".", f"{name} runs the medsos image, which is built from the Dockerfile"
            continue
        assert re.search(r":v?[0-9][\w.-]*$", image), f"{name}: image {image!r} is not pinned to a version"
        assert not image.endswith(":latest")


def test_celery_executor_and_execution_api(compose):
    env = env_of(compose["services"]["airflow-scheduler"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert "postgresql" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080")


def test_volumes_mounted_where_the_code_expects_them(compose):
    for name in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor", "airflow-apiserver"):
        svc = compose["services"][name]
        env = env_of(svc)
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        for var in ("MEDSOS_LANDING", "MEDSOS_OUTBOX", "MEDSOS_WORK"):
            assert env[var] in mounts, f"{name}: {var}={env[var]} is not on a volume"
        for var in ("MEDSOS_WAREHOUSE", "MEDSOS_PUBLISHED"):
            folder = env[var].rsplit("/", 1)[0]
            assert folder in mounts, f"{name}: {var} folder {folder} is not on a volume"
        named = set(compose["volumes"])
        assert {mounts[p] for p in mounts if p.startswith("/data")} <= named


def test_health_checks(compose):
    for name in SERVICES - {"airflow-init", "mailcatcher"}:
        assert "healthcheck" in compose["services"][name], f"{name} has no health check"


def test_init_migrates_and_creates_pool_and_connection(compose):
    init = compose["services"]["airflow-init"]
    script = "\n".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "airflow db migrate" in script
    assert "AIRFLOW_ADMIN_PASSWORD" in script and "passwords.json" in script  # the admin user
    assert "airflow pools set medsos_warehouse 1" in script
    assert "airflow connections add smtp_default" in script


def test_no_secret_in_the_compose_file(compose):
    text = (ROOT / "docker-compose.yaml").read_text()
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key.endswith(("PASSWORD", "FERNET_KEY", "SMTP_URI")):
            value = value.strip()
            assert value == "" or value.startswith("$"), f"secret-looking literal: {line.strip()}"
    example = (ROOT / ".env.example").read_text()
    for var in re.findall(r"\$\{(\w+)", text):
        if var not in ("AIRFLOW_UID", "HOSTNAME", "MEDSOS_IMAGE"):
            assert re.search(rf"^#?\s*{var}=", example, re.M), f"{var} is not in .env.example"


def test_dockerfile_installs_from_the_lock():
    text = (ROOT / "Dockerfile").read_text()
    assert "uv export --frozen" in text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in code
    base = re.search(r"^FROM apache/airflow:([\w.-]+)", text, re.M).group(1)
    lock = (ROOT / "uv.lock").read_text()
    version = re.search(r'name = "apache-airflow"\nversion = "([^"]+)"', lock).group(1)
    assert base.startswith(version), f"image {base} vs locked Airflow {version}"
