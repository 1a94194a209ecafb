"""What one pull is for, and the JSON-lines record it leaves in the landing zone.

A pull file holds, one JSON object a line:

1. ``{"record": "pull", ...}``: platform, office, account, ISO week and the publish
   window asked for (UTC), when the pull started;
2. ``{"record": "response", "endpoint": ..., "request": ..., "fetched_at": ..., "body":
   {...}}``: every API response, as received (secrets removed), in order; ``for`` names
   the post an insights response belongs to;
3. ``{"record": "note", "message": ...}``: what the pull had to work around (a retired
   metric dropped, a post without insights);
4. ``{"record": "end", ...}``: the pull completed; requests made, seconds waited.

The file is written under a ``.medsos-partial-`` name and renamed when complete, so a
pull that dies half-way never looks like a delivery.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medsos.api.client import ApiClient, ApiError

FORMAT_VERSION = 1
MAX_PAGES = 2000  # a week of one account never needs this many; a looping cursor would


class PageGuard:
    """Stops a listing whose next-page link or cursor repeats, or that never ends: the
    pull fails (and is tried again the next day) rather than loop, or pass off a list
    the platform may have cut short as complete."""

    def __init__(self, endpoint: str, limit: int = MAX_PAGES) -> None:
        self.endpoint = endpoint
        self.limit = limit
        self.seen: set[str] = set()

    def next(self, cursor: object) -> None:
        key = str(cursor)
        if key in self.seen:
            raise ApiError(
                f"{self.endpoint}: the platform sent the same next-page cursor twice after "
                f"{len(self.seen) + 1} pages; the list may be incomplete, so this pull is not kept"
            )
        self.seen.add(key)
        if len(self.seen) >= self.limit:
            raise ApiError(f"{self.endpoint}: still more pages after {self.limit}; stopped")


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PullTarget:
    platform: str
    office_code: str
    office_name: str
    handle: str
    account_id: str | None
    week: str
    window_start: datetime  # UTC, the office's local Monday 00:00
    window_end: datetime  # UTC, the next Monday 00:00, or now for the running week

    def contains(self, instant: datetime) -> bool:
        return self.window_start <= instant < self.window_end


@dataclass
class Recorder:
    """Collects a pull's records; ``write`` puts them into the landing zone at once."""

    target: PullTarget
    client: ApiClient
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        t = self.target
        self._add(
            {
                "record": "pull",
                "format": FORMAT_VERSION,
                "platform": t.platform,
                "office_code": t.office_code,
                "account_handle": t.handle,
                "account_id": t.account_id,
                "week": t.week,
                "window_start": iso(t.window_start),
                "window_end": iso(t.window_end),
                "started_at": iso(self.started_at),
            }
        )

    def _add(self, obj: dict[str, Any]) -> None:
        # the scrub runs on the serialised line: a token echoed anywhere in a body goes too
        self.lines.append(
            self.client.scrub(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
        )

    def response(
        self,
        endpoint: str,
        method: str,
        url: str,
        params: dict | None,
        body: dict,
        for_post: str | None = None,
    ) -> None:
        shown = self.client.relative(url)
        if params:
            from urllib.parse import urlencode

            shown += ("&" if "?" in shown else "?") + urlencode(params)
        self._add(
            {
                "record": "response",
                "endpoint": endpoint,
                "request": f"{method} {shown}",
                "fetched_at": iso(datetime.now(UTC)),
                "for": for_post,
                "body": body,
            }
        )

    def fetch(
        self,
        endpoint: str,
        path_or_url: str,
        params: dict | None = None,
        *,
        method: str = "GET",
        body: Any = None,
        for_post: str | None = None,
    ) -> dict[str, Any]:
        """One request through the client, recorded with its response; returns the body."""
        payload = self.client.request(method, path_or_url, params=params, body=body)
        url = (
            path_or_url
            if path_or_url.startswith(("http://", "https://"))
            else self.client.base_url.rstrip("/") + path_or_url
        )
        self.response(endpoint, method, url, params, payload, for_post)
        return payload

    def note(self, message: str) -> None:
        self.notes.append(message)
        self._add({"record": "note", "message": message})

    def write(self, landing: Path) -> Path:
        """Finish the record and place it in the landing zone; returns its path."""
        self._add(
            {
                "record": "end",
                "finished_at": iso(datetime.now(UTC)),
                "requests": self.client.requests_made,
                "waited_seconds": round(self.client.waited_seconds, 1),
            }
        )
        t = self.target
        folder = landing / t.week / t.office_code / "api" / t.platform
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{t.platform}_{self.started_at.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl"
        partial = folder / f".medsos-partial-{name}"
        with partial.open("w", encoding="utf-8") as fh:
            fh.write("\n".join(self.lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        final = folder / name
        os.replace(partial, final)
        return final
