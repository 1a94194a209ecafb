"""Platform credentials, from Airflow connections only.

One connection per platform, ``medsos_<platform>`` (``medsos_facebook``,
``medsos_instagram``, ``medsos_youtube``, ``medsos_x``), and where an office has its own
token (Facebook/Instagram page tokens) one per office, ``medsos_<platform>_<office code
with _ for .>`` (``medsos_facebook_35_06``), which wins over the platform's. TikTok has
only per-office connections (``medsos_tiktok_35_06``): its token is a user's and reads
only that user's videos, so a platform-wide TikTok token would pull one account under
every office's name. The token is the connection's **password**; spaces and line
breaks around it (a careless paste) are removed, and one with a control character
inside is refused. Optional extras:

====================  ==========================================================
``base_url``          the API's address (tests point it at a loopback server)
``api_version``       Graph API version, default ``v24.0``
``attempts``          tries per request, default 5
``backoff_seconds``   first wait after a 5xx or timeout, default 2 (doubles)
``max_wait_seconds``  longest wait for a rate limit, default 900
``timeout_seconds``   per request, default 30
``throttle_wait_seconds``  least wait for a Graph throttle that names no time, default 60
``concurrency``       offices pulled at once for this platform, default 4
``metrics``           insights metrics to ask for (Facebook, Instagram)
====================  ==========================================================

Set them like any Airflow connection: ``AIRFLOW_CONN_MEDSOS_FACEBOOK='{"conn_type":
"http", "password": "<token>"}'``, the UI, or a secrets backend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from medsos.api.client import ApiClient, RateGate, RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_BASE_URLS = {
    "facebook": "https://graph.facebook.com",
    "instagram": "https://graph.facebook.com",
    "youtube": "https://www.googleapis.com",
    "tiktok": "https://open.tiktokapis.com",
    "x": "https://api.x.com",
}
AUTH = {"youtube": "api_key"}
PER_USER_TOKEN = {"tiktok"}  # a token reads only its owner's account: no platform-wide fallback


class MissingCredentials(LookupError):
    """No connection holds a token for this office and platform."""


@dataclass(frozen=True)
class Credentials:
    conn_id: str
    base_url: str
    token: str = field(repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, platform: str, gate: RateGate | None = None) -> ApiClient:
        e = self.extra
        policy = RetryPolicy(
            attempts=int(e.get("attempts", 5)),
            backoff_seconds=float(e.get("backoff_seconds", 2.0)),
            max_wait_seconds=float(e.get("max_wait_seconds", 900.0)),
            timeout_seconds=float(e.get("timeout_seconds", 30.0)),
            throttle_wait_seconds=float(e.get("throttle_wait_seconds", 60.0)),
        )
        return ApiClient(
            platform,
            self.base_url,
            self.token,
            auth=AUTH.get(platform, "bearer"),
            policy=policy,
            gate=gate or RateGate(),
        )


def connection_ids(platform: str, office_code: str) -> list[str]:
    """The connections tried for an office's account, most specific first."""
    own = f"medsos_{platform}_{office_code.replace('.', '_')}"
    return [own] if platform in PER_USER_TOKEN else [own, f"medsos_{platform}"]


def _get(conn_id: str):
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - "not defined" comes as several exception types
        return None


def credentials_for(platform: str, office_code: str) -> Credentials:
    for conn_id in connection_ids(platform, office_code):
        conn = _get(conn_id)
        token = (conn.password or "").strip() if conn is not None else ""
        if not token:
            continue
        if any(ord(c) < 32 or ord(c) == 127 for c in token):
            raise MissingCredentials(
                f"the token in connection {conn_id} has a line break or control character "
                "inside; paste it again as one line"
            )
        extra = conn.extra_dejson or {}
        base_url = extra.get("base_url") or DEFAULT_BASE_URLS[platform]
        return Credentials(conn_id, str(base_url), token, extra)
    tried = " or ".join(connection_ids(platform, office_code))
    raise MissingCredentials(
        f"no token: define the Airflow connection {tried} (token as its password)"
    )


def platform_extra(platform: str) -> dict[str, Any]:
    """The platform connection's extras (concurrency, metrics), empty when undefined."""
    conn = _get(f"medsos_{platform}")
    return (conn.extra_dejson or {}) if conn is not None else {}
