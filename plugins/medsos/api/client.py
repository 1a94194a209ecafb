"""One HTTP client for every platform API: credentials, retries, rate limits, errors.

What it guarantees, whichever platform is on the other end:

- **The token never leaves the request.** It travels in a header (``Authorization`` or
  ``X-Goog-Api-Key``), never in a URL, so nothing that logs URLs (urllib3, tracebacks)
  sees it; ``access_token`` parameters a server puts into its ``next`` links are removed
  before the link is followed or stored; every message this module raises or logs is
  scrubbed of the token, and the client's ``repr`` hides it.
- **Transient failures are retried with backoff**: HTTP 5xx, timeouts, dropped
  connections, a body cut off half-way or that is not JSON, YouTube
  ``rateLimitExceeded``. A request that cannot be sent at all (a malformed header or
  URL) fails at once with a fixed message: ``requests`` quotes the header in such
  errors, and the header holds the token.
- **Rate limits are waited out, not hammered**: HTTP 429 waits until
  ``x-rate-limit-reset`` (X) or ``Retry-After``; Graph API throttles (codes 4, 17, 32,
  613, 80001) wait for ``estimated_time_to_regain_access`` when the usage header gives
  it and at least ``throttle_wait_seconds`` (default 60) when it does not. A limit is
  the app's, not the office's, so the wait holds every office of the platform
  (``RateGate``), not only the one that met it.
- **Links stay on the platform**: a ``next`` link to another host is refused, so the
  token is never sent anywhere but the API's own address.
- **Permanent failures are named**: a refused token (HTTP 401, Graph code 190, TikTok
  ``access_token_invalid``) raises ``TokenRejected``; YouTube's used-up daily quota raises
  ``QuotaExhausted``; a retired Graph metric (#100) raises ``RetiredMetric`` so the caller
  can drop it from the request; anything else raises ``ApiError``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

log = logging.getLogger(__name__)

GRAPH_THROTTLE_CODES = {4, 17, 32, 613, 80001}
GRAPH_TOKEN_CODE = 190
TIKTOK_TOKEN_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}
YOUTUBE_TRANSIENT = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
SECRET_PARAMS = {"access_token", "key", "client_secret", "refresh_token"}
URL = re.compile(r"https?://[^\s\"'<>]+")
SECRET_VALUE = re.compile(r"([?&](?:access_token|key|client_secret|refresh_token)=)[^&#\\]+")
RETIRED_METRIC = re.compile(r"valid insights metric|no longer supported|has been deprecated", re.I)


class ApiError(RuntimeError):
    """A request that failed for good (after retries where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None, code: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TokenRejected(ApiError):
    """The platform refused the token: expired, revoked or lacking a permission."""


class QuotaExhausted(ApiError):
    """A daily quota is used up (YouTube): nothing more can be fetched today."""


class RetiredMetric(ApiError):
    """Graph API error #100 on an insights request: a metric in it no longer exists."""


# a request that could not be sent: retrying cannot help, and the exception text may
# quote the Authorization header
NOT_SENDABLE = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.TooManyRedirects,
)


@dataclass
class RetryPolicy:
    attempts: int = 5  # tries per request, the first included
    backoff_seconds: float = 2.0  # first wait after a 5xx/timeout; doubles each time
    max_wait_seconds: float = 900.0  # longest single wait (X's window is 15 minutes)
    timeout_seconds: float = 30.0
    throttle_wait_seconds: float = 60.0  # least wait for a Graph throttle that names no time


class RateGate:
    """A pause shared by every office of one platform: a rate limit met by one office's
    request is the app's limit, so the other offices wait it out too instead of
    spending their own tries against it."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def wait(self) -> float:
        """Sleep until the pause is over; returns the seconds slept."""
        slept = 0.0
        while True:
            with self._lock:
                left = self._until - time.monotonic()
            if left <= 0:
                return slept
            time.sleep(left)
            slept += left


@dataclass
class ApiClient:
    """Requests to one platform for one office, with its token."""

    platform: str
    base_url: str
    token: str = field(repr=False)
    auth: str = "bearer"  # bearer | api_key (YouTube Data API key)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    gate: RateGate = field(default_factory=RateGate, repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    requests_made: int = 0
    waited_seconds: float = 0.0

    def __repr__(self) -> str:
        return f"ApiClient(platform={self.platform!r}, base_url={self.base_url!r}, token=***)"

    # ------------------------------------------------------------------ public

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path_or_url, params=params)

    def post(
        self, path_or_url: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        return self.request("POST", path_or_url, params=params, body=body)

    def scrub(self, text: str) -> str:
        """``text`` without the token, and its URLs without secret parameters (another
        app's token in a link); a caption that says ``key=...`` is left alone."""
        if self.token:
            text = text.replace(self.token, "***")
        return URL.sub(lambda m: SECRET_VALUE.sub(r"\1***", m.group()), text)

    def clean_url(self, url: str) -> str:
        """A URL without secret query parameters: safe to follow, log and store."""
        parts = urlsplit(url)
        query = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in SECRET_PARAMS
        ]
        return urlunsplit(
            (parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment)
        )

    def relative(self, url: str) -> str:
        """A URL as the path and query below the base URL (for the audit record)."""
        url = self.clean_url(url)
        base = self.base_url.rstrip("/")
        return url[len(base) :] if url.startswith(base) else url

    # ------------------------------------------------------------------ the loop

    def request(
        self, method: str, path_or_url: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> dict:
        url = (
            path_or_url
            if path_or_url.startswith(("http://", "https://"))
            else self.base_url.rstrip("/") + path_or_url
        )
        url = self.clean_url(url)
        if _origin(url) != _origin(self.base_url):
            raise ApiError(
                f"{self.platform}: refused to follow a link to {urlsplit(url).netloc}, which is not "
                f"the API's address {urlsplit(self.base_url).netloc}: the token goes nowhere else"
            )
        headers = {
            "Accept": "application/json",
            "User-Agent": "medsos (KPU social-media evaluation)",
        }
        if self.auth == "api_key":
            headers["X-Goog-Api-Key"] = self.token
        else:
            headers["Authorization"] = f"Bearer {self.token}"
        backoff = self.policy.backoff_seconds
        throttle = self.policy.throttle_wait_seconds  # doubles too, when Meta names no time
        last = "no attempt made"
        for attempt in range(1, self.policy.attempts + 1):
            self.waited_seconds += self.gate.wait()
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    timeout=self.policy.timeout_seconds,
                )
                payload = _json(response)  # reads the body: a cut-off body raises here
            except NOT_SENDABLE as exc:
                # the exception text can quote the header, so only its type is told
                raise ApiError(
                    f"{self.platform}: the request could not be sent ({type(exc).__name__}); check the "
                    "connection's base_url and that its token is one line without spaces"
                ) from None
            except requests.RequestException as exc:
                last = type(exc).__name__  # Timeout, ConnectionError, ChunkedEncodingError, ...
                wait = backoff
                backoff *= 2
            else:
                status = response.status_code
                if status < 400 and ("_not_json" in payload or "_not_an_object" in payload):
                    wait, last = backoff, f"HTTP {status} with a body that is not a JSON object"
                    backoff *= 2
                elif status < 400 and not _body_error(self.platform, payload):
                    return payload
                else:
                    wait, last = self._classify(
                        response, payload, backoff, throttle
                    )  # raises when permanent
                    backoff *= 2
                    if last.startswith("Graph API throttled"):
                        throttle *= 2
            if attempt == self.policy.attempts:
                break
            wait = min(max(wait, 0.0), self.policy.max_wait_seconds)
            log.warning(
                "%s: %s; waiting %.1f s before try %s of %s",
                self.platform,
                self.scrub(last),
                wait,
                attempt + 1,
                self.policy.attempts,
            )
            if last.startswith(("HTTP 429", "Graph API throttled")):
                self.gate.hold(wait)  # the app's limit: every office of the platform waits
            else:
                self.waited_seconds += wait
                time.sleep(wait)
        raise ApiError(
            self.scrub(f"{self.platform}: gave up after {self.policy.attempts} tries ({last})")
        )

    def _classify(
        self, response: requests.Response, payload: dict, backoff: float, throttle: float
    ) -> tuple[float, str]:
        """(seconds to wait before retrying, what happened); raises for permanent errors."""
        status = response.status_code
        error = payload.get("error") if isinstance(payload, dict) else None
        if self.platform in ("facebook", "instagram") and isinstance(error, dict):
            code = error.get("code")
            message = str(error.get("message", ""))
            if code == GRAPH_TOKEN_CODE:
                sub = error.get("error_subcode")
                raise TokenRejected(
                    self.scrub(f"Graph API error 190{f'/{sub}' if sub else ''}: {message}"),
                    status=status,
                    code=code,
                )
            if code in GRAPH_THROTTLE_CODES:
                wait = _graph_regain_seconds(response) or max(backoff, throttle)
                return wait, f"Graph API throttled (code {code}: {message})"
            if code == 100 and RETIRED_METRIC.search(message):
                raise RetiredMetric(
                    self.scrub(f"Graph API error #100: {message}"), status=status, code=code
                )
            if status >= 500 or error.get("is_transient"):
                return backoff, f"HTTP {status} (Graph code {code}: {message})"
            raise ApiError(
                self.scrub(f"Graph API error {code}: {message}"), status=status, code=code
            )
        if self.platform == "youtube" and isinstance(error, dict):
            reasons = {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}
            message = re.sub(r"<[^>]+>", "", str(error.get("message", "")))
            if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
                raise QuotaExhausted(
                    f"YouTube daily quota used up ({message}); it resets at midnight Pacific time",
                    status=status,
                    code="quotaExceeded",
                )
            if reasons & YOUTUBE_TRANSIENT or status >= 500:
                return backoff, f"HTTP {status} ({', '.join(sorted(r for r in reasons if r))})"
            if status == 401 or reasons & {"keyInvalid", "authError", "keyExpired"}:
                raise TokenRejected(
                    self.scrub(
                        f"HTTP {status} ({', '.join(sorted(r for r in reasons if r))}): {message}"
                    ),
                    status=status,
                )
            raise ApiError(self.scrub(f"HTTP {status}: {message}"), status=status)
        if (
            self.platform == "tiktok"
            and isinstance(error, dict)
            and error.get("code") in TIKTOK_TOKEN_CODES
        ):
            raise TokenRejected(
                self.scrub(f"TikTok error {error.get('code')}: {error.get('message', '')}"),
                status=status,
                code=error.get("code"),
            )
        if status == 401:
            raise TokenRejected(self.scrub(f"HTTP 401: {_detail(payload)}"), status=status)
        if status == 429:
            return _rate_limit_wait(
                response, backoff
            ), f"HTTP 429 rate limited ({_detail(payload)})"
        if status >= 500:
            return backoff, f"HTTP {status} ({_detail(payload)})"
        raise ApiError(self.scrub(f"HTTP {status}: {_detail(payload)}"), status=status)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"_not_json": response.text[:200]}
    return data if isinstance(data, dict) else {"_not_an_object": data}


def _body_error(platform: str, payload: dict) -> bool:
    """An error carried in a 200 response (TikTok always sends ``error``; ok is 'ok')."""
    error = payload.get("error")
    if platform == "tiktok":
        return isinstance(error, dict) and error.get("code") not in (None, "ok")
    return isinstance(error, dict)


def _detail(payload: dict) -> str:
    if not isinstance(payload, dict):
        return str(payload)[:200]
    error = payload.get("error")
    if isinstance(error, dict):
        return f"{error.get('code', '')} {error.get('message', '')}".strip()
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("detail") or errors[0])[:200]
    return str(payload.get("detail") or payload.get("title") or payload.get("_not_json") or "")[
        :200
    ]


def _rate_limit_wait(response: requests.Response, backoff: float) -> float:
    reset = response.headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(int(reset) - time.time(), 0.0) + 0.5  # the reset second itself must have passed
    after = response.headers.get("Retry-After")
    if after and after.strip().isdigit():
        return float(after)
    return backoff


def _graph_regain_seconds(response: requests.Response) -> float:
    """Minutes until access is regained, from Meta's usage header, in seconds (0: not given)."""
    header = response.headers.get("X-Business-Use-Case-Usage")
    if header:
        try:
            usage = json.loads(header)
            minutes = max(
                (
                    int(entry.get("estimated_time_to_regain_access") or 0)
                    for entries in usage.values()
                    for entry in entries
                ),
                default=0,
            )
            if minutes:
                return minutes * 60.0
        except (ValueError, AttributeError, TypeError):
            pass
    return 0.0
