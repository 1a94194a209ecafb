"""A real portal for the portal tests: a landing zone with the Jawa Timur sample for the
weeks before the week that just ended, the weekly job run over it (so a published copy
exists), portal accounts for every role, and uvicorn serving ``create_app`` on a random
port of 127.0.0.1 in a thread. Tests speak HTTP to it (requests) or drive Debian's
chromium at it (``cdp.py``)."""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import requests
import uvicorn

from medsos import weeks
from medsos.config import PortalSettings, Settings
from medsos.parsers import detect
from medsos.parsers.base import read_raw
from medsos.portal.app import create_app
from medsos.portal.users import add_user

ENDED = weeks.week_that_ended_before(datetime.now(UTC), "Asia/Jakarta")  # what offices upload for
PUBLISHED_WEEK = weeks.shift(ENDED, -1)  # the last week the weekly job has run for
FIRST_WEEK = weeks.shift(ENDED, -3)

# user -> (role, code)
ROLES = {
    "kab-kediri": ("office", "35.06"),  # office A
    "kab-malang": ("office", "35.07"),  # office B, same province
    "jatim": ("province", "35"),
    "banten": ("province", "36"),  # another province
    "kpu-ri": ("national", ""),
    "admin": ("admin", ""),
}


@dataclass
class Portal:
    url: str
    root: Path
    settings: Settings
    portal: PortalSettings
    passwords: dict[str, str]
    samples: Path  # the sample exports of ENDED, not in the landing zone: what offices upload
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    app: object = None
    extra: dict = field(default_factory=dict)

    def session(self, user: str | None = None) -> requests.Session:
        """A requests session, signed in as ``user`` (None: nobody)."""
        s = requests.Session()
        if user:
            r = login(s, self.url, user, self.passwords[user])
            assert r.status_code == 303, (user, r.status_code, r.text[:500])
        return s

    def export_of(self, office: str, kind: str) -> Path:
        """The sample's ``kind`` export (e.g. instagram_content) of ``office`` for ENDED."""
        for path in sorted((self.samples / ENDED / office).rglob("*")):
            if path.is_file():
                try:
                    if detect(read_raw(path, path.name)).kind == kind:
                        return path
                except Exception:  # noqa: BLE001 - another kind of file
                    continue
        raise LookupError(f"no {kind} export of {office} in the sample")

    def landing_files(self) -> set[str]:
        return {p.relative_to(self.settings.landing).as_posix() for p in self.settings.landing.rglob("*")
                if p.is_file()}

    def stop(self) -> None:
        if self.server:
            self.server.should_exit = True
            self.thread.join(timeout=10)


def token_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(s: requests.Session, url: str, user: str, password: str) -> requests.Response:
    form = s.get(f"{url}/masuk")
    return s.post(f"{url}/masuk", data={"csrf": token_of(form.text), "nama": user, "sandi": password,
                                        "lanjut": "/"}, allow_redirects=False)


def serve(app, host: str = "127.0.0.1") -> tuple[uvicorn.Server, threading.Thread, str]:
    """uvicorn on a free port of 127.0.0.1, in a thread; returns once it answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    for _ in range(200):
        try:
            if requests.get(f"{url}/sehat", timeout=2).status_code == 200:
                return server, thread, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the portal did not start")


def make_portal(root: Path, settings_for, publish: bool = True, accounts: Path | None = None,
                users: dict[str, tuple[str, str]] | None = None, **portal_overrides) -> Portal:
    """``accounts``: the registry the portal and the weekly job read (the sample is made
    from the Jawa Timur one); ``users``: more portal accounts (name -> role, code)."""
    from medsos.pipeline import run_week
    from medsos.sample import build_plan, write_sample_checked

    settings: Settings = settings_for(root)
    samples = root / "samples"
    plan = build_plan(FIRST_WEEK, ENDED, seed=2024, accounts_path=settings.accounts)
    write_sample_checked(samples, plan)
    # the weeks before ENDED are in the landing zone and published; ENDED is for uploading
    for week_dir in sorted(samples.iterdir()):
        if week_dir.name != ENDED:
            week_dir.rename(settings.landing / week_dir.name) if settings.landing.exists() else (
                settings.landing.mkdir(parents=True), week_dir.rename(settings.landing / week_dir.name))
    if accounts is not None:
        settings = replace(settings, accounts=accounts)
    if publish:
        run_week(settings, PUBLISHED_WEEK, send=False)
    ps = PortalSettings(users=root / "config" / "portal_users.csv", data=root / "portal",
                        secret=secrets.token_urlsafe(48), **({"max_export_mb": 2.0, "zip_members": 50,
                                                              "zip_total_mb": 8.0} | portal_overrides))
    passwords = {name: add_user(ps.users, name, role, code) for name, (role, code) in (ROLES | (users or {})).items()}
    app = create_app(settings, ps, warm=True)
    server, thread, url = serve(app)
    return Portal(url, root, settings, ps, passwords, samples, server, thread, app)

