"""``medsos portal``: run the web portal; ``medsos portal add-user``: create an account
and print its one-time password; ``medsos portal bench``: time from upload to verdict."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host", help="address to listen on (env MEDSOS_PORTAL_HOST, default 127.0.0.1)"
    )
    p.add_argument("--port", type=int, help="port (env MEDSOS_PORTAL_PORT, default 8090)")
    p.add_argument("--landing", type=Path, help="landing zone (env MEDSOS_LANDING)")
    p.add_argument("--published", type=Path, help="published copy (env MEDSOS_PUBLISHED)")
    p.add_argument("--accounts", type=Path, help="account registry CSV (env MEDSOS_ACCOUNTS)")
    p.add_argument("--users", type=Path, help="portal_users.csv (env MEDSOS_PORTAL_USERS)")
    sub = p.add_subparsers(dest="portal_command")
    a = sub.add_parser("add-user", help="create a portal account and print its one-time password")
    a.add_argument("name", help="user name, e.g. kpu-bojonegoro")
    a.add_argument("--role", required=True, choices=("office", "province", "national", "admin"))
    a.add_argument(
        "--code",
        default="",
        help="office code (office), province code (province); none for national/admin",
    )
    a.add_argument("--reset", action="store_true", help="give an existing user a new password")
    a.add_argument(
        "--users",
        type=Path,
        dest="users_file",
        help="portal_users.csv (default: as the portal reads it)",
    )
    b = sub.add_parser(
        "bench", help="time from upload to verdict (over HTTP, on a copy of the files given)"
    )
    b.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="export files to upload, e.g. a typical one and the largest",
    )
    b.add_argument("--office", default="35.06", help="office to upload as (default 35.06)")
    b.add_argument("--repeat", type=int, default=3, help="uploads of each file (default 3)")


def _settings(args: argparse.Namespace):
    from medsos.config import PortalSettings, Settings

    settings = Settings.from_env(
        landing=args.landing, published=args.published, accounts=args.accounts
    )
    ps = PortalSettings.from_env(users=args.users, host=args.host, port=args.port)
    return settings, ps


def run(args: argparse.Namespace) -> int:
    if args.portal_command == "add-user":
        return add_user(args)
    if args.portal_command == "bench":
        from medsos.portal.bench import bench

        return bench(args)
    import uvicorn

    from medsos.portal.app import create_app

    settings, ps = _settings(args)
    app = create_app(settings, ps)
    print(
        f"medsos portal: http://{ps.host}:{ps.port}/ (users: {ps.users}; landing: {settings.landing}; "
        f"published: {settings.published})",
        file=sys.stderr,
    )
    # sign-in limits count per address: behind a reverse proxy, the address it forwards
    # (X-Forwarded-For) is believed only from the proxies named here
    trusted = os.environ.get("MEDSOS_PORTAL_TRUSTED_PROXIES") or "127.0.0.1"
    uvicorn.run(
        app,
        host=ps.host,
        port=ps.port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=trusted,
        server_header=False,
    )
    return 0


def add_user(args: argparse.Namespace) -> int:
    from medsos.config import PortalSettings
    from medsos.portal.users import add_user as add

    path = args.users_file or args.users or PortalSettings.from_env().users
    password = add(path, args.name, args.role, args.code, reset=args.reset)
    print(
        f"user {args.name.strip().lower()} ({args.role}{' ' + args.code if args.code else ''}) "
        f"{'has a new password' if args.reset else 'added'} in {path}"
    )
    print(f"one-time password (shown only now; hand it over in person or by phone): {password}")
    return 0
