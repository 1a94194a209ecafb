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


def activity_chart_png(series: list[dict[str, Any]], title: str) -> bytes:
    """PNG line chart from rows ``{iso_week, platform, posting_activity_pct}``.

    600 px wide so it fits a phone without scaling text to unreadable sizes.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    week_list = sorted({r["iso_week"] for r in series})
    fig, ax = plt.subplots(figsize=(6.0, 3.2), dpi=100)
    try:
        for platform, colour in PLATFORM_COLOURS.items():
            points = {r["iso_week"]: r["posting_activity_pct"] for r in series if r["platform"] == platform}
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
                label="Semua" if platform == "all" else {"x": "X"}.get(platform, platform.capitalize()),
            )
        ax.set_xticks(range(len(week_list)))
        ax.set_xticklabels([w.split("-")[1] for w in week_list], fontsize=8)
        ax.set_ylim(0, 105)
        ax.set_ylabel("% kantor aktif", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, ncol=3, loc="lower left", frameon=False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
