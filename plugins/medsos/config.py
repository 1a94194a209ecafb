"""Where medsos reads and writes, and the evaluation thresholds.

Paths come from command-line flags first, then environment variables, then defaults
under ``data/`` in the project folder (git-ignored):

=====================  ===================================  ==============================
variable               default                              what
=====================  ===================================  ==============================
MEDSOS_DATA_DIR        ``<project>/data``                   base for the defaults below
MEDSOS_LANDING         ``$MEDSOS_DATA_DIR/landing``         exports as offices drop them
MEDSOS_WAREHOUSE       ``$MEDSOS_DATA_DIR/medsos.duckdb``   the DuckDB file (one writer)
MEDSOS_PUBLISHED       ``$MEDSOS_DATA_DIR/published/medsos.duckdb``  read-only copy for staff
MEDSOS_OUTBOX          ``$MEDSOS_DATA_DIR/outbox``          rendered emails (.eml)
MEDSOS_WORK            ``$MEDSOS_DATA_DIR/work``            parsed batches between tasks
MEDSOS_GX_DIR          ``$MEDSOS_DATA_DIR/gx``              GX results and Data Docs site
MEDSOS_ACCOUNTS        packaged Jawa Timur sample           account registry CSV
MEDSOS_RECIPIENTS      packaged sample                      who receives which summary
MEDSOS_EVALUATION      packaged ``evaluation.toml``         thresholds and content lexicon
MEDSOS_DEPLOYMENT      (unset)                              ``production``: no sample fall-back
MEDSOS_MAX_EXPORT_MB   100                                  largest export read or uploaded
=====================  ===================================  ==============================

The web portal (``medsos portal``) reads its own settings, see ``PortalSettings``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def project_dir() -> Path:
    """The checkout (or image folder) holding ``sql/`` and ``expectations/``."""
    env = os.environ.get("MEDSOS_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parents[1]


def sql_dir() -> Path:
    return project_dir() / "sql"


def expectations_dir() -> Path:
    return project_dir() / "expectations"


def production_settings_missing(overrides: dict[str, Any] | None = None) -> list[str]:
    """In a production deployment (``MEDSOS_DEPLOYMENT=production``), each file setting
    that must name the office's own file and does not; nothing elsewhere."""
    if (os.environ.get("MEDSOS_DEPLOYMENT") or "").strip().lower() != "production":
        return []
    given = overrides or {}
    return [
        f"{name} is not set: a production deployment (MEDSOS_DEPLOYMENT=production) reads the {what} "
        "from its configuration folder and never falls back to the Jawa Timur sample"
        for name, key, what in (
            ("MEDSOS_ACCOUNTS", "accounts", "account registry"),
            ("MEDSOS_RECIPIENTS", "recipients", "recipients"),
        )
        if not (os.environ.get(name) or "").strip() and given.get(key) is None
    ]


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    published: Path
    outbox: Path
    work: Path
    gx_dir: Path
    accounts: Path
    recipients: Path
    evaluation: Path

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment; keyword overrides (e.g. CLI flags) win when not None.

        A production deployment (``MEDSOS_DEPLOYMENT=production``) must name its account
        registry and recipients: a ValueError names each setting that is missing, instead
        of a quiet fall-back to the packaged samples.
        """
        env = os.environ
        missing = production_settings_missing(overrides)
        if missing:
            raise ValueError("; ".join(missing))
        data = Path(env.get("MEDSOS_DATA_DIR") or project_dir() / "data")
        s = cls(
            landing=Path(env.get("MEDSOS_LANDING") or data / "landing"),
            warehouse=Path(env.get("MEDSOS_WAREHOUSE") or data / "medsos.duckdb"),
            published=Path(env.get("MEDSOS_PUBLISHED") or data / "published" / "medsos.duckdb"),
            outbox=Path(env.get("MEDSOS_OUTBOX") or data / "outbox"),
            work=Path(env.get("MEDSOS_WORK") or data / "work"),
            gx_dir=Path(env.get("MEDSOS_GX_DIR") or data / "gx"),
            accounts=Path(
                env.get("MEDSOS_ACCOUNTS") or PACKAGE_DIR / "data" / "accounts_jatim_sample.csv"
            ),
            recipients=Path(
                env.get("MEDSOS_RECIPIENTS") or PACKAGE_DIR / "data" / "recipients_sample.csv"
            ),
            evaluation=Path(env.get("MEDSOS_EVALUATION") or PACKAGE_DIR / "evaluation.toml"),
        )
        given = {k: Path(v) for k, v in overrides.items() if v is not None}
        return replace(s, **given) if given else s

    def as_env(self) -> dict[str, str]:
        """These settings as the MEDSOS_* variables, for DAG tasks run by another process."""
        return {
            "MEDSOS_LANDING": str(self.landing),
            "MEDSOS_WAREHOUSE": str(self.warehouse),
            "MEDSOS_PUBLISHED": str(self.published),
            "MEDSOS_OUTBOX": str(self.outbox),
            "MEDSOS_WORK": str(self.work),
            "MEDSOS_GX_DIR": str(self.gx_dir),
            "MEDSOS_ACCOUNTS": str(self.accounts),
            "MEDSOS_RECIPIENTS": str(self.recipients),
            "MEDSOS_EVALUATION": str(self.evaluation),
        }


@dataclass(frozen=True)
class Evaluation:
    """Thresholds and lexicon from ``evaluation.toml`` (documented in that file)."""

    min_posts_per_week: int
    overposting_posts_per_day: int
    overtagged_hashtags_per_post: int
    category_priority: tuple[str, ...]
    lexicon: dict[str, tuple[str, ...]] = field(default_factory=dict)
    body_names: tuple[str, ...] = ()  # names of election bodies, which count for no category
    title_weight: float = 3.0  # a keyword in the title / opening sentence counts this much
    hashtag_weight: float = 0.5  # ... and this much when it is only in a hashtag
    lead_weight: float = 5.0  # ... and this much when it is the title's first keyword
    handle_patterns: dict[str, str] = field(default_factory=dict)  # province code -> handle regex
    campaign_hashtags: tuple[str, ...] = ()  # official campaign tags, casefolded, without '#'

    @classmethod
    def load(cls, path: Path) -> Evaluation:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read evaluation settings: {exc}") from exc
        try:
            t = raw["thresholds"]
            lex = raw["content_categories"]
            ev = cls(
                min_posts_per_week=int(t["min_posts_per_week"]),
                overposting_posts_per_day=int(t["overposting_posts_per_day"]),
                overtagged_hashtags_per_post=int(t["overtagged_hashtags_per_post"]),
                category_priority=tuple(lex["priority"]),
                lexicon={k: tuple(v) for k, v in lex["keywords"].items()},
                body_names=tuple(lex.get("body_names", ())),
                title_weight=float(lex.get("title_weight", 3.0)),
                hashtag_weight=float(lex.get("hashtag_weight", 0.5)),
                lead_weight=float(lex.get("lead_weight", 5.0)),
                handle_patterns={
                    str(k): v for k, v in raw.get("accounts", {}).get("handle_patterns", {}).items()
                },
                campaign_hashtags=tuple(
                    str(h).lstrip("#").casefold()
                    for h in raw.get("hashtags", {}).get("campaign", ())
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: missing or invalid setting {exc}") from exc
        unknown = set(ev.lexicon) - set(ev.category_priority)
        if unknown:
            raise ValueError(f"{path}: categories {sorted(unknown)} are not listed in priority")
        known = {"informasi_pemilu", "edukasi", "kegiatan", "lainnya"}
        if set(ev.category_priority) - known:
            raise ValueError(
                f"{path}: content_categories.priority may list only {sorted(known)}, "
                f"not {sorted(set(ev.category_priority) - known)}"
            )
        words = [("body_names", w) for w in ev.body_names] + [
            (c, w) for c, ws in ev.lexicon.items() for w in ws
        ]
        for where, word in words:
            if not isinstance(word, str) or not word.strip("= "):
                raise ValueError(f"{path}: content_categories {where}: {word!r} is not a keyword")
        if min(ev.title_weight, ev.lead_weight) <= 0 or ev.hashtag_weight < 0:
            raise ValueError(
                f"{path}: title_weight and lead_weight must be positive, hashtag_weight not negative"
            )
        for code, pattern in ev.handle_patterns.items():
            if not re.fullmatch(r"\d{2}", code):
                raise ValueError(
                    f"{path}: accounts.handle_patterns: {code!r} is not a province code (two digits)"
                )
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise ValueError(
                    f"{path}: accounts.handle_patterns.{code}: {pattern!r} is not a regular "
                    f"expression ({exc})"
                ) from exc
        for tag in ev.campaign_hashtags:
            if not re.fullmatch(r"[^\W_][\w]*", tag):
                raise ValueError(
                    f"{path}: hashtags.campaign: {tag!r} is not a hashtag (letters and digits)"
                )
        if (
            min(
                ev.min_posts_per_week, ev.overposting_posts_per_day, ev.overtagged_hashtags_per_post
            )
            < 0
        ):
            raise ValueError(f"{path}: thresholds must not be negative")
        return ev


def max_export_mb() -> float:
    """``$MEDSOS_MAX_EXPORT_MB`` (default 100): the largest export file medsos reads, and
    the largest the portal accepts. Real exports of one office and week are a few MB."""
    text = (os.environ.get("MEDSOS_MAX_EXPORT_MB") or "100").strip()
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ValueError(
            f"MEDSOS_MAX_EXPORT_MB must be a positive number of megabytes, not {text!r}"
        )
    return value


@dataclass(frozen=True)
class PortalSettings:
    """The web portal's settings (``medsos portal``), from the environment:

    ==============================  ==================================  =========================
    variable                        default                             what
    ==============================  ==================================  =========================
    MEDSOS_PORTAL_USERS             ``$MEDSOS_CONFIG_DIR/portal_users.csv``, else
                                    ``$MEDSOS_DATA_DIR/portal_users.csv``   who may sign in
    MEDSOS_CONFIG_DIR               (unset)                             the configuration folder
    MEDSOS_PORTAL_DATA              ``$MEDSOS_DATA_DIR/portal``         audit log, upload verdicts
    MEDSOS_PORTAL_SECRET            (required)                          signs the session cookies
    MEDSOS_PORTAL_HOST / _PORT      127.0.0.1 / 8090                    where it listens
    MEDSOS_PORTAL_SESSION_HOURS     8                                   a sign-in lasts this long
    MEDSOS_PORTAL_SECURE_COOKIE     false                               cookies only over HTTPS
    MEDSOS_PORTAL_ZIP_MEMBERS       200                                 files in one uploaded ZIP
    MEDSOS_PORTAL_ZIP_TOTAL_MB      4 x MEDSOS_MAX_EXPORT_MB            a ZIP's unpacked size
    MEDSOS_PORTAL_FILES_PER_UPLOAD  20                                  files in one upload
    ==============================  ==================================  =========================
    """

    users: Path
    data: Path
    secret: str
    host: str = "127.0.0.1"
    port: int = 8090
    session_hours: float = 8.0
    secure_cookie: bool = False
    max_export_mb: float = 100.0
    zip_members: int = 200
    zip_total_mb: float = 400.0
    files_per_upload: int = 20

    @classmethod
    def from_env(cls, **overrides: Any) -> PortalSettings:
        env = os.environ
        data = Path(env.get("MEDSOS_DATA_DIR") or project_dir() / "data")
        config = env.get("MEDSOS_CONFIG_DIR")
        users = env.get("MEDSOS_PORTAL_USERS") or (
            Path(config) / "portal_users.csv" if config else data / "portal_users.csv"
        )
        export_mb = max_export_mb()

        def number(name: str, default: float, kind=float):
            text = (env.get(name) or "").strip()
            if not text:
                return kind(default)
            try:
                value = kind(text)
            except ValueError:
                value = -1
            if value <= 0:
                raise ValueError(f"{name} must be a positive number, not {text!r}")
            return value

        s = cls(
            users=Path(users),
            data=Path(env.get("MEDSOS_PORTAL_DATA") or data / "portal"),
            secret=env.get("MEDSOS_PORTAL_SECRET") or "",
            host=env.get("MEDSOS_PORTAL_HOST") or "127.0.0.1",
            port=number("MEDSOS_PORTAL_PORT", 8090, int),
            session_hours=number("MEDSOS_PORTAL_SESSION_HOURS", 8.0),
            secure_cookie=(env.get("MEDSOS_PORTAL_SECURE_COOKIE") or "").strip().lower()
            in ("1", "true", "yes"),
            max_export_mb=export_mb,
            zip_members=number("MEDSOS_PORTAL_ZIP_MEMBERS", 200, int),
            zip_total_mb=number("MEDSOS_PORTAL_ZIP_TOTAL_MB", 4 * export_mb),
            files_per_upload=number("MEDSOS_PORTAL_FILES_PER_UPLOAD", 20, int),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(s, **given) if given else s
