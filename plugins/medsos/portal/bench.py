"""``medsos portal bench FILE…``: the time from upload to verdict, as an office sees it.

A portal of its own in a temporary folder (its own landing zone, the account registry
given with ``medsos portal --accounts``, else the configured one) is served by uvicorn on
127.0.0.1; each file is uploaded over HTTP as its office (the folder it lies in when that
is an office code, else ``--office``) ``--repeat`` times, and the time from sending the
upload to receiving the verdict page is printed (upload, save, parse, the three suites,
the page). The Great Expectations context is built first and timed apart: the portal
builds it once, when it starts.
"""

from __future__ import annotations

import argparse
import re
import secrets
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path


def _serve(app):
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if found is None:
        raise RuntimeError("the portal's page has no form token; is the portal answering?")
    return found.group(1)


def _office_of(path: Path, default: str) -> str:
    from medsos.registry import load_offices

    for part in reversed(path.parent.parts):
        if re.fullmatch(r"\d{2}\.\d{2}", part) and part in load_offices():
            return part
    return default


def bench(args: argparse.Namespace) -> int:
    import requests

    from medsos import weeks
    from medsos.config import PortalSettings, Settings
    from medsos.portal.app import create_app
    from medsos.portal.users import add_user
    from medsos.registry import load_offices

    files = [Path(f) for f in args.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"no such file: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="medsos-portal-bench-") as tmp:
        root = Path(tmp)
        settings = Settings.from_env(
            landing=root / "landing", published=root / "published.duckdb", accounts=args.accounts
        )
        ps = PortalSettings.from_env(
            users=root / "portal_users.csv", data=root / "portal", secret=secrets.token_urlsafe(48)
        )
        started = time.perf_counter()
        app = create_app(settings, ps, warm=False)
        app.fastapi.state.checker.warm()
        warm = time.perf_counter() - started
        server, thread, url = _serve(app)
        rows = []
        try:
            sessions: dict[str, requests.Session] = {}
            for path in files:
                office = _office_of(path, args.office)
                if office not in sessions:
                    name = f"bench-{office.replace('.', '-')}"
                    password = add_user(ps.users, name, "office", office)
                    s = requests.Session()
                    form = s.get(f"{url}/masuk").text
                    token = _csrf(form)
                    r = s.post(
                        f"{url}/masuk",
                        data={"csrf": token, "nama": name, "sandi": password, "lanjut": "/"},
                    )
                    r.raise_for_status()
                    sessions[office] = s
                s = sessions[office]
                tz = load_offices()[office].timezone
                week = weeks.week_that_ended_before(datetime.now(UTC), tz)
                body = path.read_bytes()
                times, status = [], "?"
                for i in range(args.repeat):
                    page = s.get(f"{url}/kantor/{office}?minggu={week}").text
                    token = _csrf(page)
                    t0 = time.perf_counter()
                    r = s.post(
                        f"{url}/kantor/{office}/unggah",
                        data={"csrf": token, "minggu": week},
                        files=[("berkas", (f"{i + 1}-{path.name}", body))],
                    )
                    times.append(time.perf_counter() - t0)
                    found = re.findall(
                        r'data-status="([^"]+)"',
                        r.text.split('id="hasil"', 1)[-1].split("</section>")[0],
                    )
                    if i == 0:
                        status = ",".join(sorted(set(found))) or f"HTTP {r.status_code}"
                rows.append((path.name, office, len(body), status, times))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    print(f"GX context built once at start: {warm:.2f} s")
    print(
        f"{'file':<48} {'office':<7} {'size':>9} {'verdict':<16} {'min s':>6} {'median s':>8} {'max s':>6}"
    )
    for name, office, size, status, times in rows:
        print(
            f"{name[:48]:<48} {office:<7} {size / 1024:>7.0f}KB {status[:16]:<16} {min(times):>6.2f} "
            f"{statistics.median(times):>8.2f} {max(times):>6.2f}"
        )
    print(
        "(the first upload of a file is its verdict; later ones are the same bytes again, shown as copies)"
    )
    return 0
