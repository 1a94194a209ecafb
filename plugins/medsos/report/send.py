"""Deliver the rendered summaries through the Airflow SMTP connection, once per recipient.

The connection (default ``smtp_default``) is an ordinary Airflow connection; its extras
follow the SMTP provider's: ``from_email``, ``disable_ssl``, ``disable_tls``, ``timeout``,
``retry_limit``. Without a connection (the demo), nothing is sent and the ``.eml`` files
in the outbox are the result. Every delivery is logged in ``raw.email_log``; a summary
already sent to a recipient for that week is not sent again unless ``resend`` is asked.
"""

from __future__ import annotations

import email
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from medsos.config import Settings

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "smtp_default"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    login: str | None
    password: str | None
    use_ssl: bool
    use_starttls: bool
    from_email: str | None
    timeout: float
    retry_limit: int

    def __repr__(self) -> str:  # never show the password, not even in a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port}, login={self.login!r}, password=***)"


def _bool(v: Any) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "on")


def smtp_settings(conn_id: str = DEFAULT_CONN_ID) -> SmtpSettings | None:
    """The Airflow connection ``conn_id`` as SMTP settings, or None when it is not defined."""
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # not defined anywhere (env, secrets backend, metadata DB)
        log.info(
            "no SMTP connection %r (%s): summaries stay in the outbox", conn_id, type(exc).__name__
        )
        return None
    extra = conn.extra_dejson or {}
    disable_ssl = _bool(extra.get("disable_ssl", False))
    return SmtpSettings(
        host=conn.host or "localhost",
        port=int(conn.port or (25 if disable_ssl else 465)),
        login=conn.login or None,
        password=conn.password or None,
        use_ssl=not disable_ssl,
        use_starttls=disable_ssl and not _bool(extra.get("disable_tls", False)),
        from_email=extra.get("from_email"),
        timeout=float(extra.get("timeout", 30)),
        retry_limit=int(extra.get("retry_limit", 3)),
    )


def _deliver(cfg: SmtpSettings, sender: str, recipient: str, data: bytes) -> None:
    client_cls = smtplib.SMTP_SSL if cfg.use_ssl else smtplib.SMTP
    kwargs: dict[str, Any] = {"timeout": cfg.timeout}
    if cfg.use_ssl:
        kwargs["context"] = ssl.create_default_context()
    with client_cls(cfg.host, cfg.port, **kwargs) as client:
        if cfg.use_starttls:
            client.starttls(context=ssl.create_default_context())
        if cfg.login and cfg.password:
            client.login(cfg.login, cfg.password)
        client.sendmail(sender, [recipient], data)


def send_with_retries(
    cfg: SmtpSettings, sender: str, recipient: str, data: bytes, backoff_seconds: float = 2.0
) -> int:
    """Send one message; temporary failures are retried with exponential backoff.
    Returns the number of attempts; raises the last error when all fail."""
    attempt = 0
    while True:
        attempt += 1
        try:
            _deliver(cfg, sender, recipient, data)
            return attempt
        except (smtplib.SMTPException, OSError) as exc:
            permanent = (
                isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600
            )
            if permanent or attempt > cfg.retry_limit:
                raise
            wait = backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "sending to %s failed (%s); retry %s in %.0f s", recipient, exc, attempt, wait
            )
            time.sleep(wait)


def send_week(
    settings: Settings,
    week: str,
    run_id: str | None = None,
    resend: bool = False,
    conn_id: str = DEFAULT_CONN_ID,
    backoff_seconds: float = 2.0,
    only: list[str] | None = None,
) -> dict[str, int]:
    """Send every rendered summary of ``week`` (or just the ``only`` .eml files) not yet
    sent to its recipients."""
    from medsos.warehouse import open_warehouse

    cfg = smtp_settings(conn_id)
    files = sorted((settings.outbox / week).glob("ringkasan_*.eml"))
    if only is not None:
        wanted = {Path(p).name for p in only}
        files = [f for f in files if f.name in wanted]
    counts = {"sent": 0, "skipped": 0, "failed": 0, "outbox_only": 0}
    if cfg is None:
        counts["outbox_only"] = len(files)
        return counts
    with open_warehouse(settings) as con:
        already = {
            (office, rcpt)
            for office, rcpt in con.execute(
                "select office_code, recipient from raw.email_log where iso_week = ? and status = 'sent'",
                [week],
            ).fetchall()
        }
        failures = []
        for path in files:
            msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            office = str(msg["X-Medsos-Office"])
            sender = cfg.from_email or getaddresses([str(msg["From"])])[0][1]
            for _, rcpt in getaddresses([str(msg["To"] or "")]):
                if not rcpt or "@" not in rcpt:
                    continue
                if (office, rcpt) in already and not resend:
                    counts["skipped"] += 1
                    continue
                status, attempts, error = "sent", 0, None
                try:
                    attempts = send_with_retries(
                        cfg, sender, rcpt, msg.as_bytes(policy=policy.SMTP), backoff_seconds
                    )
                    counts["sent"] += 1
                except (smtplib.SMTPException, OSError) as exc:
                    status, attempts, error = (
                        "failed",
                        cfg.retry_limit + 1,
                        f"{type(exc).__name__}: {exc}",
                    )
                    counts["failed"] += 1
                    failures.append(f"{path.name} -> {rcpt}: {error}")
                con.execute(
                    """insert into raw.email_log (iso_week, office_code, recipient, subject, message_id,
                       status, attempts, error, run_id, logged_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [
                        week,
                        office,
                        rcpt,
                        str(msg["Subject"]),
                        str(msg["Message-ID"]),
                        status,
                        attempts,
                        error,
                        run_id,
                        datetime.now(UTC),
                    ],
                )
    if failures:
        raise RuntimeError("could not send: " + "; ".join(failures))
    log.info("summaries for %s: %s", week, counts)
    return counts
