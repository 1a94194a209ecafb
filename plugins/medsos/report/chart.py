"""The one chart of the weekly email: posting activity per platform over the last weeks."""

from __future__ import annotations

import io
from typing import Any

PLATFORM_COLOURS = {
    "instagram": "#c13584",
    "facebook": "#1877f2",
    "x": "#111111",
    "youtube": "#ff0000",
    "tiktok": "#25c2b6",
    "all": "#7a0a0a",
}


# The email shows the chart at most 600 px wide and, on a phone of 390 px, 334 px wide
# (measured in chromium). The image is drawn 800 px wide, with fonts sized for that: an
# 11 pt legend at 200 dpi is 30.6 px in the image, 12.8 px on that phone.
FIGURE_INCHES = (4.0, 3.4)
DPI = 200
PHONE_WIDTH_PX = 390
LEGEND_FONT_PT = 11
PLOT_AREA = (0.15, 0.34, 0.8, 0.57)  # left, bottom, width, height: the legend's two rows fit below


def activity_figure(series: list[dict[str, Any]], title: str):
    """The matplotlib figure of the chart (``activity_chart_png`` renders it)."""
    # a Figure with its own Agg canvas, not pyplot: no global state, nothing to close
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from medsos.report.summary import PLATFORM_LABELS

    week_list = sorted({r["iso_week"] for r in series})
    # a fixed layout (no tight_layout, no tight bounding box when saving): the chart is
    # drawn once instead of three times, which made it most of the weekly report's time
    fig = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(PLOT_AREA)
    for platform, colour in PLATFORM_COLOURS.items():
        points = {
            r["iso_week"]: r["posting_activity_pct"] for r in series if r["platform"] == platform
        }
        if not points:
            continue
        ys = [points.get(w) for w in week_list]
        ax.plot(
            range(len(week_list)),
            [float("nan") if y is None else y for y in ys],
            marker="o",
            markersize=3,
            linewidth=2.6 if platform == "all" else 1.4,
            color=colour,
            # the names the email's table uses ("YouTube", "TikTok", "Semua platform")
            label=PLATFORM_LABELS[platform],
        )
    ax.set_xticks(range(len(week_list)))
    ax.set_xticklabels([w.split("-")[1] for w in week_list], fontsize=9)
    ax.set_ylim(0, 105)
    ax.set_ylabel("aktivitas posting (%)", fontsize=9)
    ax.tick_params(axis="y", labelsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=10)
    # below the plot, so it never hides a line
    ax.legend(
        fontsize=LEGEND_FONT_PT,
        ncol=2,
        loc="upper center",
        bbox_to_anchor=(0.45, -0.11),
        frameon=False,
        handlelength=1.2,
        columnspacing=0.8,
    )
    return fig


def activity_chart_png(series: list[dict[str, Any]], title: str) -> bytes:
    """PNG line chart from rows ``{iso_week, platform, posting_activity_pct}``, drawn at
    twice a phone's width (see ``FIGURE_INCHES``)."""
    fig = activity_figure(series, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 3})
    return buf.getvalue()
