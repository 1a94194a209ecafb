"""Secrets never leak, and no value from outside is formatted into SQL text.

The SMTP password and the platform API tokens are unique markers set the way operators
set them (Airflow connections in ``AIRFLOW_CONN_*``). The whole weekly job runs and
sends through a real SMTP server on loopback that demands a login, once with the right
password and once with a wrong one; then every log record, everything printed, every
exception text and every byte under the data folder (landing, warehouse, published copy,
outbox, batch folders, GX project) is searched for the markers.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample

SMTP_PASSWORD = "smtp-Pa55-MARKER-7f3a9c"
TOKENS = {
    "MEDSOS_FACEBOOK": "EAAB-token-MARKER-1111",
    "MEDSOS_INSTAGRAM": "IGQV-token-MARKER-2222",
    "MEDSOS_YOUTUBE": "ya29-token-MARKER-3333",
    "MEDSOS_TIKTOK": "act-token-MARKER-4444",
    "MEDSOS_X": "AAAA-token-MARKER-5555",
}
MARKERS = [SMTP_PASSWORD, *TOKENS.values()]


class Inbox:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def authenticator(password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == password
        return AuthResult(success=ok)

    return check


def smtp_server(password: str) -> tuple[Controller, Inbox, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator(password),
                            auth_require_tls=False, auth_required=True)
    controller.start()
    return controller, inbox, port


def connect_smtp(monkeypatch, port: int) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port, "login": "medsos", "password": SMTP_PASSWORD,
        # a refused login makes the server hang up only after the client gives up: keep it short
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "medsos@example.org", "retry_limit": 1,
                  "timeout": 2},
    }))


def files_containing(root: Path, marker: str) -> list[str]:
    needle = marker.encode()
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
            hits.append(str(path))
    return hits


def test_no_secret_reaches_logs_output_errors_or_files(settings, monkeypatch, caplog, capsys):
    import medsos.report.send as send

    monkeypatch.setattr(send.time, "sleep", lambda s: None)
    for conn_id, token in TOKENS.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id}", json.dumps({"conn_type": "http", "password": token}))
    caplog.set_level(logging.DEBUG)
    write_sample(settings.landing, build_plan("2024-W07", "2024-W07"))

    controller, inbox, port = smtp_server(SMTP_PASSWORD)
    try:
        connect_smtp(monkeypatch, port)
        result = run_week(settings, "2024-W07")
        assert result["sent"]["sent"] == 2 and inbox.count == 2
    finally:
        controller.stop()

    errors = []
    controller, inbox, port = smtp_server("another password")  # the server now refuses the login
    try:
        connect_smtp(monkeypatch, port)
        try:
            run_week(settings, "2024-W07", resend=True)
        except Exception as exc:  # noqa: BLE001 - the failure is expected; its text is searched
            errors.append(f"{exc!r} {exc} {exc.__cause__!r} {exc.__context__!r}")
        assert inbox.count == 0
    finally:
        controller.stop()
    assert errors, "a refused login must fail the send"

    printed = capsys.readouterr()
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    for marker in MARKERS:
        assert marker not in logs
        assert marker not in printed.out and marker not in printed.err
        assert all(marker not in e for e in errors)
        assert files_containing(settings.landing.parent, marker) == []


# columns: identifiers read from the catalog of our own tables, quoted (medsos.rebuild)
ALLOWED_SQL_FIELDS = re.compile(r"^(table|model\.table|model\.materialisation|name|schema|files_filter|office_filter|"
                                r"unplaced|where|table_name|t|column|columns|sql|layer)$")


# Interpolations read one by one and found safe, per file (the test fails on any new one):
# contracts.py quotes every identifier from the contract files with _ident/_table (double
# quotes doubled), _marks writes only '?' markers, EXAMPLES is a constant, and the comment
# text is ours with its quotes doubled; report/summary.py names temporary tables from a
# validated ISO week and our own table names; portal/pages.py sorts only by a key of its
# OFFICE_COLUMNS allowlist ('asc' or 'desc'), and its columns are constants.
REVIEWED_SQL_FIELDS = {
    "contracts.py": {"cols", "rows", "ident", "text", "EXAMPLES", "', '.join(exprs)", "', '.join(map(_ident, keys))",
                     "', '.join((_ident(k) for k in key))", "_ident(col.name)", "_ident(to_field)",
                     "_marks(CHECKED_SCHEMAS)", "_marks(col.accepted_values or ())", "_table(contract.table)",
                     "_table(keys_table)", "_table(table)", "_table(to)"},
    "summary.py": {"name.split('.')[1]", "sources[key]", "tables['posts']"},
    "pages.py": {"select", "order", "direction", "', '.join(POST_COLUMNS)"},
    # the posts' select and the rows' select: constant SQL text kept in a variable
    "content.py": {"posts", "rows"},
    # built from column names c<i> (positions) and constants only
    "csv_groups.py": {"select"},
}


def _sql_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("execute", "sql"):
            if node.args:
                yield node, node.args[0]


def test_no_outside_value_is_formatted_into_sql_text():
    """Every f-string passed to execute()/sql() only interpolates our own identifiers
    (table names from sql/, fixed filter fragments); values go in as parameters."""
    package = Path(__file__).resolve().parent.parent / "plugins" / "medsos"
    offenders = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call, arg in _sql_calls(tree):
            if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
                offenders.append(f"{path.name}:{call.lineno} uses % formatting")
            if isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "format":
                offenders.append(f"{path.name}:{call.lineno} uses str.format")
            if isinstance(arg, ast.JoinedStr):
                for part in arg.values:
                    if isinstance(part, ast.FormattedValue):
                        name = ast.unparse(part.value)
                        reviewed = name in REVIEWED_SQL_FIELDS.get(path.name, set())
                        if not ALLOWED_SQL_FIELDS.match(name) and "replace(chr(39)" not in name and not reviewed:
                            offenders.append(f"{path.name}:{call.lineno} formats {name!r} into SQL")
    assert offenders == []


@pytest.mark.parametrize("office_folder_name", ["35.06' or '1'='1", '35.06"; drop table raw.files; --'])
def test_hostile_folder_and_file_names_are_data_not_sql(settings, office_folder_name):
    folder = settings.landing / "2024-W07" / office_folder_name
    folder.mkdir(parents=True)
    (folder / "x'; delete from raw.files; --.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    run_week(settings, "2024-W07", send=False)
    import duckdb

    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        rows = con.sql("select relative_path, status from raw.files").fetchall()
    finally:
        con.close()
    assert rows == [(f"2024-W07/{office_folder_name}/x'; delete from raw.files; --.csv", "rejected")]
