"""Facebook Pages through the Graph API: the Page's posts in the week, each post's
lifetime insights, and the Page's follower count.

Needs a Page access token with ``pages_read_engagement`` and ``read_insights``; the
registry's ``account_id`` is the Page id.
"""

from __future__ import annotations

from medsos.api.graph import DEFAULT_VERSION, MetricList, insights, paged
from medsos.api.record import PullTarget, Recorder

POST_FIELDS = (
    "id,created_time,message,permalink_url,status_type,shares,"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
# post_media_view replaced post_impressions (2025-11-15); post_total_media_view_unique
# replaced post_impressions_unique (2026-06-15)
DEFAULT_METRICS = ["post_media_view", "post_total_media_view_unique"]
PAGE_FIELDS = "id,name,followers_count,fan_count"


def metric_list(extra: dict) -> MetricList:
    return MetricList.from_extra(extra, DEFAULT_METRICS)


def pull(rec: Recorder, target: PullTarget, metrics: MetricList, extra: dict) -> int:
    """Record the week's posts; returns how many were published in the week."""
    if not target.account_id:
        raise ValueError("the registry gives no account_id (the Facebook Page id) for this account")
    version = extra.get("api_version", DEFAULT_VERSION)
    page = target.account_id
    rec.fetch("page", f"/{version}/{page}", {"fields": PAGE_FIELDS})
    posts = paged(
        rec,
        "posts",
        f"/{version}/{page}/posts",
        {
            "fields": POST_FIELDS,
            "since": int(target.window_start.timestamp()),
            "until": int(target.window_end.timestamp()),
            "limit": 100,
        },
    )
    for post in posts:
        if post.get("id"):
            insights(rec, f"/{version}/{post['id']}/insights", metrics, str(post["id"]))
    return len(posts)
