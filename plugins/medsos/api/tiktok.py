"""TikTok accounts through the Display API v2: ``user/info`` (follower count) and
``video/list``, paged by its cursor (a UTC time in milliseconds) from the end of the week
backwards while ``has_more`` is true and the videos are not yet older than the week.

The token is the office's user access token (scopes ``user.info.basic``,
``user.info.stats``, ``video.list``); TikTok access tokens last 24 hours, so the
connection must be refreshed by the process that holds the refresh token.
"""

from __future__ import annotations

from medsos.api.client import ApiError
from medsos.api.record import PageGuard, PullTarget, Recorder

USER_FIELDS = (
    "open_id,union_id,display_name,username,follower_count,following_count,likes_count,video_count"
)
VIDEO_FIELDS = "id,create_time,title,video_description,duration,share_url,view_count,like_count,comment_count,share_count"
PAGE_SIZE = 20  # the API's maximum


def metric_list(extra: dict) -> None:
    """No metric list to keep: the listing calls return every public count."""
    return None


def pull(rec: Recorder, target: PullTarget, metrics: None, extra: dict) -> int:
    """Record the week's posts; returns how many were published in the week."""
    info = rec.fetch("user_info", "/v2/user/info/", {"fields": USER_FIELDS})
    owner = str(((info.get("data") or {}).get("user") or {}).get("username") or "")
    if owner and target.handle and owner.lstrip("@").lower() != target.handle.lstrip("@").lower():
        # the token reads its owner's videos only: pulling on would file them under this office
        raise ValueError(
            f"the token belongs to @{owner.lstrip('@')}, not to the registry's @{target.handle}; "
            "the connection holds another account's token"
        )
    cursor = int(target.window_end.timestamp() * 1000)
    start = target.window_start.timestamp()
    in_week = 0
    guard = PageGuard("video_list")
    guard.next(cursor)  # a cursor that comes back, the first included, is a loop
    while True:
        payload = rec.fetch(
            "video_list",
            "/v2/video/list/",
            {"fields": VIDEO_FIELDS},
            method="POST",
            body={"max_count": PAGE_SIZE, "cursor": cursor},
        )
        data = payload.get("data") or {}
        videos = [v for v in data.get("videos") or [] if isinstance(v, dict)]
        times = [v["create_time"] for v in videos if isinstance(v.get("create_time"), (int, float))]
        in_week += sum(1 for t in times if start <= t < target.window_end.timestamp())
        if not data.get("has_more") or (times and max(times) < start):
            return in_week
        if data.get("cursor") is None:
            raise ApiError(
                "video_list: has_more is true but no cursor came; the list may be incomplete, so this "
                "pull is not kept"
            )
        cursor = int(data["cursor"])
        guard.next(cursor)
