"""Instagram content exports written into a landing zone, for the tests of what happens
to files across runs (bookkeeping, incremental builds, the landing walk)."""

from __future__ import annotations

import os
from pathlib import Path

IG_HEADER = (
    "Post ID,Account ID,Account username,Account name,Description,Duration (sec),Publish time,"
    "Permalink,Post type,Data comment,Date,Views,Reach,Likes,Shares,Follows,Comments,Saves\n"
)


def ig_row(post_id: str, published: str, likes: int | str = 5, caption: str = "Info tahapan") -> str:
    """One post of KPU Kabupaten Kediri's account; ``published`` as Meta writes it (MM/DD/YYYY HH:MM)."""
    return (
        f'{post_id},900,kpu_kabkediri,"KPU Kediri","{caption}",0,{published},'
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
