"""Instagram professional accounts through the Graph API (Instagram API with Facebook
Login): the account's media published in the week, each one's lifetime insights
(``views``, never the ``impressions`` retired on 2025-04-21) and the follower count.

The ``/media`` edge has no time filter and lists newest first, so paging stops after the
first page that is entirely older than the week. The registry's ``account_id`` is the
Instagram user id (``1784…``).
"""

from __future__ import annotations

from medsos.api.graph import DEFAULT_VERSION, MetricList, graph_time, insights, paged
from medsos.api.record import PullTarget, Recorder

MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
)
DEFAULT_METRICS = ["views", "reach", "saved", "shares"]
USER_FIELDS = "id,username,followers_count,media_count"


def metric_list(extra: dict) -> MetricList:
    return MetricList.from_extra(extra, DEFAULT_METRICS)


def pull(rec: Recorder, target: PullTarget, metrics: MetricList, extra: dict) -> int:
    """Record the week's posts; returns how many were published in the week."""
    if not target.account_id:
        raise ValueError(
            "the registry gives no account_id (the Instagram user id) for this account"
        )
    version = extra.get("api_version", DEFAULT_VERSION)
    user = target.account_id
    rec.fetch("user", f"/{version}/{user}", {"fields": USER_FIELDS})
    media = paged(
        rec,
        "media",
        f"/{version}/{user}/media",
        {"fields": MEDIA_FIELDS, "limit": 50},
        stop_before=target.window_start,
        time_field="timestamp",
    )
    in_week = [
        m
        for m in media
        if m.get("id") and m.get("timestamp") and target.contains(graph_time(m["timestamp"]))
    ]
    for item in in_week:
        insights(
            rec,
            f"/{version}/{item['id']}/insights",
            metrics,
            str(item["id"]),
            endpoint="media_insights",
        )
    return len(in_week)
