"""Render summaries as HTML (with a plain-text alternative) and write them as .eml files.

Templates are Jinja2 files in ``templates/`` with autoescaping on, so captions and
office names can never inject markup into the email.
"""

from __future__ import annotations

import csv
import logging
import os
from concurrent.futures import Future
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from medsos.config import Settings
from medsos.processes import from_both_ends
from medsos.report.chart import activity_chart_png
from medsos.report.summary import (
    DATA_QUALITY_SHOWN,
    FOLLOW_UP_SHEET,
    TO_CALL_SHOWN,
    Summary,
    gather_week,
    recipients_of_summaries,
)
from medsos.report.workbook import build_workbook

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger(__name__)

DEFAULT_SENDER = "medsos <medsos-noreply@example.org>"


def spoken_change(points: float | None) -> str:
    """A change of a percentage as people say it: ``naik 1,6 poin``, ``turun 0,4 poin``."""
    if points is None:
        return ""
    if abs(points) < 0.05:
        return "sama dengan minggu lalu"
    return f"{'naik' if points > 0 else 'turun'} {abs(points):.1f} poin dari minggu lalu".replace(
        ".", ","
    )


def quality_counts(lines: list[dict]) -> str:
    """``2 berkas ditolak, 1 berkas dengan baris ditahan``: the data-quality list's size."""
    said = {
        "ditolak": "berkas ditolak (tidak dimuat)",
        "ditahan": "berkas dengan baris ditahan",
        "peringatan": "berkas dengan peringatan (tetap dimuat)",
    }
    counts = {k: sum(1 for d in lines if d["severity"] == k) for k in said}
    return ", ".join(f"{n} {said[k]}" for k, n in counts.items() if n) + "."


@lru_cache(maxsize=1)  # compiled templates are reused for every province's summary
def _env() -> Environment:
    # here, not at the top: the chart worker imports this package, and needs no Jinja2
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("medsos.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1f}%".replace(".", ",")
    env.filters["num"] = lambda v: "–" if v is None else f"{int(v):,}".replace(",", ".")
    env.filters["signed"] = lambda v: (
        "" if v is None else (f"+{v:.1f}" if v > 0 else f"{v:.1f}").replace(".", ",")
    )
    env.filters["change"] = spoken_change
    env.globals.update(
        quality_counts=quality_counts,
        quality_shown=DATA_QUALITY_SHOWN,
        to_call_shown=TO_CALL_SHOWN,
        follow_up_sheet=FOLLOW_UP_SHEET,
    )
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


CHART_SRC = "medsos-chart-src"  # where the chart goes; replaced per copy (cid: in the email)
CHARTS_IN_A_WORKER_FROM = 6  # summaries; below this a worker's start costs more than it saves


def chart_title(summary: Summary) -> str:
    return f"Aktivitas posting per platform, s.d. {summary.week}"


def build_message(
    summary: Summary,
    to: list[str],
    sender: str,
    chart: bytes | None = None,
    html: str | None = None,
    text: str | None = None,
    workbook: bytes | None = None,
) -> EmailMessage:
    """multipart/mixed: [alternative: text, related: (html, chart png)], xlsx. The chart,
    HTML, text and workbook are made here unless given (render_week gives them: each is
    made once per summary)."""
    if chart is None:
        chart = activity_chart_png(summary.chart_series, chart_title(summary))
    if html is None or text is None:
        html, text = render(summary, chart_src=CHART_SRC)
    cid = make_msgid(domain="medsos.local")
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
    msg.add_alternative(
        html.replace(CHART_SRC, f"cid:{cid[1:-1]}"), subtype="html", cte="quoted-printable"
    )
    # inline: shown in the text, not listed as a file to download
    html_part = cast(EmailMessage, msg.get_body(("html",)))
    html_part.add_related(
        chart,
        maintype="image",
        subtype="png",
        cid=cid,
        disposition="inline",
        filename="aktivitas.png",
    )
    msg.add_attachment(
        workbook if workbook is not None else build_workbook(summary.sheets),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=attachment_name(summary),
    )
    return msg


def _chart_worker():
    """One more process drawing the charts while this one queries the tables and writes
    the workbooks (spawned: the Airflow task process has threads a fork would copy)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    pool.submit(_warm_up)  # matplotlib's import, while the first summaries are gathered
    return pool


def _chart_key(summary: Summary) -> tuple:
    """What a summary's chart is drawn from (``activity_figure`` reads nothing else)."""
    points = tuple(
        (r["iso_week"], r["platform"], r["posting_activity_pct"]) for r in summary.chart_series
    )
    return chart_title(summary), points


def _drawn(chart: bytes) -> Future[bytes]:
    """A chart drawn in this process, held as the worker's are."""
    done: Future[bytes] = Future()
    done.set_result(chart)
    return done


def _warm_up() -> None:
    import matplotlib.backends.backend_agg  # noqa: F401


def render_week(settings: Settings, week: str, sender: str = DEFAULT_SENDER) -> list[Path]:
    """Render every summary for ``week`` into ``<outbox>/<week>/``: the .eml, and an .html
    with its chart beside it as .png to open in a browser. Each summary's tables are
    queried, its chart drawn, its HTML rendered and its workbook written once."""
    # here, not at the top: the chart worker imports this package, and needs no pandas
    from medsos.warehouse import open_published

    recipients = load_recipients(settings.recipients)
    folder = settings.outbox / week
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(s: Summary, chart: bytes, workbook: bytes) -> None:
        html, text = render(s, chart_src=CHART_SRC)
        base = folder / f"ringkasan_{s.office_code}_{week}"
        msg = build_message(
            s,
            recipients.get(s.office_code, []),
            sender,
            chart=chart,
            html=html,
            text=text,
            workbook=workbook,
        )
        base.with_suffix(".eml").write_bytes(bytes(msg))
        base.with_suffix(".png").write_bytes(chart)
        base.with_suffix(".html").write_text(
            html.replace(CHART_SRC, base.with_suffix(".png").name), encoding="utf-8"
        )
        written.append(base.with_suffix(".eml"))
        log.info("rendered %s", base.with_suffix(".eml"))

    con = open_published(settings)
    pool = None
    try:
        try:
            targets = recipients_of_summaries(con, week)
            if len(targets) >= CHARTS_IN_A_WORKER_FROM and (os.cpu_count() or 1) > 1:
                pool = _chart_worker()
            # every summary at once: one query per section, not one per section and summary
            summaries = gather_week(con, week, targets)
        finally:
            con.close()
        # summaries with the same points and title share one chart (provinces whose
        # offices all posted every week draw the same lines): each chart is drawn once
        drawing: dict[tuple, int] = {}  # what a chart is drawn from -> its place in to_draw
        to_draw: list[Summary] = []
        chart_of = []  # per summary, its chart's place in to_draw
        for s in summaries:
            key = _chart_key(s)
            if key not in drawing:
                drawing[key] = len(to_draw)
                to_draw.append(s)
            chart_of.append(drawing[key])
        charts = [
            pool.submit(activity_chart_png, s.chart_series, chart_title(s)) if pool else None
            for s in to_draw
        ]
        # the workbooks while the worker draws the charts from the first summary on; once
        # its charts are done it takes workbooks from the front while this process takes
        # them from the back (summaries sharing one chart leave the worker free early)
        books = [pool.submit(build_workbook, s.sheets) for s in summaries] if pool else []
        workbooks, _ = from_both_ends(
            books, lambda i: build_workbook(summaries[i].sheets), len(summaries)
        )
        # then, in order, each summary whose chart is ready is written; while the worker
        # is still drawing the next one, a chart it has not begun is drawn here, from the
        # last one back. With the summaries gathered at once the charts are the longest
        # part: both processes share them this way, each chart still drawn once.
        last = len(to_draw) - 1  # the next chart this process may take from the worker
        for i, s in enumerate(summaries):
            n = chart_of[i]
            while True:
                pending = charts[n]
                if pending is None:  # no worker, or not given to it
                    pending = charts[n] = _drawn(activity_chart_png(s.chart_series, chart_title(s)))
                if pending.done() or last <= n:
                    break
                taken = charts[last]
                if taken is not None and not taken.cancel():
                    last = n  # begun: this one and those before it are the worker's
                    continue
                charts[last] = _drawn(
                    activity_chart_png(to_draw[last].chart_series, chart_title(to_draw[last]))
                )
                last -= 1
            book = workbooks[i]
            write(s, pending.result(), book if book is not None else books[i].result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return written
