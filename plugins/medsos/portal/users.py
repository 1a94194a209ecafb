"""Portal accounts: ``portal_users.csv`` (user, role, code, password_hash).

Roles: ``office`` (code: its office, e.g. 35.06), ``province`` (code: the province, e.g.
35), ``national`` (KPU RI, code 00) and ``admin`` (everything, uploads for any office).
Passwords are kept only as argon2id hashes (argon2-cffi); ``add_user`` makes a random
one-time password and prints it once.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from medsos.registry import load_offices, normalise_office_code

FIELDS = ["user", "role", "code", "password_hash"]
ROLES = ("office", "province", "national", "admin")
ROLE_LABELS = {
    "office": "admin kantor",
    "province": "staf provinsi",
    "national": "staf KPU RI",
    "admin": "administrator",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

HASHER = PasswordHasher()  # argon2id, the library's memory-hard defaults
# checking a name that does not exist costs as much as a wrong password, so the time taken
# does not tell which names exist
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    code: str  # office code, province code, or 00
    password_hash: str

    @property
    def session_tag(self) -> str:
        """Changes when the password does: a reset ends the sessions made before it."""
        return self.password_hash[-12:]


class UserFileError(ValueError):
    pass


_cache: dict[Path, tuple[tuple[int, int], dict[str, User]]] = {}
_lock = threading.Lock()


def load_users(path: Path) -> dict[str, User]:
    """Every user in the file (read again whenever the file changes); an absent file has none."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    key = (st.st_mtime_ns, st.st_size)
    with _lock:
        hit = _cache.get(path)
        if hit and hit[0] == key:
            return hit[1]
    users: dict[str, User] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != FIELDS:
            raise UserFileError(f"{path}: the header must be {','.join(FIELDS)}")
        for n, row in enumerate(reader, start=2):
            name, role, code = (row.get(k, "").strip() for k in ("user", "role", "code"))
            if role not in ROLES:
                raise UserFileError(
                    f"{path}: row {n}, column 'role': {role!r} is not one of {', '.join(ROLES)}"
                )
            users[name] = User(name, role, code, row.get("password_hash", "").strip())
    with _lock:
        _cache[path] = (key, users)
    return users


def check_code(role: str, code: str) -> str:
    """The code a user of ``role`` is tied to, normalised; ValueError in plain words."""
    offices = load_offices()
    if role in ("national", "admin"):
        if code not in ("", "00"):
            raise ValueError(
                f"a {role} user sees every province; give no code (or 00), not {code!r}"
            )
        return "00"
    c = normalise_office_code(code)
    if role == "province":
        if c not in offices or offices[c].level != "provinsi":
            raise ValueError(f"{code!r} is not a province code (e.g. 35 for Jawa Timur)")
        return c
    if c not in offices or offices[c].level == "nasional":
        raise ValueError(f"{code!r} is not the code of a KPU office (e.g. 35.06)")
    return c


def add_user(path: Path, name: str, role: str, code: str, reset: bool = False) -> str:
    """Add ``name`` (or with ``reset`` give it a new password) and return the one-time
    password; the file keeps only its hash."""
    name = name.strip().lower()
    if not _NAME.match(name):
        raise ValueError(
            f"user name {name!r}: 3-64 characters, lowercase letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    code = check_code(role, code)
    users = dict(load_users(path))
    if name in users and not reset:
        raise ValueError(
            f"user {name!r} already exists in {path}; use --reset to give it a new password"
        )
    password = secrets.token_urlsafe(12)
    users[name] = User(name, role, code, HASHER.hash(password))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    for u in users.values():
        w.writerow([u.name, u.role, u.code, u.password_hash])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # readable by the group too: in the container the portal runs in group 0 (root's), so
    # a file written by `docker compose run --user 0:0 … add-user` is still its to read
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(out.getvalue())
    os.replace(tmp, path)  # a reader sees the old file or the new one, never half
    return password


def verify(users: dict[str, User], name: str, password: str) -> User | None:
    user = users.get(name.strip().lower())
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user
