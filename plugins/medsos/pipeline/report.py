"""Stage 7, report: the weekly summaries rendered, then sent (``medsos.report``).

``render_summaries`` reads the published marts and writes one email per province (and a
national one) into the outbox; ``send_summaries`` sends them through SMTP once per
recipient and records each sending in the warehouse's send log.
"""

from __future__ import annotations

from medsos.config import Settings


def render_summaries(settings: Settings, week: str) -> list[str]:
    """Stage 7: the weekly summaries per province (and national) into the outbox."""
    from medsos.report import render_week

    return [str(p) for p in render_week(settings, week)]


def send_summaries(
    settings: Settings,
    week: str,
    run_id: str | None = None,
    resend: bool = False,
    only: list[str] | None = None,
) -> dict[str, int]:
    """Stage 8: deliver the rendered summaries (all, or the ``only`` .eml files) through
    the SMTP connection, once per recipient."""
    from medsos.report.send import send_week

    return send_week(settings, week, run_id=run_id, resend=resend, only=only)
