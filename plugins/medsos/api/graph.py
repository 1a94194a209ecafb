"""What Facebook and Instagram share: the Graph API's paging and its insights metrics.

Meta retires insights metrics in waves (Instagram ``impressions`` 2025-04-21, Facebook
``post_impressions`` 2025-11-15, ``post_impressions_unique`` 2026-06-15) and one retired
metric fails the whole insights call with error #100. So the metrics asked for are a
list that shrinks. When a call fails with #100 and the message names the metric
("the impressions metric is no longer supported"), that metric is dropped for the rest
of the run. When it names none ("The value must be a valid insights metric"), each
metric is tried alone for that post; the ones that fail are left out of that post's
request, and dropped for every office only once they have failed on a second post: a
metric one kind of post lacks must not cost every other post its numbers. Every pull
file of the run notes what was dropped, and the post's other metrics still come back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from medsos.api.client import ApiError, QuotaExhausted, RetiredMetric, TokenRejected
from medsos.api.record import PageGuard, Recorder

DEFAULT_VERSION = "v24.0"
INSIGHTS_UNAVAILABLE_CODES = {10, 100}  # too few viewers; metric not offered for this media type
CONFIRMING_POSTS = 2  # posts a metric must fail on, alone, before it is dropped for all


@dataclass
class MetricList:
    """The insights metrics still asked for; shared by the offices of one platform."""

    metrics: list[str]
    retired: dict[str, str] = field(default_factory=dict)  # metric -> the API's message
    failed_on: dict[str, set[str]] = field(
        default_factory=dict
    )  # metric -> posts it failed on alone
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_extra(cls, extra: dict, default: list[str]) -> MetricList:
        """The connection's ``metrics`` extra (a list of metric names), or ``default``."""
        given = extra.get("metrics")
        if given is None or given == []:
            return cls(list(default))
        if not isinstance(given, list) or not all(isinstance(m, str) and m.strip() for m in given):
            raise ValueError(
                f"the connection's 'metrics' extra must be a list of metric names, "
                f"like {default!r}; it is {given!r}"
            )
        return cls([m.strip() for m in given])

    def current(self) -> list[str]:
        with self.lock:
            return [m for m in self.metrics if m not in self.retired]

    def retire(self, metric: str, message: str) -> bool:
        """Drop ``metric`` for the rest of the run; False when it already was."""
        with self.lock:
            if metric in self.retired:
                return False
            self.retired[metric] = message
            return True

    def failed_alone(self, metric: str, post_id: str, message: str) -> bool:
        """Count a post on which ``metric`` failed by itself; retires it (and returns
        True) when that makes ``CONFIRMING_POSTS`` posts."""
        with self.lock:
            posts = self.failed_on.setdefault(metric, set())
            posts.add(post_id)
            confirmed = len(posts) >= CONFIRMING_POSTS
        return confirmed and self.retire(metric, message)


def graph_time(text: str) -> datetime:
    """``2026-06-03T02:15:10+0000`` (Graph API timestamps are UTC)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def paged(
    rec: Recorder,
    endpoint: str,
    path: str,
    params: dict,
    *,
    stop_before: datetime | None = None,
    time_field: str = "created_time",
) -> list[dict]:
    """Every item of a Graph edge, following ``paging.next`` until it is absent (an
    empty page may still have one). With ``stop_before``, paging stops after a page whose
    items are all older: edges without a time filter list newest first."""
    items: list[dict] = []
    url = path
    query: dict | None = dict(params)  # the next page's URL carries its own
    guard = PageGuard(endpoint)
    while True:
        payload = rec.fetch(endpoint, url, query)
        page = [d for d in payload.get("data", []) if isinstance(d, dict)]
        items.extend(page)
        following = (payload.get("paging") or {}).get("next")
        if not following:
            return items
        if (
            stop_before is not None
            and page
            and all(d.get(time_field) and graph_time(d[time_field]) < stop_before for d in page)
        ):
            return items
        guard.next(following)
        url, query = following, None


def _named(message: str, metrics: list[str]) -> list[str]:
    lowered = message.lower()
    return [
        m
        for m in metrics
        if f" {m} " in f" {lowered.replace(',', ' ').replace('(', ' ').replace(')', ' ')} "
    ]


def insights(
    rec: Recorder, path: str, metrics: MetricList, post_id: str, endpoint: str = "post_insights"
) -> None:
    """Record a post's insights, leaving out metrics that fail and dropping retired ones."""
    left_out: set[str] = set()  # failed alone on this post
    for _ in range(len(metrics.metrics) + 1):
        wanted = [m for m in metrics.current() if m not in left_out]
        if not wanted:
            rec.note(f"no insights for {post_id}: every metric asked for is retired or refused")
            return
        try:
            rec.fetch(endpoint, path, {"metric": ",".join(wanted)}, for_post=post_id)
            return
        except RetiredMetric as exc:
            named = _named(str(exc), wanted)
            for metric in named:
                if metrics.retire(metric, str(exc)):
                    rec.note(
                        f"metric '{metric}' is retired by the platform ({exc}); dropped from the request "
                        "for every office"
                    )
            if named:
                continue
            culprits = _vet(rec, path, wanted)
            if not culprits:
                rec.note(
                    f"insights of {post_id} refused with error #100 but no metric failed alone: {exc}"
                )
                return
            for metric in culprits:
                left_out.add(metric)
                if metrics.failed_alone(metric, post_id, str(exc)):
                    rec.note(
                        f"metric '{metric}' is retired by the platform ({exc}; failed alone on "
                        f"{CONFIRMING_POSTS} posts); dropped from the request for every office"
                    )
                else:
                    rec.note(
                        f"metric '{metric}' refused with error #100 for {post_id} ({exc}); left out for "
                        "this post"
                    )
        except ApiError as exc:
            if exc.code in INSIGHTS_UNAVAILABLE_CODES:
                rec.note(f"no insights for {post_id}: {exc}")
                return
            raise
    rec.note(f"insights of {post_id} kept failing with retired metrics; left out")


def _vet(rec: Recorder, path: str, wanted: list[str]) -> list[str]:
    """Ask for each metric alone; the ones that fail with #100 are the culprits. A
    refused token or a used-up quota stops the pull as anywhere else."""
    failing = []
    for metric in wanted:
        try:
            rec.client.request("GET", path, params={"metric": metric})
        except RetiredMetric:
            failing.append(metric)
        except (TokenRejected, QuotaExhausted):
            raise
        except ApiError:
            continue
    return failing
