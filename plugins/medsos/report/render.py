"""Render summaries as HTML (with a plain-text alternative) and write them as .eml files.

Templates are Jinja2 files in ``templates/`` with autoescaping on, so captions and
office names can never inject markup into the email.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from medsos.config import Settings
from medsos.report.chart import activity_chart_png
from medsos.report.summary import (
    DATA_QUALITY_SHOWN,
    FOLLOW_UP_SHEET,
    TO_CALL_SHOWN,
    Summary,
    gather,
    recipients_of_summaries,
)
from medsos.report.workbook import build_workbook
from medsos.warehouse import open_published

log = logging.getLogger(__name__)

DEFAULT_SENDER = "medsos <medsos-noreply@example.org>"


def spoken_change(points: float | None) -> str:
    """A change of a percentage as people say it: ``naik 1,6 poin``, ``turun 0,4 poin``."""
    if points is None:
        return ""
    if abs(points) < 0.05:
        return "sama dengan minggu lalu"
    return f"{'naik' if points > 0 else 'turun'} {abs(points):.1f} poin dari minggu lalu".replace(".", ",")


def quality_counts(lines: list[dict]) -> str:
    """``2 berkas ditolak, 1 berkas dengan baris ditahan``: the data-quality list's size."""
    said = {"ditolak": "berkas ditolak (tidak dimuat)", "ditahan": "berkas dengan baris ditahan",
            "peringatan": "berkas dengan peringatan (tetap dimuat)"}
    counts = {k: sum(1 for d in lines if d["severity"] == k) for k in said}
    return ", ".join(f"{n} {said[k]}" for k, n in counts.items() if n) + "."


@lru_cache(maxsize=1)  # compiled templates are reused for every province's summary
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("medsos.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1f}%".replace(".", ",")
    env.filters["num"] = lambda v: "–" if v is None else f"{int(v):,}".replace(",", ".")
    env.filters["signed"] = lambda v: "" if v is None else (f"+{v:.1f}" if v > 0 else f"{v:.1f}").replace(".", ",")
    env.filters["change"] = spoken_change
    env.globals.update(quality_counts=quality_counts, quality_shown=DATA_QUALITY_SHOWN, to_call_shown=TO_CALL_SHOWN,
                       follow_up_sheet=FOLLOW_UP_SHEET)
    return env


def render(summary: Summary, chart_src: str | None = None) -> tuple[str, str]:
    """HTML and plain text of one summary; ``chart_src`` is where the chart image lives
    (``cid:…`` inside the email, a file name for the .html copy)."""
    env = _env()
    html = env.get_template("weekly.html").render(s=summary, chart_src=chart_src)
    text = env.get_template("weekly.txt").render(s=summary)
    return html, text


def attachment_name(summary: Summary) -> str:
    return f"medsos_{summary.office_code}_{summary.week}.xlsx"


def load_recipients(path: Path) -> dict[str, list[str]]:
    """office_code -> addresses, from the recipients CSV (columns office_code,email)."""
    out: dict[str, list[str]] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("office_code") or "").strip()
            email = (row.get("email") or "").strip()
            if code and email:
                out.setdefault(code, []).append(email)
    return out


def build_message(summary: Summary, to: list[str], sender: str) -> EmailMessage:
    """multipart/mixed: [alternative: text, related: (html, chart png)], xlsx."""
    chart = activity_chart_png(summary.chart_series, f"Aktivitas posting per platform, s.d. {summary.week}")
    cid = make_msgid(domain="medsos.local")
    html, text = render(summary, chart_src=f"cid:{cid[1:-1]}")
    msg = EmailMessage()
    msg["Subject"] = summary.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to) if to else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="medsos.local")
    msg["X-Medsos-Week"] = summary.week
    msg["X-Medsos-Office"] = summary.office_code
    # quoted-printable keeps every line under SMTP's 998-character limit
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    # inline: shown in the text, not listed as a file to download
    msg.get_payload()[1].add_related(chart, maintype="image", subtype="png", cid=cid, disposition="inline",
                                     filename="aktivitas.png")
    msg.add_attachment(
        build_workbook(summary.sheets),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=attachment_name(summary),
    )
    return msg


def render_week(settings: Settings, week: str, sender: str = DEFAULT_SENDER) -> list[Path]:
    """Render every summary for ``week`` into ``<outbox>/<week>/`` (.eml and .html)."""
    recipients = load_recipients(settings.recipients)
    con = open_published(settings)
    try:
        targets = recipients_of_summaries(con, week)
        summaries = [gather(con, code, scope, week) for code, scope in targets]
    finally:
        con.close()
    folder = settings.outbox / week
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in summaries:
        msg = build_message(s, recipients.get(s.office_code, []), sender)
        base = folder / f"ringkasan_{s.office_code}_{week}"
        base.with_suffix(".eml").write_bytes(bytes(msg))
        # a copy to open in a browser, with the chart beside it
        png = msg.get_payload()[0].get_payload()[1].get_payload()[1].get_content()
        base.with_suffix(".png").write_bytes(png)
        html, _ = render(s, chart_src=base.with_suffix(".png").name)
        base.with_suffix(".html").write_text(html, encoding="utf-8")
        written.append(base.with_suffix(".eml"))
        log.info("rendered %s", base.with_suffix(".eml"))
    return written
