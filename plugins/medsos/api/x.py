"""X accounts through the API v2: the user (follower count) and the user's posts in the
week with public metrics, ``exclude=retweets``, paged by ``meta.next_token``.

The token is the app's bearer token. The registry's ``account_id`` is the numeric user
id; without it the user is looked up by handle (one more request). X refuses an
``end_time`` less than 10 seconds old, so a running week ends a minute before now.
"""

from __future__ import annotations

from medsos.api.record import PageGuard, PullTarget, Recorder, iso

TWEET_FIELDS = "created_at,public_metrics,entities,attachments,referenced_tweets"
USER_FIELDS = "public_metrics,username"


def metric_list(extra: dict) -> None:
    """No metric list to keep: the listing calls return every public count."""
    return None


def pull(rec: Recorder, target: PullTarget, metrics: None, extra: dict) -> int:
    """Record the week's posts; returns how many were published in the week."""
    if target.account_id:
        user = rec.fetch("user", f"/2/users/{target.account_id}", {"user.fields": USER_FIELDS})
    else:
        user = rec.fetch(
            "user", f"/2/users/by/username/{target.handle}", {"user.fields": USER_FIELDS}
        )
    user_id = (user.get("data") or {}).get("id")
    if not user_id:
        raise ValueError(f"X knows no user {target.account_id or '@' + target.handle}")
    token = None
    posts = 0
    guard = PageGuard("tweets")
    while True:
        params = {
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "exclude": "retweets",
            "start_time": iso(target.window_start),
            "end_time": iso(target.window_end),
        }
        if token:
            params["pagination_token"] = token
        page = rec.fetch("tweets", f"/2/users/{user_id}/tweets", params)
        posts += len(page.get("data") or [])
        token = (page.get("meta") or {}).get("next_token")
        if not token:
            return posts
        guard.next(token)
