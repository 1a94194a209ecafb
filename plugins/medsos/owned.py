"""What a medsos command may delete or overwrite: only what it made itself.

Commands that write test or sample data into a folder (``medsos demo``, ``sample``,
``national``, ``bench --data-dir``) claim the folder first: it must be missing, empty, or
carry the command's mark; anything else refuses with one line naming what stopped it.
Nothing in medsos deletes a file in the landing zone: a file leaves it only by a person's
hand, and then its rows leave the tables (status ``withdrawn``).
"""

from __future__ import annotations

from pathlib import Path


class Refused(RuntimeError):
    """The command would delete or overwrite data it did not create (one line: why)."""


def first_entry(folder: Path) -> str | None:
    """Some entry of ``folder`` (the first by name), or None when it is empty or missing."""
    if not folder.is_dir():
        return None
    names = sorted(p.name for p in folder.iterdir())
    return names[0] if names else None


def claim(folder: Path, mark: str, command: str) -> None:
    """Make ``folder`` the command's own: it must be missing, empty or already carry the
    command's ``mark`` file; then it is created and marked."""
    if folder.exists() and not folder.is_dir():
        raise Refused(f"{folder} is a file, not a folder")
    entry = first_entry(folder)
    if entry is not None and not (folder / mark).is_file():
        raise Refused(
            f"{folder} is not empty (e.g. {entry}) and was not made by medsos {command}; it writes "
            "only into an empty folder or one it made"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / mark).write_text(
        f"made by medsos {command}; it may replace what it wrote here\n", encoding="utf-8"
    )
