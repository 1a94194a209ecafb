"""docker-compose.yaml run as processes on this machine: no Docker engine runs here and no
image can be pulled, so PostgreSQL and Redis come from Debian's packages and each Airflow
component of the compose file runs as its own process, with the environment the compose
file gives it (variables interpolated from a test .env, service host names mapped to
127.0.0.1, container paths to temporary folders).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from medsos.config import project_dir

COMPOSE_FILE = project_dir() / "docker-compose.yaml"
_VAR = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)")


class MissingValue(ValueError):
    """A ``${VAR:?message}`` whose variable is unset or empty: compose refuses to start."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
    ``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}``."""

    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        value = env.get(name)
        empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-") and empty:
            return arg
        if op in (":?", "?") and empty:
            raise MissingValue(f"{name}: {arg}")
        return value or ""

    return _VAR.sub(one, text)


def load() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    """One request to Airflow's REST API: (status, JSON body); 0 when nothing answered."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {"detail": exc.read().decode(errors="replace")}
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class Postgres:
    """A PostgreSQL server from Debian's packages in a temporary folder, on loopback."""

    def __init__(self, folder: Path):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql)")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            # the server refuses to run as root, and pytest's folders are root's alone
            folder = Path(tempfile.mkdtemp(prefix="medsos-postgres-"))
            shutil.chown(folder, "postgres", "postgres")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        data, self.log = folder / "data", folder / "postgres.log"
        subprocess.run([*self.as_owner, str(self.bin / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
        self.proc = subprocess.Popen(
            [*self.as_owner, str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(folder)],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, self.proc, "postgres")

    def psql(self, sql: str) -> str:
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                              "-v", "ON_ERROR_STOP=1", "-tAc", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def create(self, database: str, user: str, password: str) -> None:
        """A database owned by ``user`` (created with ``password`` if new), as the
        postgres image does from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB."""
        if self.psql(f"select count(*) from pg_roles where rolname = '{user}'") == "0":
            self.psql(f"create user {user} password '{password}'")
        self.psql(f"create database {database} owner {user}")

    def close(self) -> None:
        stop(self.proc)
        if self.as_owner:
            shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A Redis server from Debian's packages, on loopback, keeping nothing on disk."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("Redis is not installed (make test installs Debian's redis-server)")
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder)],
            stdout=(folder / "redis.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, self.proc, "redis")

    def close(self) -> None:
        stop(self.proc)


class Topology:
    """The compose file's services, each turned into the environment of a local process."""

    def __init__(self, root: Path, dotenv: dict[str, str], postgres: Postgres, redis: Redis,
                 drop: tuple[str, ...] = ()):
        self.compose = load()
        self.root, self.dotenv, self.drop = root, dotenv, drop
        self.api_port = free_port()
        self.hosts = {
            "@postgres/": f"@127.0.0.1:{postgres.port}/",
            "redis://:@redis:6379/": f"redis://:@127.0.0.1:{redis.port}/",
            "http://airflow-apiserver:8080/": f"http://127.0.0.1:{self.api_port}/",
        }
        # container path -> this machine (named volumes: one folder all services share);
        # the longest container path wins. /opt/airflow is each container's own (home())
        self.paths = {
            "/opt/medsos": str(project_dir()),
            "/data": str(root / "volumes" / "data"),
        }
        for svc in self.compose["services"].values():
            for volume in svc.get("volumes") or []:
                source = volume.rsplit(":", 2 if volume.endswith((":ro", ":rw")) else 1)[0]
                if source.startswith("${"):  # a host folder from .env
                    target = volume.removesuffix(":ro").removesuffix(":rw").rsplit(":", 1)[1]
                    self.paths[target] = interpolate(source, dotenv)
        self.logs: dict[str, Path] = {}
        self.procs: dict[str, subprocess.Popen] = {}

    def home(self, service: str) -> Path:
        """The service's own /opt/airflow: a container's file system is its own (Airflow
        writes a generated airflow.cfg there), but its logs/ and config/ are the shared
        volumes airflow-logs and airflow-config."""
        home = self.root / "containers" / service.removeprefix("airflow-") / "opt-airflow"
        if not home.exists():
            home.mkdir(parents=True)
            for volume, inside in (("airflow-logs", "logs"), ("airflow-config", "config")):
                shared = self.root / "volumes" / volume
                shared.mkdir(parents=True, exist_ok=True)
                (home / inside).symlink_to(shared, target_is_directory=True)
        return home

    def local(self, text: str, service: str | None = None) -> str:
        for host, here in self.hosts.items():
            text = text.replace(host, here)
        paths = dict(self.paths)
        if service is not None:
            paths["/opt/airflow"] = str(self.home(service))
        for container in sorted(paths, key=len, reverse=True):
            text = re.sub(rf"(?<![\w/]){re.escape(container)}(?=/|$|\s|\"|')", paths[container], text)
        return text

    def environment(self, service: str) -> dict[str, str]:
        """What the compose file gives ``service``, then what a process needs that a
        container gets from its image and network (home, ports, the venv on PATH)."""
        raw = self.compose["services"][service].get("environment") or {}
        env = {k: self.local(interpolate(str(v), self.dotenv), service) for k, v in raw.items() if k not in self.drop}
        leftover = [f"{k}={v}" for k, v in env.items()
                    if re.search(r"@postgres[/:]|//redis:|airflow-apiserver|(^|[=\s])/(data|opt|config)/", v)]
        assert not leftover, f"{service}: not mapped to this machine: {leftover}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MEDSOS_"))}
        return base | env | {
            "AIRFLOW_HOME": str(self.home(service)),  # the image's AIRFLOW_HOME
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def run_init(self) -> str:
        """The init service's script, with what only a container needs left out: ``chown``
        to the image's user (these processes run as the user running the test)."""
        init = self.compose["services"]["airflow-init"]
        script = init["command"][-1] if isinstance(init["command"], list) else init["command"]
        script = self.local(interpolate(script, self.dotenv), "airflow-init")
        script = "\n".join(line for line in script.splitlines() if not line.strip().startswith("chown "))
        out = subprocess.run(["bash", "-c", script], env=self.environment("airflow-init"), cwd=project_dir(),
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"airflow-init failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out.stdout + out.stderr

    def start(self, service: str) -> subprocess.Popen:
        command = self.compose["services"][service]["command"]
        args = command.split() if isinstance(command, str) else list(command)
        log = self.root / f"{service}.log"
        self.logs[service] = log
        proc = subprocess.Popen([sys.executable, "-m", "airflow", *args], env=self.environment(service),
                                cwd=project_dir(), stdout=log.open("w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[service] = proc
        return proc

    def alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.logs[name].read_text()[-4000:]}")

    def close(self) -> None:
        for proc in self.procs.values():
            stop(proc)
