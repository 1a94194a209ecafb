"""The email's chart as a phone shows it: drawn at twice the phone's width, a legend
readable at 390 px that hides no line, platform names as the email's tables write them."""

from __future__ import annotations

import struct

from medsos.report.chart import PHONE_WIDTH_PX, activity_chart_png, activity_figure
from medsos.report.summary import PLATFORM_LABELS

SERIES = [
    {"iso_week": f"2024-W0{w}", "platform": p, "posting_activity_pct": 40.0 + 5 * w + i}
    for w in range(2, 10) for i, p in enumerate(("instagram", "facebook", "x", "youtube", "tiktok", "all"))
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_image_is_drawn_at_twice_a_phones_width():
    width, height = png_size(activity_chart_png(SERIES, "Aktivitas posting per platform"))
    assert width >= 2 * PHONE_WIDTH_PX and height < width


def test_the_legend_is_readable_on_a_phone_and_names_platforms_as_the_tables_do():
    from matplotlib import pyplot as plt

    fig = activity_figure(SERIES, "Aktivitas posting per platform")
    try:
        (ax,) = fig.axes
        legend = ax.get_legend()
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels == [PLATFORM_LABELS[p] for p in ("instagram", "facebook", "x", "youtube", "tiktok", "all")]
        assert "YouTube" in labels and "TikTok" in labels
        fig.canvas.draw()
        image_width = fig.get_size_inches()[0] * fig.dpi
        for text in legend.get_texts():
            on_phone_px = text.get_fontsize() * fig.dpi / 72 * PHONE_WIDTH_PX / image_width
            assert on_phone_px >= 12, (text.get_text(), on_phone_px)
        # the legend sits below the plotting area, over no line
        renderer = fig.canvas.get_renderer()
        assert legend.get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0
    finally:
        plt.close(fig)


def test_charts_drawn_by_the_worker_are_the_charts_drawn_here(settings, monkeypatch):
    """A national week (39 summaries) draws its charts in a second process; the email and
    the .png beside the .html carry the same image as one drawn in this process."""
    import email
    from email import policy

    from medsos.pipeline import run_week
    from medsos.report import render
    from medsos.sample import build_plan, write_sample

    write_sample(settings.landing, build_plan("2024-W06", "2024-W06"))
    run_week(settings, "2024-W06", send=False)
    monkeypatch.setattr(render, "CHARTS_IN_A_WORKER_FROM", 1)
    written = render.render_week(settings, "2024-W06")
    assert len(written) == 2
    for eml in written:
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        png = next(p for p in msg.walk() if p.get_content_type() == "image/png").get_content()
        assert png == eml.with_suffix(".png").read_bytes() and png_size(png)[0] >= 2 * PHONE_WIDTH_PX
        html = eml.with_suffix(".html").read_text(encoding="utf-8")
        assert f'src="{eml.with_suffix(".png").name}"' in html and render.CHART_SRC not in html
        body = msg.get_body(("html",)).get_content()
        assert 'src="cid:' in body and render.CHART_SRC not in body
