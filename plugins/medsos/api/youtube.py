"""YouTube channels through the Data API v3, on the cheapest path (1 quota unit a call):
``channels`` (uploads playlist and subscriber count), ``playlistItems`` of the uploads
playlist, then ``videos`` in groups of 50 for statistics and duration. ``search.list``
(100 units) is never used.

The uploads playlist lists newest first, so paging stops after a page whose videos were
all published before the week: a year of history is not re-read every day, which keeps
553 channels inside the default 10,000 units a day. The registry's ``account_id`` is the
channel id (``UC…``); the token is an API key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from medsos.api.record import PageGuard, PullTarget, Recorder

BATCH = 50


def metric_list(extra: dict) -> None:
    """No metric list to keep: ``videos`` returns every public count."""
    return None


def youtube_time(text: str) -> datetime:
    """``2026-06-04T03:00:12Z`` (fractions of a second possible)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def pull(rec: Recorder, target: PullTarget, metrics: None, extra: dict) -> int:
    """Record the channel's videos down to the week; returns how many were recorded."""
    if not target.account_id:
        raise ValueError(
            "the registry gives no account_id (the YouTube channel id, UC…) for this account"
        )
    channels = rec.fetch(
        "channels",
        "/youtube/v3/channels",
        {"part": "contentDetails,statistics", "id": target.account_id},
    )
    items = channels.get("items") or []
    if not items:
        raise ValueError(f"YouTube knows no channel {target.account_id}")
    uploads = ((items[0].get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
    if not uploads:
        return 0
    video_ids: list[str] = []
    token = None
    guard = PageGuard("playlist_items")
    while True:
        params = {"part": "contentDetails", "playlistId": uploads, "maxResults": 50}
        if token:
            params["pageToken"] = token
        page = rec.fetch("playlist_items", "/youtube/v3/playlistItems", params)
        published = []
        for item in page.get("items") or []:
            details = item.get("contentDetails") or {}
            if not details.get("videoId") or not details.get("videoPublishedAt"):
                continue  # a private or deleted video keeps its place without a date
            when = youtube_time(details["videoPublishedAt"])
            published.append(when)
            if target.contains(when):
                video_ids.append(details["videoId"])
        token = page.get("nextPageToken")
        if not token or (published and max(published) < target.window_start):
            break
        guard.next(token)
    for start in range(0, len(video_ids), BATCH):
        rec.fetch(
            "videos",
            "/youtube/v3/videos",
            {
                "part": "snippet,statistics,contentDetails",
                "id": ",".join(video_ids[start : start + BATCH]),
            },
        )
    return len(video_ids)
