"""What Facebook and Instagram share: the Graph API's paging and its insights metrics.

Meta retires insights metrics in waves (Instagram ``impressions`` 2025-04-21, Facebook
``post_impressions`` 2025-11-15, ``post_impressions_unique`` 2026-06-15) and one retired
metric fails the whole insights call with error #100. So the metrics asked for are a
list that shrinks: when a call fails with #100, the metric the message names (or, when
it names none, each metric tried alone) is dropped for the rest of the run and the drop
is written into the pull file as a note, and the post's other metrics still come back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from medsos.api.client import ApiError, RetiredMetric
from medsos.api.record import Recorder

DEFAULT_VERSION = "v24.0"
INSIGHTS_UNAVAILABLE_CODES = {10, 100}  # too few viewers; metric not offered for this media type


@dataclass
class MetricList:
    """The insights metrics still asked for; shared by the offices of one platform."""

    metrics: list[str]
    retired: dict[str, str] = field(default_factory=dict)  # metric -> the API's message
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def current(self) -> list[str]:
        with self.lock:
            return [m for m in self.metrics if m not in self.retired]

    def retire(self, metric: str, message: str) -> bool:
        with self.lock:
            if metric in self.retired:
                return False
            self.retired[metric] = message
            return True


def graph_time(text: str) -> datetime:
    """``2026-06-03T02:15:10+0000`` (Graph API timestamps are UTC)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def paged(rec: Recorder, endpoint: str, path: str, params: dict, *, stop_before: datetime | None = None,
          time_field: str = "created_time") -> list[dict]:
    """Every item of a Graph edge, following ``paging.next`` until it is absent (an
    empty page may still have one). With ``stop_before``, paging stops after a page whose
    items are all older: edges without a time filter list newest first."""
    items: list[dict] = []
    url, query = path, dict(params)
    while True:
        payload = rec.fetch(endpoint, url, query)
        page = [d for d in payload.get("data", []) if isinstance(d, dict)]
        items.extend(page)
        following = (payload.get("paging") or {}).get("next")
        if not following:
            return items
        if stop_before is not None and page and all(
            d.get(time_field) and graph_time(d[time_field]) < stop_before for d in page
        ):
            return items
        url, query = following, None


def _named(message: str, metrics: list[str]) -> list[str]:
    lowered = message.lower()
    return [m for m in metrics if f" {m} " in f" {lowered.replace(',', ' ').replace('(', ' ').replace(')', ' ')} "]


def insights(rec: Recorder, path: str, metrics: MetricList, post_id: str, endpoint: str = "post_insights") -> None:
    """Record a post's insights, dropping retired metrics on the way."""
    for _ in range(len(metrics.metrics) + 1):
        wanted = metrics.current()
        if not wanted:
            rec.note(f"no insights for {post_id}: every metric asked for is retired")
            return
        try:
            rec.fetch(endpoint, path, {"metric": ",".join(wanted)}, for_post=post_id)
            return
        except RetiredMetric as exc:
            culprits = _named(str(exc), wanted) or _vet(rec, path, wanted, post_id, endpoint)
            if not culprits:
                rec.note(f"insights of {post_id} refused with error #100 but no metric failed alone: {exc}")
                return
            for metric in culprits:
                if metrics.retire(metric, str(exc)):
                    rec.note(f"metric '{metric}' is retired by the platform ({exc}); dropped from the request")
        except ApiError as exc:
            if exc.code in INSIGHTS_UNAVAILABLE_CODES:
                rec.note(f"no insights for {post_id}: {exc}")
                return
            raise
    rec.note(f"insights of {post_id} kept failing with retired metrics; left out")


def _vet(rec: Recorder, path: str, wanted: list[str], post_id: str, endpoint: str) -> list[str]:
    """Ask for each metric alone; the ones that fail with #100 are the retired ones."""
    failing = []
    for metric in wanted:
        try:
            rec.client.request("GET", path, params={"metric": metric})
        except RetiredMetric:
            failing.append(metric)
        except ApiError:
            continue
    return failing
