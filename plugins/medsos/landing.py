"""The landing zone: ``<landing>/<YYYY-Www>/<office_code>/<file as downloaded>``.

The week folder says for which ISO week an office delivered; that is how a missing
delivery is told apart from a week with zero posts. Files are fingerprinted (SHA-256)
so the same file dropped twice loads once and a changed file is noticed.

A downloaded ZIP (YouTube Studio, TikTok's legacy export) is read in place, never
extracted to disk: each member becomes its own entry ``<zip path>::<member>``, so every
export inside is recognised, counted and reported on its own, and a stray member
(a photo, a document) is rejected without holding back the exports next to it.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import TypedDict

from medsos import weeks
from medsos.registry import load_offices, normalise_office_code

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
MEMBER_SEPARATOR = "::"
MODIFIED_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"  # the same text the warehouse gives back
EXPORT_SUFFIXES = (".csv", ".xlsx", ".jsonl")
# Real exports are a few MB; a file far above that is not an export of one office-week
# and reading it would only cost memory. Staff are told to split it by date range.
MAX_EXPORT_BYTES = int(float(os.environ.get("MEDSOS_MAX_EXPORT_MB", "100")) * 1024 * 1024)


@dataclass(frozen=True)
class LandingFile:
    relative_path: str  # 'YYYY-Www/<office>/<name>', the file's identity in the manifest
    delivery_week: str
    office_code: str | None  # None when the folder names no known office
    sha256: str
    size_bytes: int
    problem: str | None = None  # why the file cannot be processed (bad folder, …)
    # ISO instant the file was last saved; a correction is saved later
    modified_at: str | None = None

    def to_dict(self) -> dict:
        # dataclasses.asdict copies every value deeply; these are all strings and numbers,
        # and a national week writes thousands of them into the manifest
        return {f: getattr(self, f) for f in _FIELDS}


_FIELDS = tuple(f.name for f in fields(LandingFile))


# an export up to this size is hashed in one read: most are a few KB, and reading them in
# 1 MB pieces cost a third more for a year's 143,780 files (3.4 s -> 1.9 s)
WHOLE_READ = 8 << 20


def sha256_of(path: Path | str, size: int | None = None) -> str:
    with open(path, "rb") as fh:
        if size is not None and size <= WHOLE_READ:
            return hashlib.sha256(fh.read()).hexdigest()
        return hashlib.file_digest(fh, "sha256").hexdigest()


def is_workbook(names: list[str]) -> bool:
    """An XLSX is a ZIP too; its parts list says which it is."""
    return "[Content_Types].xml" in names


def read_bytes(landing: Path, relative_path: str) -> bytes:
    """The bytes of a landing entry: a file, or one member of a downloaded ZIP."""
    file_part, sep, member = relative_path.partition(MEMBER_SEPARATOR)
    path = landing / file_part
    if not sep:
        return path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def _too_big(size: int) -> str | None:
    if size <= MAX_EXPORT_BYTES:
        return None
    return (
        f"{size / 1024 / 1024:.0f} MB is far larger than an export of one office and week "
        f"(limit {MAX_EXPORT_BYTES / 1024 / 1024:.0f} MB); export a shorter date range"
    )


class _Shared(TypedDict):
    """What every entry of one landing file carries, a ZIP's members included."""

    delivery_week: str
    office_code: str | None
    problem: str | None  # the folder's problem, which every entry inherits
    modified_at: str


def _zip_members(path: Path, rel: str, base: _Shared) -> list[LandingFile] | None:
    """The entries of a downloaded ZIP, or None when the file is a workbook (XLSX)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if is_workbook([i.filename for i in infos]):
                return None
            out = []
            for info in infos:
                name = info.filename
                leaf = name.rsplit("/", 1)[-1]
                if leaf in IGNORED_NAMES or leaf.startswith(".") or name.startswith("__MACOSX/"):
                    continue
                member_rel = f"{rel}{MEMBER_SEPARATOR}{name}"
                problem = _too_big(info.file_size)
                if problem is None and not leaf.lower().endswith((".csv", ".xlsx")):
                    problem = (
                        f"{member_rel}: '{leaf}' inside the ZIP is not a platform export "
                        "(expected the CSV or XLSX files the platform put in the download)"
                    )
                data = b"" if problem else zf.read(info)
                out.append(
                    LandingFile(
                        relative_path=member_rel,
                        sha256=hashlib.sha256(data).hexdigest() if data else _sha_of_info(info),
                        size_bytes=info.file_size,
                        **(base | {"problem": base["problem"] or problem}),
                    )
                )
            if not out:
                return [
                    LandingFile(
                        relative_path=rel,
                        sha256=sha256_of(path),
                        size_bytes=path.stat().st_size,
                        **(base | {"problem": base["problem"] or f"{rel}: the ZIP file is empty"}),
                    )
                ]
            return out
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unknown compression
        return [
            LandingFile(
                relative_path=rel,
                sha256=sha256_of(path),
                size_bytes=path.stat().st_size,
                **(
                    base
                    | {
                        "problem": base["problem"]
                        or f"{rel}: a damaged or protected ZIP file ({exc})"
                    }
                ),
            )
        ]


def _sha_of_info(info: zipfile.ZipInfo) -> str:
    # A member we will not read still needs a stable fingerprint: name, size and CRC.
    return hashlib.sha256(f"{info.filename}|{info.file_size}|{info.CRC}".encode()).hexdigest()


@lru_cache(maxsize=4096)  # the same office folders come back every week
def _office_from_folder(name: str) -> tuple[str | None, str | None]:
    try:
        code = normalise_office_code(name)
    except ValueError:
        return None, f"folder '{name}' is not an office code (expected e.g. 35.06)"
    if code not in load_offices():
        return None, f"folder '{name}' names no KPU office"
    return code, None


# Files that operating systems and office programs leave behind; nothing an office sent.
# Any other name, even one starting with a dot, is listed (and rejected if it is no export).
SYSTEM_PREFIXES = ("._", ".~lock.", "~$", ".medsos-partial-")


def _ignored(path: Path) -> bool:
    return _ignored_name(path.name)


def _ignored_name(name: str) -> bool:
    return name in IGNORED_NAMES or name.startswith(SYSTEM_PREFIXES)


def _files_under(
    folder: str, folders: dict[str, int] | None = None
) -> list[tuple[str, os.stat_result]]:
    """Every file (and link) below ``folder``, sorted, each with its own ``lstat``; links
    are not followed. One directory scan instead of several calls per file, and plain
    strings instead of Path objects, matter when a weekly run walks a national landing
    zone. ``folders`` receives the modification time of ``folder`` and of each folder
    below it, taken before it is listed."""
    out: list[tuple[str, os.stat_result]] = []
    if folders is not None:
        folders[folder] = os.stat(folder).st_mtime_ns
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if _ignored_name(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            out.extend(_files_under(entry.path, folders))
        else:
            out.append((entry.path, entry.stat(follow_symlinks=False)))
    return out


def office_folder(path: str) -> str:
    """The office folder ('YYYY-Www/<office>') a relative landing path lies in (the path
    up to its second '/'; called for every folder a year of history recorded)."""
    first = path.find("/")
    second = path.find("/", first + 1) if first >= 0 else -1
    return path if second < 0 else path[:second]


def _relative(root: str, path: str) -> str:
    """``path`` below the landing folder ``root`` as 'a/b/c' (a string slice: this runs
    for every file of a scan)."""
    if path.startswith(root + os.sep):
        return path[len(root) + 1 :].replace(os.sep, "/")
    return os.path.relpath(path, root).replace(os.sep, "/")


def modified_text(stat: os.stat_result) -> str:
    """A file's modification time as the manifest writes it (MODIFIED_FORMAT's text;
    isoformat writes it several times faster than strftime)."""
    return datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="microseconds")


def _entries(
    landing: Path,
    path: Path | str,
    week: str,
    office_code: str | None,
    problem: str | None,
    known: dict[str, tuple[int, str, str]],
    stat: os.stat_result | None = None,
) -> list[LandingFile]:
    """The manifest entries of one landing file (several for a downloaded ZIP)."""
    path = str(path)
    rel = _relative(str(landing), path)
    if stat is None:
        stat = os.lstat(path)
    if not S_ISREG(stat.st_mode):
        # a link could point anywhere on the server; only real files are read
        return [
            LandingFile(
                rel,
                week,
                office_code,
                "",
                0,
                f"{rel}: {problem or 'a link or special file, not an export; copy the file itself'}",
            )
        ]
    base: _Shared = {
        "delivery_week": week,
        "office_code": office_code,
        "problem": f"{rel}: {problem}" if problem else None,
        "modified_at": modified_text(stat),
    }
    too_big = _too_big(stat.st_size)
    if problem is None and too_big is None and path.lower().endswith(".zip"):
        members = _zip_members(Path(path), rel, base)
        if members is not None:
            return members
    before = known.get(rel)
    if before is not None and before[0] == stat.st_size and before[1] == base["modified_at"]:
        sha256 = before[2]  # same size, saved at the same instant: not read again
    else:
        # the path as the string it is: a Path made for each of a year's 143,780 files
        # cost about half a second
        sha256 = sha256_of(path, stat.st_size)
    return [
        LandingFile(
            rel,
            week,
            office_code,
            sha256,
            stat.st_size,
            base["problem"] or (too_big and f"{rel}: {too_big}"),
            base["modified_at"],
        )
    ]


@dataclass
class Scan:
    files: list[LandingFile]  # every file read or stat'ed in this scan
    problems: list[str]  # what is wrong with the folder layout itself
    folders: dict[str, int]  # listed 'YYYY-Www/<office>[/<subfolder>…]' -> the folder's mtime (ns)
    unchanged: set[str]  # office folders not listed again: nothing was added, removed or renamed
    checked: int = 0  # files of recent unchanged office folders, each found as recorded


def discover(
    landing: Path,
    through_week: str,
    since_week: str | None = None,
    known: dict[str, tuple[int, str, str]] | None = None,
) -> tuple[list[LandingFile], list[str]]:
    """Every file delivered for weeks up to ``through_week`` (and from ``since_week``)
    and the problems with the folder layout; see ``scan``."""
    found = scan(landing, through_week, since_week, known)
    return found.files, found.problems


def scan(
    landing: Path,
    through_week: str,
    since_week: str | None = None,
    known: dict[str, tuple[int, str, str]] | None = None,
    folder_mtimes: dict[str, int] | None = None,
    always_list_from: str | None = None,
    folder_times: dict[str, list[tuple[str, int]]] | None = None,
    recorded_files: dict[str, list[tuple[str, int, str]] | None] | None = None,
    weeks_only: bool = False,
) -> Scan:
    """Every file delivered for weeks up to ``through_week`` (and from ``since_week``).

    ``known`` maps a relative path to ``(size, modified_at, sha256)`` from earlier runs: a
    file whose size and modification time are unchanged keeps its fingerprint without
    being read again.

    ``folder_mtimes`` maps office folders (``YYYY-Www/<office>``) and the folders inside
    them (an unzipped YouTube export) to their modification times when they were last
    loaded. An office folder of a week before ``always_list_from`` whose times are all
    unchanged is not listed at all: adding, removing or renaming a file changes the time
    of the folder it is in, so a weekly run over a year of history stats a few thousand
    folders instead of every file. Folders of the recent weeks are always listed, because
    a file saved over an existing one changes only the file.

    ``folder_times``: the same times grouped by office folder (``office_folder``), as
    ``pipeline.find`` reads them, instead of ``folder_mtimes``.

    ``recorded_files`` maps an office folder to the files recorded in it (relative path,
    size, modification time as ``modified_text`` writes it), or to None where that
    record cannot tell (a ZIP's members, a file without its time). A recent office folder
    whose times are unchanged and whose every recorded file has its recorded size and time
    is passed over like an old one: a file saved over another changes its own time. That
    costs a ``stat`` per file instead of the listing's work per file, which on a national
    landing zone was most of a weekly run's cost of its recent weeks.

    Files and folders in the wrong place are listed too, each with a problem, and so are
    the problems with the layout itself (a week folder that is not an ISO week, a file
    lying outside an office folder); nothing is skipped silently. ``weeks_only`` leaves
    out what lies outside the week folders, for a scan of some weeks beside one of the
    rest (``pipeline.find``), which lists it.
    """
    files: list[LandingFile] = []
    problems: list[str] = []
    folders: dict[str, int] = {}
    unchanged: set[str] = set()
    # office folder -> its folders' times
    recorded = {office: list(times) for office, times in (folder_times or {}).items()}
    for path, mtime in (folder_mtimes or {}).items():
        recorded.setdefault(office_folder(path), []).append((path, mtime))

    root = str(landing)
    settled_before = time.time_ns() - 10 * 1_000_000_000

    prefix = root + os.sep
    stat = os.stat

    def unchanged_since_recorded(folder: str) -> bool:
        # a plain loop: this runs for every office folder of a year (25,000 and more)
        times = recorded.get(folder)
        if times is None or not any(path == folder for path, _ in times):
            return False
        try:
            for path, mtime in times:
                if stat(prefix + path).st_mtime_ns != mtime:
                    return False
        except OSError:  # a folder inside was removed
            return False
        return True

    lstat = os.lstat
    checked = 0

    def files_as_recorded(folder: str) -> int:
        """How many files a recent office folder holds when it and each of its files are
        as recorded; 0 when anything may have changed (then it is listed)."""
        recorded_here = (recorded_files or {}).get(folder)
        if not recorded_here or not unchanged_since_recorded(folder):
            return 0
        try:
            for path, size, modified in recorded_here:
                st = lstat(prefix + path)
                if st.st_size != size or modified_text(st) != modified:
                    return 0
        except OSError:  # a file recorded there is gone
            return 0
        return len(recorded_here)

    if not landing.is_dir():
        return Scan(files, [f"landing folder {landing} does not exist"], folders, unchanged)

    def add(
        path: Path | str, week: str, office_code: str | None, problem: str | None, stat=None
    ) -> None:
        files.extend(_entries(landing, path, week, office_code, problem, known or {}, stat))

    def add_tree(
        folder: Path | str,
        week: str,
        office_code: str | None,
        problem: str | None,
        times: dict[str, int] | None = None,
    ) -> None:
        # under a misplaced folder every file is listed, each rejected with the reason
        for path, stat in _files_under(str(folder), times):
            add(path, week, office_code, problem, stat)

    for week_dir in sorted(p for p in landing.iterdir()):
        if _ignored(week_dir):
            continue
        if weeks_only and not (
            weeks.is_week(week_dir.name) and week_dir.is_dir() and not week_dir.is_symlink()
        ):
            continue
        if not week_dir.is_dir() or week_dir.is_symlink():
            problem = "a file at the top of the landing zone; put it in <week>/<office code>/ (e.g. 2024-W07/35.06/)"
            problems.append(f"{week_dir.name}: {problem}")
            add(week_dir, "", None, problem)
            continue
        if not weeks.is_week(week_dir.name):
            problem = f"the folder '{week_dir.name}' is not an ISO week (expected e.g. 2024-W07); move the files into the right week folder"
            problems.append(f"{week_dir.name}/: {problem}")
            add_tree(week_dir, week_dir.name, None, problem)
            continue
        if weeks.week_start(week_dir.name) > weeks.week_start(through_week):
            continue
        if since_week and weeks.week_start(week_dir.name) < weeks.week_start(since_week):
            continue
        recent = always_list_from is None or weeks.week_start(week_dir.name) >= weeks.week_start(
            always_list_from
        )
        with os.scandir(week_dir) as it:
            office_dirs = sorted(it, key=lambda e: e.name)
        for office_dir in office_dirs:
            if _ignored_name(office_dir.name):
                continue
            if not office_dir.is_dir(follow_symlinks=False):
                problem = "a file directly in the week folder; put it in the office's folder (e.g. 2024-W07/35.06/)"
                problems.append(f"{week_dir.name}/{office_dir.name}: {problem}")
                add(office_dir.path, week_dir.name, None, problem)
                continue
            office_code, office_problem = _office_from_folder(office_dir.name)
            if office_problem:
                problems.append(f"{week_dir.name}/{office_dir.name}/: {office_problem}")
                add_tree(office_dir.path, week_dir.name, None, office_problem)
                continue
            folder = f"{week_dir.name}/{office_dir.name}"
            if not recent and unchanged_since_recorded(folder):
                unchanged.add(folder)
                continue
            if recent and (as_recorded := files_as_recorded(folder)):
                unchanged.add(folder)
                checked += as_recorded
                continue
            # times are taken before listing: a file added meanwhile shows on the next run.
            # A folder changed in the last seconds is not trusted to be passed over later
            # (a file added in the same clock tick would leave its time as it is; on a
            # network share a tick can be two seconds), so it is recorded as 0.
            times: dict[str, int] = {}
            add_tree(office_dir.path, week_dir.name, office_code, None, times)
            folders.update(
                (_relative(root, path), mtime if mtime < settled_before else 0)
                for path, mtime in times.items()
            )
    return Scan(files, problems, folders, unchanged, checked)
