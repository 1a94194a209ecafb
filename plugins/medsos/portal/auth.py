"""Sessions, CSRF tokens, sign-in limits, and who may see or write what.

A session is a cookie signed with ``MEDSOS_PORTAL_SECRET`` (itsdangerous) holding the
user name, the session's CSRF token and a tag of the password hash; it is HttpOnly,
SameSite=Lax, expires after ``MEDSOS_PORTAL_SESSION_HOURS`` (the signature carries the
time, so an old cookie is refused even if a browser keeps it) and ends when the password
is reset. Every form carries the session's CSRF token; the sign-in form carries one of
its own, from a short-lived signed cookie (double submit).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from medsos.portal.users import User, load_users
from medsos.registry import load_offices

SESSION_COOKIE = "medsos_sesi"
LOGIN_COOKIE = "medsos_masuk"
LOGIN_FORM_SECONDS = 3600

# after this many wrong passwords in the window, further attempts are refused (429)
MAX_FAILURES_PER_USER = 10
MAX_FAILURES_PER_ADDRESS = 30  # an office's staff may share one address behind NAT
FAILURE_WINDOW_SECONDS = 15 * 60


class Sessions:
    def __init__(self, secret: str, hours: float):
        if len(secret) < 32:
            raise ValueError(
                "MEDSOS_PORTAL_SECRET must be at least 32 characters; make one with "
                'python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        self._session = URLSafeTimedSerializer(secret, salt="medsos-portal-session")
        self._login = URLSafeTimedSerializer(secret, salt="medsos-portal-login")
        self.max_age = int(hours * 3600)

    def issue(self, user: User) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        return self._session.dumps({"u": user.name, "c": csrf, "t": user.session_tag}), csrf

    def read(self, cookie: str | None, users_path) -> tuple[User, str] | None:
        """(user, csrf) of a valid session cookie; None for no, forged, expired or stale."""
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict):
            return None
        user = load_users(users_path).get(str(data.get("u")))
        if user is None or not hmac.compare_digest(user.session_tag, str(data.get("t"))):
            return None  # removed, or the password was reset since
        return user, str(data.get("c"))

    def login_token(self) -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        return self._login.dumps(token), token

    def login_token_ok(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted:
            return False
        try:
            token = self._login.loads(cookie, max_age=LOGIN_FORM_SECONDS)
        except (BadSignature, SignatureExpired):
            return False
        return hmac.compare_digest(str(token), submitted)


def csrf_ok(expected: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(expected, str(submitted))


class SignInLimits:
    """Wrong passwords per user name and per address in a sliding window (in memory: one
    portal process; a restart forgets them)."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - FAILURE_WINDOW_SECONDS:
            q.popleft()
        return q

    def blocked(self, name: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (
                len(self._recent(("user", name), now)) >= MAX_FAILURES_PER_USER
                or len(self._recent(("address", address), now)) >= MAX_FAILURES_PER_ADDRESS
            )

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(("user", name), now).append(now)
            self._recent(("address", address), now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("user", name), None)


# --------------------------------------------------------------------------- access


def province_of(office_code: str) -> str | None:
    office = load_offices().get(office_code)
    return office.province_code if office else None


def may_read_office(user: User, office_code: str) -> bool:
    if user.role in ("national", "admin"):
        return True
    if user.role == "province":
        return province_of(office_code) == user.code
    return user.role == "office" and user.code == office_code


def may_upload(user: User, office_code: str) -> bool:
    """Only the office itself writes into its folder (and the administrator, for an
    office that cannot)."""
    return (user.role == "office" and user.code == office_code) or user.role == "admin"


def may_read_province(user: User, province_code: str) -> bool:
    if user.role in ("national", "admin"):
        return True
    return user.role == "province" and user.code == province_code


def home(user: User) -> str:
    if user.role == "office":
        return f"/kantor/{user.code}"
    if user.role == "province":
        return f"/provinsi/{user.code}"
    return "/nasional"
