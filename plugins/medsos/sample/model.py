"""What the sample generator decided, before any file is written.

The plan is the ground truth that tests compare the warehouse against: which posts
exist, when they were published (local wall-clock time of the office), and what each
weekly export said about them. Writers in this package turn plan rows into the
platforms' native export files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Metrics:
    """Numbers as an export shows them at one snapshot. None = the export has no such column."""

    views: int | None = None
    reach: int | None = None
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    watch_time_hours: float | None = None


@dataclass(frozen=True)
class SamplePost:
    office_code: str
    platform: str  # instagram | facebook | x | youtube | tiktok
    post_id: str  # as the platform writes it (text)
    published_local: datetime  # naive, office's local zone, whole minutes
    post_type: str  # normalised: image video carousel reel short story text live
    caption: str
    permalink: str
    category: str  # informasi_pemilu | edukasi | kegiatan (what the generator meant)
    hashtags: int
    duration_seconds: float | None = None


@dataclass(frozen=True)
class SampleAccount:
    office_code: str
    office_name: str
    platform: str
    handle: str
    account_id: str | None
    display_name: str


@dataclass(frozen=True)
class ExportRow:
    post: SamplePost
    metrics: Metrics


@dataclass(frozen=True)
class ExportRequest:
    """One file an office admin downloads for one platform and one ISO week."""

    account: SampleAccount
    iso_week: str  # delivery week 'YYYY-Www'
    window_start: date  # first day the admin selected in the platform's date picker
    window_end: date  # last day (inclusive)
    snapshot_local: datetime  # when the admin pressed download (office local time)
    language: str  # 'en' | 'id': the platform UI language of that admin
    rows: list[ExportRow] = field(default_factory=list)
