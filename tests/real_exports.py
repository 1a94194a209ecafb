"""The real platform exports in ``tests/fixtures/real/`` (copied unchanged from
``../shared/real-exports/``; provenance in the README beside them), and what each file
proves about itself: the publish instant encoded in its post ids.

Parser tests read them through ``parse_real``, the way the pipeline reads a landing file;
the evidence functions below are independent of the parsers (they decode ids, never a
date column), so a parser that reads a clock wrong fails against them.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

from medsos.parsers import detect
from medsos.parsers.base import FileContext, ParseResult, read_raw
from medsos.pipeline import snapshot_time

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
OFFICE = "35.06"  # KPU Kabupaten Bojonegoro, WIB
TZ = "Asia/Jakarta"

_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def real_bytes(rel: str) -> bytes:
    """A real file's bytes; ``rel`` may name a ZIP member as ``a/b.zip::member``."""
    path, _, member = rel.partition("::")
    if member:
        with zipfile.ZipFile(REAL / path) as zf:
            return zf.read(member)
    return (REAL / path).read_bytes()


def parse_real(rel: str, week: str, office: str = OFFICE, tz: str = TZ):
    """``(parser, result)`` for one real file delivered for ``week`` by ``office``."""
    path = REAL / rel.partition("::")[0]
    raw = read_raw(path, rel, real_bytes(rel))
    parser = detect(raw)
    ctx = FileContext(rel, office, tz, week, snapshot_time(week, tz))
    return parser, parser.parse(raw, ctx)


def rows_accounted(result: ParseResult) -> int:
    """Every row of the file, as the parser accounted for it."""
    return len(result.post_records) + len(result.daily_records) + len(result.rejected_rows) + len(result.skipped)


# --------------------------------------------------------------------------- evidence


def instagram_shortcode_instant(permalink: str) -> datetime:
    """Creation instant of an Instagram post from its permalink's shortcode: the media id
    in base 64, whose top bits are ms since 2011-08-24 (``+ 1314220021721``)."""
    code = permalink.rstrip("/").rsplit("/", 1)[-1]
    media_id = 0
    for ch in code:
        media_id = media_id * 64 + _SHORTCODE_ALPHABET.index(ch)
    return datetime.fromtimestamp(((media_id >> 23) + 1314220021721) / 1000, tz=UTC)


def x_id_instant(post_id: str) -> datetime:
    """Creation instant of an X post from its snowflake id."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + 1288834974657) / 1000, tz=UTC)


def tiktok_id_instant(video_id: str) -> datetime:
    """Creation instant of a TikTok video from its id's top 32 bits."""
    return datetime.fromtimestamp(int(video_id) >> 32, tz=UTC)
