"""Instagram content exports written into a landing zone, for the tests of what happens
to files across runs (bookkeeping, incremental builds, the landing walk)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

IG_HEADER = (
    "Post ID,Account ID,Account username,Account name,Description,Duration (sec),Publish time,"
    "Permalink,Post type,Data comment,Date,Views,Reach,Likes,Shares,Follows,Comments,Saves\n"
)


def meta_time(local: str, tz: str = "Asia/Jakarta") -> str:
    """``Publish time`` as Meta writes it for a post published at ``local`` (MM/DD/YYYY
    HH:MM on the office's clock): the same instant on the US Pacific clock."""
    instant = datetime.strptime(local, "%m/%d/%Y %H:%M").replace(tzinfo=ZoneInfo(tz))
    return f"{instant.astimezone(ZoneInfo('America/Los_Angeles')):%m/%d/%Y %H:%M}"


def ig_row(post_id: str, published: str, likes: int | str = 5, caption: str = "Info tahapan") -> str:
    """One post of KPU Kabupaten Kediri's account, published at ``published`` (MM/DD/YYYY
    HH:MM, Kediri's WIB clock), written as Meta writes it (Pacific clock)."""
    return (
        f'{post_id},900,kpu_kabkediri,"KPU Kediri","{caption}",0,{meta_time(published)},'
        f"https://www.instagram.com/p/{post_id}/,IG image,,Lifetime,100,50,{likes},0,0,1,0\n"
    )


def drop(landing: Path, week: str, office: str, name: str, text: str, mtime: float | None = None) -> Path:
    """Put an export where an office admin would: ``<landing>/<week>/<office>/<name>``."""
    folder = landing / week / office
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path
