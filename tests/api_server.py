"""A real HTTP server on 127.0.0.1 that answers like the five platform APIs.

It serves the documented shapes (../shared/reference/platform-exports.md section 6):
Graph API pages with ``paging.next`` links (including an empty page that still has a
next link, and ``access_token`` inside the links as Graph writes them), insights that
fail with #100 when a retired metric is asked for, YouTube's ``nextPageToken`` and
string statistics, TikTok's POST cursor and ``error`` object, X's ``meta.next_token``
and ``x-rate-limit-reset``. Pages are small so every list takes several requests.

Tokens are checked on every request the way each platform does; ``fail_next`` queues
answers (429, 500, a throttle, an expired token, a stall, a body that is not JSON or is
cut off half-way) for the next matching requests; ``refuse_metric`` makes one post's
insights fail with a generic #100 for a metric (as Graph does for a metric a kind of
media lacks), and ``log`` keeps every request (time, method, path with query, headers) for
the tests to inspect.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PAGE_SIZE = 2
GRAPH_VERSION = "v24.0"
RETIRED = {"post_impressions", "post_impressions_unique", "impressions", "plays"}


def graph_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def z_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Post:
    """One post on any platform, with the numbers the server reports for it."""

    post_id: str
    published: datetime  # UTC
    text: str
    views: int
    likes: int
    comments: int
    shares: int
    reach: int = 0
    saves: int = 0
    duration: int = 45
    kind: str = "image"


@dataclass
class Account:
    platform: str
    account_id: str
    handle: str
    token: str
    followers: int
    posts: list[Post] = field(default_factory=list)

    def newest_first(self) -> list[Post]:
        return sorted(self.posts, key=lambda p: p.published, reverse=True)


@dataclass
class Logged:
    at: float
    method: str
    path: str
    headers: dict[str, str]


class PlatformServer:
    def __init__(self) -> None:
        self.accounts: list[Account] = []
        self.log: list[Logged] = []
        self.queued: list[tuple[str, dict]] = []  # (path regex, answer)
        self.refused_metrics: dict[str, set[str]] = {}  # post id -> metrics its insights refuse
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> PlatformServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, account: Account) -> Account:
        self.accounts.append(account)
        return account

    def fail_next(self, path_pattern: str, *, status: int, body: dict | None = None,
                  headers: dict[str, str] | None = None, times: int = 1, stall: float = 0.0,
                  raw: bytes | None = None, cut_after: int | None = None) -> None:
        """The next ``times`` requests whose path matches answer this instead: ``body`` as
        JSON, or ``raw`` bytes as they are; with ``cut_after`` the connection closes after
        that many bytes of a body whose Content-Length promised all of it."""
        with self.lock:
            for _ in range(times):
                self.queued.append((path_pattern, {"status": status, "body": body or {}, "headers": headers or {},
                                                   "stall": stall, "raw": raw, "cut_after": cut_after}))

    def refuse_metric(self, post_id: str, metric: str) -> None:
        self.refused_metrics.setdefault(post_id, set()).add(metric)

    def requests_to(self, pattern: str) -> list[Logged]:
        return [r for r in self.log if re.search(pattern, r.path)]

    # ------------------------------------------------------------------ routing

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with server.lock:
                    server.log.append(Logged(time.time(), method, self.path, dict(self.headers.items())))
                    queued = next(((i, a) for i, (p, a) in enumerate(server.queued) if re.search(p, self.path)), None)
                    if queued:
                        server.queued.pop(queued[0])
                if queued:
                    answer = queued[1]
                    if answer["stall"]:
                        time.sleep(answer["stall"])
                    self._send(answer["status"], answer["body"], answer["headers"], answer["raw"],
                               answer["cut_after"])
                    return
                try:
                    status, body, headers = server.route(method, self.path, dict(self.headers.items()),
                                                         json.loads(raw) if raw else None)
                except Exception as exc:  # noqa: BLE001 - a bug in the fake shows as a 500 with the reason
                    status, body, headers = 500, {"server_bug": repr(exc)}, {}
                self._send(status, body, headers)

            def _send(self, status: int, body: dict, headers: dict[str, str], raw: bytes | None = None,
                      cut_after: int | None = None) -> None:
                data = raw if raw is not None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if cut_after is not None:
                        self.wfile.write(data[:cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)  # a dropped connection mid-body
                        return
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        return Handler

    def _account(self, platform: str, account_id: str | None = None, token: str | None = None) -> Account | None:
        for a in self.accounts:
            if a.platform == platform and (account_id is None or a.account_id == account_id) and (
                token is None or a.token == token
            ):
                return a
        return None

    def route(self, method: str, target: str, headers: dict[str, str], body: Any):
        parts = urlsplit(target)
        path = parts.path
        q = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        bearer = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if path.startswith(f"/{GRAPH_VERSION}/"):
            return self.graph(path.removeprefix(f"/{GRAPH_VERSION}/"), q, bearer)
        if path.startswith("/youtube/v3/"):
            return self.youtube(path.removeprefix("/youtube/v3/"), q, headers.get("X-Goog-Api-Key", ""))
        if path.startswith("/v2/"):
            return self.tiktok(method, path, q, bearer, body or {})
        if path.startswith("/2/"):
            return self.x(path, q, bearer)
        return 404, {"error": "no such endpoint"}, {}

    # ------------------------------------------------------------------ Graph API

    def graph_token_error(self, token: str):
        return 400, {"error": {
            "message": f"Error validating access token: Session has expired on Friday, 26-Jun-26 15:48:19 PDT. "
                       f"Invalid OAuth access token - Cannot parse access token {token}",
            "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "Fz54k3GZrio"}}, {}

    def graph(self, path: str, q: dict, token: str):
        segments = path.strip("/").split("/")
        node = segments[0]
        owner = next((a for a in self.accounts if a.platform in ("facebook", "instagram")
                      and (a.account_id == node or any(node in (p.post_id, f"{a.account_id}_{p.post_id}")
                                                       for p in a.posts))), None)
        if owner is None:
            return 400, {"error": {"message": f"(#803) Some of the aliases you requested do not exist: {node}",
                                   "type": "OAuthException", "code": 803}}, {}
        if token != owner.token:
            return self.graph_token_error(token)
        if len(segments) == 1:
            if owner.platform == "facebook":
                return 200, {"id": owner.account_id, "name": owner.handle, "followers_count": owner.followers,
                             "fan_count": owner.followers - 7}, {}
            return 200, {"id": owner.account_id, "username": owner.handle, "followers_count": owner.followers,
                         "media_count": len(owner.posts)}, {}
        edge = segments[1]
        if edge == "insights":
            return self.graph_insights(owner, node, q)
        if edge == "posts" and owner.platform == "facebook":
            since, until = int(q["since"]), int(q["until"])
            items = [p for p in owner.newest_first() if since <= p.published.timestamp() < until]
            return self.graph_page(owner, path, q, token, items, self.fb_post)
        if edge == "media" and owner.platform == "instagram":
            return self.graph_page(owner, path, q, token, owner.newest_first(), self.ig_media)
        return 400, {"error": {"message": f"(#100) Unknown edge {edge}", "type": "OAuthException", "code": 100}}, {}

    def graph_page(self, owner: Account, path: str, q: dict, token: str, items: list[Post], shape):
        offset = int(q.get("after") or 0)
        page = items[offset:offset + PAGE_SIZE]
        body: dict[str, Any] = {"data": [shape(owner, p) for p in page]}
        following = offset + PAGE_SIZE
        if offset == PAGE_SIZE and not q.get("empty_served"):
            # Graph may answer an empty page that still links on: follow it
            body["data"], following = [], offset
            q = q | {"empty_served": "1"}
        if following < len(items):
            # real Graph links carry the access token when it was sent as a parameter
            query = {k: v for k, v in q.items() if k != "after"} | {"after": str(following), "access_token": token}
            body["paging"] = {"cursors": {"before": "QVFIUk", "after": str(following)},
                              "next": f"{self.base_url}/{GRAPH_VERSION}/{path.strip('/')}?{urlencode(query)}"}
        return 200, body, {"X-App-Usage": json.dumps({"call_count": 3, "total_time": 2, "total_cputime": 1})}

    def fb_post(self, owner: Account, p: Post) -> dict:
        out = {
            "id": f"{owner.account_id}_{p.post_id}", "created_time": graph_time(p.published), "message": p.text,
            "permalink_url": f"https://www.facebook.com/{owner.account_id}/posts/{p.post_id}",
            "status_type": "added_video" if p.kind == "video" else "added_photos",
            "reactions": {"data": [], "summary": {"total_count": p.likes, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": p.comments, "can_comment": True}},
        }
        if p.shares:  # Graph leaves shares out when nobody shared
            out["shares"] = {"count": p.shares}
        return out

    def ig_media(self, owner: Account, p: Post) -> dict:
        media_type, product = {"reel": ("VIDEO", "REELS"), "carousel": ("CAROUSEL_ALBUM", "FEED")}.get(
            p.kind, ("IMAGE", "FEED"))
        return {"id": p.post_id, "caption": p.text, "media_type": media_type, "media_product_type": product,
                "timestamp": graph_time(p.published), "permalink": f"https://www.instagram.com/p/{p.post_id}/",
                "like_count": p.likes, "comments_count": p.comments}

    def graph_insights(self, owner: Account, node: str, q: dict):
        metrics = [m for m in q.get("metric", "").split(",") if m]
        retired = [m for m in metrics if m in RETIRED]
        if retired:
            if owner.platform == "instagram":
                message = f"Starting from version 22 and above, the {retired[0]} metric is no longer supported"
            else:
                message = "(#100) The value must be a valid insights metric"
            return 400, {"error": {"message": message, "type": "OAuthException", "code": 100,
                                   "fbtrace_id": "A1b2"}}, {}
        post_id = node.rsplit("_", 1)[-1]
        if set(metrics) & self.refused_metrics.get(post_id, set()):
            return 400, {"error": {"message": "(#100) The value must be a valid insights metric",
                                   "type": "OAuthException", "code": 100, "fbtrace_id": "C3d4"}}, {}
        p = next(p for p in owner.posts if p.post_id == post_id)
        values = {"post_media_view": p.views, "post_total_media_view_unique": p.reach, "post_clicks": 3,
                  "views": p.views, "reach": p.reach, "saved": p.saves, "shares": p.shares,
                  "total_interactions": p.likes + p.comments + p.shares + p.saves}
        return 200, {"data": [
            {"name": m, "period": "lifetime", "values": [{"value": values[m]}], "id": f"{node}/insights/{m}/lifetime"}
            for m in metrics if m in values
        ]}, {}

    # ------------------------------------------------------------------ YouTube

    def youtube(self, endpoint: str, q: dict, key: str):
        if not key or not any(a.platform == "youtube" and a.token == key for a in self.accounts):
            return 400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                   "errors": [{"message": "API key not valid.", "domain": "global",
                                               "reason": "keyInvalid"}]}}, {}
        if endpoint == "channels":
            a = self._account("youtube", q.get("id"))
            items = [] if a is None else [{
                "kind": "youtube#channel", "id": a.account_id,
                "contentDetails": {"relatedPlaylists": {"uploads": "UU" + a.account_id[2:]}},
                "statistics": {"viewCount": "1000", "subscriberCount": str(a.followers),
                               "hiddenSubscriberCount": False, "videoCount": str(len(a.posts))},
            }]
            return 200, {"kind": "youtube#channelListResponse", "items": items}, {}
        if endpoint == "playlistItems":
            a = self._account("youtube", "UC" + q["playlistId"][2:])
            videos = a.newest_first()
            start = int(q.get("pageToken") or 0)
            size = min(int(q.get("maxResults", 5)), PAGE_SIZE)
            page = videos[start:start + size]
            body: dict[str, Any] = {"kind": "youtube#playlistItemListResponse", "items": [
                {"kind": "youtube#playlistItem", "contentDetails": {"videoId": p.post_id,
                                                                   "videoPublishedAt": z_time(p.published)}}
                for p in page
            ], "pageInfo": {"totalResults": len(videos), "resultsPerPage": size}}
            if start + size < len(videos):
                body["nextPageToken"] = str(start + size)
            return 200, body, {}
        if endpoint == "videos":
            wanted = q.get("id", "").split(",")
            items = []
            for a in self.accounts:
                for p in a.posts:
                    if a.platform == "youtube" and p.post_id in wanted:
                        minutes, seconds = divmod(p.duration, 60)
                        stats = {"viewCount": str(p.views), "favoriteCount": "0", "commentCount": str(p.comments)}
                        if p.likes >= 0:
                            stats["likeCount"] = str(p.likes)
                        items.append({
                            "kind": "youtube#video", "id": p.post_id,
                            "snippet": {"publishedAt": z_time(p.published), "channelId": a.account_id,
                                        "title": p.text, "liveBroadcastContent": "none"},
                            "contentDetails": {"duration": f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"},
                            "statistics": stats,
                        })
            return 200, {"kind": "youtube#videoListResponse", "items": items,
                         "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}, {}
        return 404, {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}, {}

    # ------------------------------------------------------------------ TikTok

    def tiktok(self, method: str, path: str, q: dict, token: str, body: dict):
        a = self._account("tiktok", token=token)
        log_id = "20260608021544A1B2C3D4E5F6071829"
        if a is None:
            return 401, {"data": {}, "error": {"code": "access_token_invalid",
                                               "message": "The access token is invalid or not found in the request.",
                                               "log_id": log_id}}, {}
        if path == "/v2/user/info/" and method == "GET":
            return 200, {"data": {"user": {"open_id": "-000abc", "union_id": "c9c", "display_name": a.handle,
                                           "username": a.handle, "follower_count": a.followers,
                                           "following_count": 12, "likes_count": 53210,
                                           "video_count": len(a.posts)}},
                         "error": {"code": "ok", "message": "", "log_id": log_id}}, {}
        if path == "/v2/video/list/" and method == "POST":
            cursor = int(body.get("cursor") or 2**62)
            size = min(int(body.get("max_count", 20)), PAGE_SIZE)
            older = [p for p in a.newest_first() if p.published.timestamp() * 1000 < cursor]
            page = older[:size]
            videos = [{"id": p.post_id, "create_time": int(p.published.timestamp()), "title": p.text[:20],
                       "video_description": p.text, "duration": p.duration,
                       "share_url": f"https://www.tiktok.com/@{a.handle}/video/{p.post_id}",
                       "view_count": p.views, "like_count": p.likes, "comment_count": p.comments,
                       "share_count": p.shares} for p in page]
            next_cursor = int(page[-1].published.timestamp() * 1000) if page else cursor
            return 200, {"data": {"videos": videos, "cursor": next_cursor, "has_more": len(older) > size},
                         "error": {"code": "ok", "message": "", "log_id": log_id}}, {}
        return 404, {"data": {}, "error": {"code": "invalid_params", "message": "no such endpoint",
                                           "log_id": log_id}}, {}

    # ------------------------------------------------------------------ X

    def x(self, path: str, q: dict, token: str):
        limits = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899",
                  "x-rate-limit-reset": str(int(time.time()) + 900)}
        if not any(a.platform == "x" and a.token == token for a in self.accounts):
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}
        m = re.fullmatch(r"/2/users/by/username/([^/]+)", path)
        if m:
            a = next((a for a in self.accounts if a.platform == "x" and a.handle == m.group(1)), None)
        else:
            m = re.fullmatch(r"/2/users/(\d+)(/tweets)?", path)
            a = self._account("x", m.group(1)) if m else None
        if a is None:
            return 200, {"errors": [{"title": "Not Found Error", "detail": "Could not find user"}]}, limits
        user = {"id": a.account_id, "username": a.handle, "name": a.handle,
                "public_metrics": {"followers_count": a.followers, "following_count": 10, "tweet_count": 99}}
        if not path.endswith("/tweets"):
            return 200, {"data": user}, limits
        start = datetime.fromisoformat(q["start_time"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(q["end_time"].replace("Z", "+00:00"))
        posts = [p for p in a.newest_first() if start <= p.published < end]
        offset = int(q.get("pagination_token") or 0)
        size = min(int(q.get("max_results", 10)), PAGE_SIZE)
        page = posts[offset:offset + size]
        body: dict[str, Any] = {"data": [{
            "id": p.post_id, "text": p.text, "created_at": p.published.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "edit_history_tweet_ids": [p.post_id],
            "public_metrics": {"retweet_count": p.shares, "reply_count": p.comments, "like_count": p.likes,
                               "quote_count": 1, "bookmark_count": p.saves, "impression_count": p.views},
        } for p in page], "meta": {"result_count": len(page)}}
        if offset + size < len(posts):
            body["meta"]["next_token"] = str(offset + size)
        if not page:
            body.pop("data")
        return 200, body, limits


def week_of_posts(platform: str, first_id: int, start: datetime, count: int, kinds=("image",)) -> list[Post]:
    """``count`` posts a day apart from ``start`` (UTC), numbers growing with the id."""
    posts = []
    for i in range(count):
        n = first_id + i
        posts.append(Post(
            post_id=str(n), published=start + timedelta(days=i, hours=3), text=f"Sosialisasi #{i} #KPUMelayani",
            views=1000 + i * 10, likes=50 + i, comments=5 + i, shares=i % 3, reach=700 + i, saves=2 + i,
            duration=30 + 60 * i, kind=kinds[i % len(kinds)],
        ))
    return posts
