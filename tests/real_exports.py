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


# --------------------------------------------------------------------------- the table


def evidence(platform: str, record: dict) -> datetime | None:
    """The instant the file itself proves for a post, where it proves one."""
    post_id, link = record.get("post_id") or "", record.get("permalink") or ""
    if platform == "instagram" and "instagram.com/" in link:
        return instagram_shortcode_instant(link)
    if platform == "x" and post_id.isdigit():
        return x_id_instant(post_id)
    if platform == "tiktok" and post_id.isdigit():
        return tiktok_id_instant(post_id)
    return None


def instant_matches(platform: str, record: dict) -> bool | None:
    """Whether a post's publish instant agrees with its id: to the second for X and TikTok
    ids (to the minute where the file writes minutes), and for Instagram from one minute
    before to 15 minutes after the media was created (a scheduled post goes out later)."""
    proof = evidence(platform, record)
    if proof is None:
        return None
    gap = (record["published_at"] - proof).total_seconds()
    if platform == "instagram":
        return -60 < gap < 900
    return abs(gap) < (60 if record.get("publish_time_precision") == "minute" else 1)


def table(week: str = "2026-W24") -> str:
    """A markdown table over every real file: what it is read as, its rows, and how many
    publish instants agree with the file's own evidence."""
    from medsos.parsers.base import ParseError

    lines = ["| file | recognised as | rows in file | loaded | quarantined | skipped | instants matching the file's ids |",
             "|---|---|---|---|---|---|---|"]
    paths = []
    for path in sorted(REAL.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        rel = path.relative_to(REAL).as_posix()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                paths += [f"{rel}::{i.filename}" for i in zf.infolist()
                          if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
        else:
            paths.append(rel)
    for rel in paths:
        try:
            parser, result = parse_real(rel, week)
        except ParseError as exc:
            reason = str(exc).split(": ", 1)[-1].split(". Expected")[0]
            lines.append(f"| {rel} | rejected: {reason} | | | | | |")
            continue
        checked = [instant_matches(result.platform, r) for r in result.post_records]
        proven = [c for c in checked if c is not None]
        no_proof = {"facebook": "none: no id encodes the time; read on Meta's Pacific clock",
                    "instagram": "none: its owner removed the permalinks; read on Meta's Pacific clock",
                    "youtube": "none: a date without a time"}
        matched = f"{sum(proven)} of {len(proven)}" if proven else (no_proof.get(result.platform, "") if checked else "")
        lines.append(
            f"| {rel} | {result.kind} | {rows_accounted(result)} | {len(result.post_records) + len(result.daily_records)}"
            f" | {len(result.rejected_rows)} | {len(result.skipped)} | {matched} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # .venv/bin/python tests/real_exports.py
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
    print(table())
