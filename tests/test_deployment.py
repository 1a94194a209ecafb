"""The docker-compose deployment, checked statically (no Docker engine runs here; the
topology itself runs as processes in tests/test_topology.py). Debian's docker-compose
client reads the file as Docker would: it must refuse an .env without the required values."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from medsos.config import project_dir

ROOT = project_dir()
SERVICES = {
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker", "airflow-init", "mailcatcher", "medsos-portal",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def env_of(service: dict) -> dict:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def mount(volume: str) -> tuple[str, str]:
    """``(container path, source)`` of a short volume entry; the source may hold ':' (``${VAR:?…}``)."""
    for mode in (":ro", ":rw"):
        volume = volume.removesuffix(mode)
    source, target = volume.rsplit(":", 1)
    return target, source


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
    for name in ("airflow-worker", "airflow-init"):
        svc = compose["services"][name]
        env = env_of(svc)
        mounts = dict(mount(v) for v in svc["volumes"])
        for var in ("MEDSOS_LANDING", "MEDSOS_OUTBOX", "MEDSOS_WORK", "MEDSOS_GX_DIR"):
            assert env[var] in mounts, f"{name}: {var}={env[var]} is not on a volume"
        for var in ("MEDSOS_WAREHOUSE", "MEDSOS_PUBLISHED", "MEDSOS_ACCOUNTS", "MEDSOS_RECIPIENTS", "MEDSOS_EVALUATION"):
            folder = env[var].rsplit("/", 1)[0]
            assert folder in mounts, f"{name}: {var} folder {folder} is not on a volume"
        # people meet the data in host folders: offices write the landing zone, staff read
        # the published copy, the configuration lives outside the landing zone
        for path, var in (("/data/landing", "MEDSOS_LANDING_DIR"), ("/data/published", "MEDSOS_PUBLISHED_DIR"),
                          ("/config", "MEDSOS_CONFIG_DIR")):
            assert mounts[path].startswith("${" + var + ":?"), f"{name}: {path} is not the host folder {var}"
        assert not env["MEDSOS_ACCOUNTS"].startswith(env["MEDSOS_LANDING"])
        # GX results and Data Docs on a volume shared by every worker
        assert mounts["/data/gx"] in compose["volumes"]
        assert env["MEDSOS_DEPLOYMENT"] == "production"


def test_required_settings_refuse_to_start_without_them(compose):
    text = (ROOT / "docker-compose.yaml").read_text()
    for var in ("AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "POSTGRES_PASSWORD",
                "POSTGRES_USER", "POSTGRES_DB", "AIRFLOW_ADMIN_PASSWORD", "MEDSOS_SMTP_URI",
                "MEDSOS_LANDING_DIR", "MEDSOS_PUBLISHED_DIR", "MEDSOS_CONFIG_DIR", "MEDSOS_PORTAL_SECRET"):
        assert re.search(r"\$\{" + var + r":\?[^}]+\}", text), f"{var} is not required (${{{var}:?message}})"
    env = env_of(compose["services"]["airflow-scheduler"])
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
    assert env["AIRFLOW__API_AUTH__JWT_ISSUER"]
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Jakarta"
    assert env_of(compose["services"]["airflow-apiserver"])["AIRFLOW__API__SECRET_KEY"].startswith("${AIRFLOW_API_SECRET_KEY:?")


def test_each_service_gets_only_what_it_needs(compose):
    for name, svc in compose["services"].items():
        assert "env_file" not in svc, f"{name} gets every secret of .env"
        env = env_of(svc)
        if name != "airflow-init":
            assert "MEDSOS_SMTP_URI" not in env and "AIRFLOW_ADMIN_PASSWORD" not in env, name
        if name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
            assert not any(k.startswith("MEDSOS_") for k in env), f"{name} does not run medsos tasks"


def test_the_mail_catcher_is_opt_in_and_local(compose):
    catcher = compose["services"]["mailcatcher"]
    assert catcher.get("profiles") == ["mailcatcher"]
    assert all(str(p).startswith("127.0.0.1:") for p in catcher.get("ports", []))
    assert "mailcatcher" not in (ROOT / ".env.example").read_text().split("MEDSOS_SMTP_URI=", 2)[-1].split("\n")[0]


def test_the_portal_reads_the_published_copy_and_writes_only_the_landing_zone(compose):
    portal = compose["services"]["medsos-portal"]
    env = env_of(portal)
    assert portal["command"] == ["medsos", "portal"]
    assert portal["entrypoint"][0] == "/usr/bin/dumb-init"  # not Airflow's entrypoint, which runs `airflow …`
    volumes = {mount(v)[0]: v for v in portal["volumes"]}
    # exports go into the landing zone the weekly run reads; the published copy and the
    # configuration (portal_users.csv beside accounts.csv) are read only; no warehouse
    assert volumes["/data/landing"].startswith("${MEDSOS_LANDING_DIR:?") and not volumes["/data/landing"].endswith(":ro")
    assert volumes["/data/published"].startswith("${MEDSOS_PUBLISHED_DIR:?") and volumes["/data/published"].endswith(":ro")
    assert volumes["/config"].startswith("${MEDSOS_CONFIG_DIR:?") and volumes["/config"].endswith(":ro")
    assert mount(volumes["/data/portal"])[1] in compose["volumes"]
    assert "MEDSOS_WAREHOUSE" not in env and not any("warehouse" in v for v in portal["volumes"])
    assert env["MEDSOS_LANDING"] == "/data/landing" and env["MEDSOS_PUBLISHED"].startswith("/data/published/")
    assert env["MEDSOS_PORTAL_USERS"] == "/config/portal_users.csv" and env["MEDSOS_PORTAL_DATA"] == "/data/portal"
    assert env["MEDSOS_ACCOUNTS"].startswith("/config/") and env["MEDSOS_DEPLOYMENT"] == "production"
    assert env["MEDSOS_PORTAL_SECRET"].startswith("${MEDSOS_PORTAL_SECRET:?")
    assert env["MEDSOS_PORTAL_SECURE_COOKIE"] == "true"
    assert env["MEDSOS_MAX_EXPORT_MB"].startswith("${MEDSOS_MAX_EXPORT_MB:-")
    # on this machine unless .env says otherwise; the port is the one the portal listens on
    assert portal["ports"] == ["${MEDSOS_PORTAL_BIND:-127.0.0.1}:8090:8090"] and env["MEDSOS_PORTAL_PORT"] == "8090"
    assert "8090/sehat" in " ".join(portal["healthcheck"]["test"])
    assert "MEDSOS_SMTP_URI" not in env and "AIRFLOW_ADMIN_PASSWORD" not in env


FULL_ENV = {
    "POSTGRES_USER": "airflow", "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "airflow", "AIRFLOW_FERNET_KEY": "k",
    "AIRFLOW_JWT_SECRET": "j", "AIRFLOW_API_SECRET_KEY": "a", "AIRFLOW_ADMIN_PASSWORD": "x",
    "MEDSOS_SMTP_URI": "smtp://mail.example.org", "MEDSOS_LANDING_DIR": "/srv/l", "MEDSOS_PUBLISHED_DIR": "/srv/p",
    "MEDSOS_CONFIG_DIR": "/srv/c", "MEDSOS_PORTAL_SECRET": "s",
}


@pytest.mark.parametrize("left_out", [None, "AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY", "MEDSOS_CONFIG_DIR",
                                      "POSTGRES_PASSWORD", "MEDSOS_SMTP_URI", "MEDSOS_PORTAL_SECRET"])
def test_docker_compose_refuses_an_env_without_the_required_values(tmp_path, left_out):
    client = shutil.which("docker-compose")
    if client is None:
        pytest.skip("docker-compose not installed (make test installs Debian's)")
    shutil.copy(ROOT / "docker-compose.yaml", tmp_path / "docker-compose.yaml")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    env = {k: ("" if k == left_out else v) for k, v in FULL_ENV.items()}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    out = subprocess.run([client, "config"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"})
    if left_out is None:
        assert out.returncode == 0, out.stderr
        assert "AIRFLOW__API_AUTH__JWT_SECRET: j" in out.stdout
    else:
        assert out.returncode != 0
        assert f"set {left_out} in .env" in out.stderr, out.stderr[-500:]


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
        if sep and key.endswith(("PASSWORD", "FERNET_KEY", "SMTP_URI", "JWT_SECRET", "SECRET_KEY")):
            value = value.strip()
            assert value == "" or value.startswith("$"), f"secret-looking literal: {line.strip()}"
    example = (ROOT / ".env.example").read_text()
    for var in re.findall(r"\$\{(\w+)", text):
        if var not in ("AIRFLOW_UID", "HOSTNAME", "MEDSOS_IMAGE"):
            assert re.search(rf"^#?\s*{var}=", example, re.M), f"{var} is not in .env.example"


def test_dockerfile_installs_from_the_lock():
    text = (ROOT / "Dockerfile").read_text()
    assert "uv export --frozen" in text
    assert "--group deploy" in text  # Celery, Redis and PostgreSQL drivers, as the topology test runs them
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in code
    base = re.search(r"^FROM apache/airflow:([\w.-]+)", text, re.M).group(1)
    lock = (ROOT / "uv.lock").read_text()
    version = re.search(r'name = "apache-airflow"\nversion = "([^"]+)"', lock).group(1)
    assert base.startswith(version), f"image {base} vs locked Airflow {version}"
