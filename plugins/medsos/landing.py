"""The landing zone: ``<landing>/<YYYY-Www>/<office_code>/<file as downloaded>``.

The week folder says for which ISO week an office delivered; that is how a missing
delivery is told apart from a week with zero posts. Files are fingerprinted (SHA-256)
so the same file dropped twice loads once and a changed file is noticed.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from medsos import weeks
from medsos.registry import load_offices, normalise_office_code

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class LandingFile:
    relative_path: str  # 'YYYY-Www/<office>/<name>', the file's identity in the manifest
    delivery_week: str
    office_code: str | None  # None when the folder names no known office
    sha256: str
    size_bytes: int
    problem: str | None = None  # why the file cannot be processed (bad folder, …)

    def to_dict(self) -> dict:
        return asdict(self)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _office_from_folder(name: str) -> tuple[str | None, str | None]:
    try:
        code = normalise_office_code(name)
    except ValueError:
        return None, f"folder '{name}' is not an office code (expected e.g. 35.06)"
    if code not in load_offices():
        return None, f"folder '{name}' names no KPU office"
    return code, None


def discover(landing: Path, through_week: str, since_week: str | None = None) -> tuple[list[LandingFile], list[str]]:
    """Every file delivered for weeks up to ``through_week`` (and from ``since_week``).

    Returns the files and a list of problems with the folder layout itself (a week folder
    that is not an ISO week, a file lying outside an office folder); nothing is skipped
    silently.
    """
    files: list[LandingFile] = []
    problems: list[str] = []
    if not landing.is_dir():
        return files, [f"landing folder {landing} does not exist"]
    for week_dir in sorted(p for p in landing.iterdir()):
        if week_dir.name in IGNORED_NAMES or week_dir.name.startswith("."):
            continue
        if not week_dir.is_dir():
            problems.append(f"{week_dir.name}: file at the top of the landing zone; put it in <week>/<office>/")
            continue
        if not weeks.is_week(week_dir.name):
            problems.append(f"{week_dir.name}/: not an ISO week folder (expected e.g. 2024-W07)")
            continue
        if weeks.week_start(week_dir.name) > weeks.week_start(through_week):
            continue
        if since_week and weeks.week_start(week_dir.name) < weeks.week_start(since_week):
            continue
        for office_dir in sorted(week_dir.iterdir()):
            if office_dir.name in IGNORED_NAMES or office_dir.name.startswith("."):
                continue
            rel_office = f"{week_dir.name}/{office_dir.name}"
            if not office_dir.is_dir():
                problems.append(f"{rel_office}: file directly in the week folder; put it in an office folder")
                continue
            office_code, office_problem = _office_from_folder(office_dir.name)
            for path in sorted(office_dir.rglob("*")):
                if not path.is_file() or path.name in IGNORED_NAMES or path.name.startswith("."):
                    continue
                rel = path.relative_to(landing).as_posix()
                files.append(
                    LandingFile(
                        relative_path=rel,
                        delivery_week=week_dir.name,
                        office_code=office_code,
                        sha256=sha256_of(path),
                        size_bytes=path.stat().st_size,
                        problem=office_problem,
                    )
                )
    return files, problems
