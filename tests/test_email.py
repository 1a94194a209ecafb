"""Weekly summaries delivered to a real SMTP server on loopback (aiosmtpd), read back as
MIME: subject, numbers equal to the tables, inline chart, a safe XLSX, escaped captions,
one message per recipient even when the server refuses the first attempt."""

from __future__ import annotations

import email
import io
import json
import os
import socket
from dataclasses import replace
from email import policy

import duckdb
import pytest
from aiosmtpd.controller import Controller

from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample
from medsos.sample.model import ExportRow, Metrics

EVIL = '=HYPERLINK("http://evil.example","klik") <script>alert(1)</script> Jadwal tahapan'
WEEK = "2024-W07"


class Inbox:
    def __init__(self, refuse_first: int = 0):
        self.refuse = refuse_first
        self.messages: list[tuple[str, email.message.EmailMessage]] = []
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    servers = []

    def start(refuse_first: int = 0) -> Inbox:
        inbox = Inbox(refuse_first)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        monkeypatch.setenv(
            "AIRFLOW_CONN_SMTP_DEFAULT",
            json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {
                "disable_ssl": True, "disable_tls": True, "from_email": "medsos@example.org", "retry_limit": 2}}),
        )
        return inbox

    yield start
    for c in servers:
        c.stop()


def sample_with_evil_caption(settings):
    plan = build_plan(WEEK, WEEK)
    request = next(r for r in plan.requests if r.account.office_code == "35.06" and r.account.platform == "instagram")
    base = request.rows[0].post
    evil = replace(base, post_id="179000000000000666", caption=EVIL)
    request.rows.append(ExportRow(evil, Metrics(views=99999, reach=50000, likes=90000, comments=900, shares=900, saves=9)))
    write_sample(settings.landing, plan)
    return plan


def test_summary_arrives_with_the_tables_numbers(settings, smtp):
    inbox = smtp()
    sample_with_evil_caption(settings)
    result = run_week(settings, WEEK)
    assert result["sent"] == {"sent": 2, "skipped": 0, "failed": 0, "outbox_only": 0}
    by_rcpt = dict(inbox.messages)
    assert set(by_rcpt) == {"humas@kpu-jatim.example.org", "humas@kpu-ri.example.org"}
    msg = by_rcpt["humas@kpu-jatim.example.org"]
    assert msg["Subject"] == "Ringkasan Medsos KPU Provinsi Jawa Timur — Minggu 2024-W07 (12–18 Feb 2024)"

    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        pct = dict(con.execute(
            "select platform, posting_activity_pct from marts.province_weekly where province_code = '35' and iso_week = ?",
            [WEEK]).fetchall())
        cadence_rows = con.execute(
            """select count(*) from marts.weekly_cadence c join core.offices o using (office_code)
               where c.iso_week = ? and o.province_code = '35' and o.level in ('kabupaten', 'kota')""", [WEEK]).fetchall()[0][0]
    finally:
        con.close()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    fmt = lambda v: f"{v:.1f}%".replace(".", ",")  # noqa: E731
    assert f"Aktivitas posting rata-rata {fmt(pct['all'])}" in text
    for platform, label in (("instagram", "Instagram"), ("tiktok", "TikTok"), ("youtube", "YouTube")):
        assert f"- {label}: {fmt(pct[platform])}" in text
    # the inline chart is referenced by the HTML and attached as a related part
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert images[0].get_content_disposition() == "inline"  # shown in the text, not listed as a file
    assert f"cid:{images[0]['Content-ID'].strip('<>')}" in html
    # captions are escaped, never markup
    assert "<script>" not in html and "&lt;script&gt;" in html
    # the XLSX opens and holds the week's rows; a formula-looking caption stays text
    from openpyxl import load_workbook

    (xlsx,) = [p for p in msg.walk() if p.get_filename() == "medsos_35_2024-W07.xlsx"]
    wb = load_workbook(io.BytesIO(xlsx.get_content()))
    assert wb["Per kantor"].max_row - 1 == cadence_rows
    cells = [c for row in wb["Postingan"].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].value == EVIL

    # a re-run sends nothing new
    again = run_week(settings, WEEK)
    assert again["sent"]["sent"] == 0 and again["sent"]["skipped"] == 2
    assert len(inbox.messages) == 2
    # an explicit resend does
    assert run_week(settings, WEEK, resend=True)["sent"]["sent"] == 2
    assert len(inbox.messages) == 4


def test_refused_first_attempt_is_retried_once(settings, smtp, monkeypatch):
    inbox = smtp(refuse_first=1)
    write_sample(settings.landing, build_plan(WEEK, WEEK))
    import medsos.report.send as send

    monkeypatch.setattr(send.time, "sleep", lambda s: None)  # keep the test fast; the retry is real
    result = run_week(settings, WEEK)
    assert result["sent"]["sent"] == 2 and result["sent"]["failed"] == 0
    assert inbox.attempts == 3  # refused once, then one delivery per recipient
    assert sorted(r for r, _ in inbox.messages) == ["humas@kpu-jatim.example.org", "humas@kpu-ri.example.org"]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        attempts = dict(con.execute("select recipient, attempts from raw.email_log").fetchall())
    finally:
        con.close()
    assert sorted(attempts.values()) == [1, 2]


def test_smtp_server_down_for_the_first_attempts_gets_retries_and_one_email(settings, monkeypatch):
    """Nothing listens on the port for the first two attempts (connection refused); the
    server comes up during the second wait; every recipient gets exactly one email."""
    write_sample(settings.landing, build_plan(WEEK, WEEK))
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "medsos@example.org", "retry_limit": 3}}))
    import medsos.report.send as send

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    waits = []

    def wait(seconds):  # the retry's wait is where the server comes back
        waits.append(seconds)
        if len(waits) == 2:
            controller.start()

    monkeypatch.setattr(send.time, "sleep", wait)
    try:
        result = run_week(settings, WEEK)
    finally:
        controller.stop()
    assert result["sent"]["sent"] == 2 and result["sent"]["failed"] == 0
    assert waits[:2] == [2.0, 4.0]  # doubling backoff
    assert sorted(r for r, _ in inbox.messages) == ["humas@kpu-jatim.example.org", "humas@kpu-ri.example.org"]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        attempts = dict(con.execute("select recipient, attempts from raw.email_log").fetchall())
    finally:
        con.close()
    assert sorted(attempts.values()) == [1, 3]  # the first recipient needed three tries


def test_without_smtp_connection_summaries_stay_in_the_outbox(settings, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    write_sample(settings.landing, build_plan(WEEK, WEEK))
    result = run_week(settings, WEEK)
    assert result["sent"]["outbox_only"] == 2
    assert (settings.outbox / WEEK / "ringkasan_35_2024-W07.eml").exists()


def test_html_fits_a_phone_screen(settings, tmp_path):
    from cdp import Browser, chromium

    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs Debian's chromium")
        pytest.skip("chromium not installed (make test installs it)")
    sample_with_evil_caption(settings)
    run_week(settings, WEEK)
    page_file = settings.outbox / WEEK / "ringkasan_35_2024-W07.html"
    browser = Browser(tmp_path / "chromium")
    try:
        # an emulated 390 px phone: a headless window alone is never narrower than 500 px
        page = browser.page(390, 844, mobile=True)
        page.goto(page_file.as_uri())
        assert page.eval("window.innerWidth") == 390
        assert page.overflow() <= 0, "the email is wider than a 390 px phone screen"
        shot = page.screenshot(tmp_path / "phone.png")
        assert shot.stat().st_size > 10_000
    finally:
        browser.close()
