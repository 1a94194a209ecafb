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
