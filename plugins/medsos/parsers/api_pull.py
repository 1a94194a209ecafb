"""Parsing API pull files (``<week>/<office>/api/<platform>/….jsonl``, written by ``medsos.api``).

``ApiPullParser`` is the parser interface for a pull file; platforms subclass it and
implement ``normalise(pull)``. ``ApiPull`` reads the recorded responses back and gives
the builders that emit post records, account days and rejected fields with lineage
(file, line, JSON field), as ``base`` does for an export's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from medsos.parsers.base import (
    CellError,
    FileContext,
    ParseResult,
    Problem,
    build_result,
)
from medsos.parsers.sheets import ParseError, RawFile
from medsos.parsers.values import COUNT_LIMIT, to_local


@dataclass(frozen=True)
class ApiResponse:
    """One recorded API response of a pull file (``medsos.api.record``)."""

    line: int  # line in the JSON-lines file: the row number errors and lineage name
    endpoint: str
    fetched_at: datetime
    for_post: str | None
    body: dict[str, Any]


def parse_utc(text: Any, what: str) -> datetime:
    """An API timestamp (``2026-06-03T02:15:10+0000``, ``…Z``, ``….000Z``) as a UTC instant."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} is missing")
    t = text.strip().replace("Z", "+00:00")
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)
    try:
        value = datetime.fromisoformat(t)
    except ValueError as exc:
        raise ValueError(f"{what} is not an ISO-8601 time: {text!r}") from exc
    if value.tzinfo is None:
        raise ValueError(f"{what} has no time zone: {text!r}")
    return value.astimezone(UTC)


def api_count(value: Any, what: str) -> int | None:
    """A count from an API body: a number or a string of digits (YouTube); absent is NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} is not a count: {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        n = int(value.strip())
    else:
        raise ValueError(f"{what} is not a count: {value!r}")
    if abs(n) >= COUNT_LIMIT:
        raise ValueError(f"{what} is not a plausible count: {value!r}")
    return n


class ApiPullParser:
    """A pull file of one platform (``<week>/<office>/api/<platform>/….jsonl``).

    Subclasses implement ``normalise(pull)``, turning the recorded responses into post
    records (``pull.post``), account days (``pull.day``) and rejected fields
    (``pull.reject``): a bad field is reported by file, line and JSON field, the post is
    quarantined and the rest loads, as for an export's row.
    """

    kind = ""
    platform = ""
    description = ""
    lists_posts = True

    def matches(self, raw: RawFile) -> bool:
        if raw.encoding != "jsonl" or not raw.sheets or not raw.first_sheet().rows:
            return False
        head = raw.first_sheet().rows[0][1][0]
        return (
            isinstance(head, dict)
            and head.get("record") == "pull"
            and head.get("platform") == self.platform
        )

    def parse(self, raw: RawFile, ctx: FileContext) -> ParseResult:
        pull = ApiPull(raw, ctx, self.platform)
        self.normalise(pull)
        notes = [
            Problem(raw.relative_path, line, None, None, f"pull note: {text}")
            for line, text in pull.notes
        ]
        return build_result(
            self.kind, self.platform, raw, pull.records, pull.rejected, pull.daily, notes=notes
        )

    def normalise(self, pull: ApiPull) -> None:
        raise NotImplementedError


class ApiPull:
    """A pull file read back: its header, its responses in order, and the builders
    parsers use to emit rows with lineage (file, line, field)."""

    def __init__(self, raw: RawFile, ctx: FileContext, platform: str):
        self.raw, self.ctx, self.platform = raw, ctx, platform
        rows = raw.first_sheet().rows
        self.head: dict[str, Any] = rows[0][1][0]
        rel = raw.relative_path
        if self.head.get("office_code") != ctx.office_code:
            raise ParseError(
                f"{rel}: a {platform} pull for office {self.head.get('office_code')!r} lies in the folder of "
                f"office {ctx.office_code}; pull files are written by medsos and must not be moved"
            )
        self.responses: list[ApiResponse] = []
        self.notes: list[tuple[int, str]] = []
        ended = False
        for line, cells in rows[1:]:
            obj = cells[0]
            kind = obj.get("record") if isinstance(obj, dict) else None
            if kind == "response":
                try:
                    fetched = parse_utc(obj.get("fetched_at"), "fetched_at")
                except ValueError as exc:
                    raise ParseError(f"{rel}, row {line}, column 'fetched_at': {exc}") from exc
                body = obj.get("body")
                if not isinstance(body, dict):
                    raise ParseError(
                        f"{rel}, row {line}, column 'body': the response is not a JSON object"
                    )
                self.responses.append(
                    ApiResponse(line, str(obj.get("endpoint")), fetched, obj.get("for"), body)
                )
            elif kind == "note":
                self.notes.append((line, str(obj.get("message"))))
            elif kind == "end":
                ended = True
            else:
                raise ParseError(
                    f"{rel}, row {line}, column 'record': not a pull record ({kind!r})"
                )
        if not ended:
            raise ParseError(
                f"{rel}: the pull did not finish (no end record); it is not a complete week"
            )
        self.records: list[dict[str, Any]] = []
        self.daily: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.account_id: str | None = self.head.get("account_id")
        self.handle: str | None = self.head.get("account_handle")

    def of(self, endpoint: str) -> list[ApiResponse]:
        return [r for r in self.responses if r.endpoint == endpoint]

    def latest_for(self, endpoint: str) -> dict[str, ApiResponse]:
        """The last response per post of a per-post endpoint (insights)."""
        return {str(r.for_post): r for r in self.of(endpoint) if r.for_post is not None}

    def listed(self, endpoint: str, path: str = "data", key=lambda item: str(item.get("id") or "")):
        """``(response, field, item)`` for every item of the list at ``path`` (``data``,
        ``data.videos``, ``items``) of each ``endpoint`` response, in order. An item whose
        ``key`` (its id) came earlier is passed over: pages can overlap when a post is
        published during the pull. An item that is not a JSON object is rejected with its
        field rather than skipped."""
        seen: set[str] = set()
        for resp in self.of(endpoint):
            node: Any = resp.body
            for name in path.split("."):
                node = node.get(name) if isinstance(node, dict) else None
            for i, item in enumerate(node if isinstance(node, list) else []):
                where = f"{path}[{i}]"
                if not isinstance(item, dict):
                    self.reject(resp, where, item, "not a JSON object")
                    continue
                ident = key(item)
                if ident and ident in seen:
                    continue
                seen.add(ident)
                yield resp, where, item

    def window(self) -> tuple[datetime, datetime]:
        """The publish window the pull asked for (UTC), from its header record."""
        return parse_utc(self.head.get("window_start"), "window_start"), parse_utc(
            self.head.get("window_end"), "window_end"
        )

    def followers(self, resp: ApiResponse, value: Any, field_name: str, definition: str) -> None:
        """The account's follower count from one response; a bad one is rejected by field."""
        try:
            self.day(resp, followers=api_count(value, field_name), definition=definition)
        except ValueError as exc:
            self.reject(resp, field_name, value, str(exc))

    def _lineage(self, resp: ApiResponse, snapshot_at: datetime | None = None) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "office_code": self.ctx.office_code,
            "snapshot_at": snapshot_at or resp.fetched_at,
            "source_file": self.raw.relative_path,
            "source_sheet": "jsonl",
            "source_row": resp.line,
        }

    def post(
        self,
        resp: ApiResponse,
        *,
        post_id: str,
        published_at: datetime,
        post_type: str,
        snapshot_at: datetime | None = None,
        **values: Any,
    ) -> None:
        self.records.append(
            self._lineage(resp, snapshot_at)
            | {
                "account_handle": self.handle,
                "account_id": self.account_id,
                "post_id": post_id,
                "published_at": published_at,
                "published_local": to_local(published_at, self.ctx.tz),
                "publish_time_precision": "second",
                "post_type": post_type,
                **values,
            }
        )

    def day(self, resp: ApiResponse, *, followers: int | None, definition: str) -> None:
        """The account's follower count as the API gave it: a figure for the office's
        local day of the fetch."""
        local_day = to_local(resp.fetched_at, self.ctx.tz).date()
        self.daily.append(
            self._lineage(resp)
            | {
                "account_handle": self.handle,
                "metric_date": datetime.combine(local_day, time()),
                "followers": followers,
                "followers_gained": None,
                "followers_lost": None,
                "metric_definition": definition,
            }
        )

    def reject(
        self,
        resp: ApiResponse,
        field_name: str,
        value: Any,
        message: str,
        post_id: str | None = None,
    ) -> None:
        self.rejected.append(
            {
                "source_row": resp.line,
                "source_sheet": "jsonl",
                "column": field_name,
                "value": value
                if value is None or isinstance(value, (str, int, float))
                else str(value)[:200],
                "message": message,
                "post_id": post_id,
            }
        )


def insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """``{metric name: lifetime value}`` of a Graph API insights response."""
    out: dict[str, Any] = {}
    for entry in body.get("data") or []:
        if isinstance(entry, dict) and entry.get("name") and entry.get("values"):
            value = entry["values"][-1]
            out[str(entry["name"])] = value.get("value") if isinstance(value, dict) else None
    return out


def api_id_check(text: str | None, value: Any, name: str, what: str) -> str:
    """``text`` (the id as a post is keyed) when it is a run of digits, as every platform's
    ids are; else a CellError naming the JSON field and the ``value`` the API sent."""
    if not text or not text.isdigit():
        raise CellError(name, value, f"not {what}")
    return text


def api_field(convert, value: Any, name: str):
    """``convert(value, name)``, failing as a CellError naming the JSON field."""
    try:
        return convert(value, name)
    except ValueError as exc:
        raise CellError(name, value, str(exc)) from exc
