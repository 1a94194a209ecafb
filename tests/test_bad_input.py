"""The bad-input corpus: whatever staff drop into the landing zone.

One landing zone holds a good week (2024-W07, the Jawa Timur sample) and, in the next
week's folder, one bad case per office folder, built from that office's own real
exports. The weekly job runs once over it (and once over the good week alone, to
compare); each case is then its own test:

- the case is reported: a manifest row (``raw.files``) whose reason names the file, or
  quarantined rows naming file, row and column; or, for a case that is only odd (a
  strange file name, extra columns), it loads;
- nothing disappears: for every file that loaded, rows in file = rows loaded + rows
  quarantined;
- the good week's tables are exactly those of a run without the bad files;
- the week's email for the province names every rejected file.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from medsos.pipeline import run_week
from medsos.sample import build_plan, write_sample

GOOD_WEEK, BAD_WEEK = "2024-W07", "2024-W08"


@dataclass(frozen=True)
class Case:
    name: str
    expect: str  # 'rejected' | 'quarantined' | 'loaded' | 'duplicate'
    words: str = ""  # what the reason or quarantine message must say


def _instagram_file(folder: Path) -> Path | None:
    """The office's English Instagram content export (the cases edit its columns by name)."""
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv" and "Account username" in path.read_text(encoding="utf-8-sig").split("\n", 1)[0]:
            return path
    return None


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _set(header: list[str], rows: list[list[str]], column: str, value: str) -> list[list[str]]:
    """The rows with one cell changed, in the newest post: older posts belong to the good
    week too (exports overlap), and a changed caption there would change its category."""
    from datetime import datetime

    out = [list(r) for r in rows]
    when = header.index("Publish time")
    newest = max(range(len(out)), key=lambda i: datetime.strptime(out[i][when], "%m/%d/%Y %H:%M"))
    out[newest][header.index(column)] = value
    return out


def _add(header: list[str], rows: list[list[str]], column: str, value: str) -> list[list[str]]:
    """The rows plus a new post of the bad week carrying ``value`` in ``column`` (a new
    post, so the good week's posts keep their captions and categories)."""
    new = list(rows[0])
    new[header.index("Post ID")] = "17999000000000001"
    new[header.index("Permalink")] = "https://www.instagram.com/p/MEDSOSTEST/"
    new[header.index("Publish time")] = "02/20/2024 10:00"
    new[header.index(column)] = value
    return [*rows, new]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


CASES: list[Case] = []


def case(name: str, expect: str, words: str = ""):
    CASES.append(Case(name, expect, words))


# (name, expected outcome, words in the reason)
case("empty file", "rejected", "empty file")
case("only blank lines", "rejected", "empty file")
case("header only (a week without posts)", "loaded")
case("truncated mid-row", "quarantined", "ends in the middle of a row")
case("truncated inside a quoted caption", "quarantined", "ends in the middle of a row")
case("binary junk", "rejected", "")
case("a PNG renamed .csv", "rejected", "")
case("zip with a document and a photo", "rejected", "not a platform export")
case("zip with a real export inside", "loaded")
case("another office's export", "quarantined", "")
case("unknown office folder", "rejected", "names no KPU office")
case("office folder by name", "rejected", "not an office code")
case("week folder not an ISO week", "rejected", "not an ISO week")
case("week 54 does not exist", "rejected", "not an ISO week")
case("file name like a path traversal", "loaded")
case("file name with quotes, semicolon and emoji", "loaded")
case("very long file name", "loaded")
case("200 MB export", "rejected", "export a shorter date range")
case("mixed encodings", "rejected", "mixed encodings")
case("UTF-16 without BOM", "loaded")
case("Windows-1252 re-save", "loaded")
case("duplicated rows", "loaded")
case("negative likes", "quarantined", "Likes")
case("absurd views (1e15)", "quarantined", "views")
case("count beyond any number (1e30)", "quarantined", "Views")
case("publish date in the future", "quarantined", "published_at")
case("publish date before Instagram existed", "quarantined", "published_after_platform_launch")
case("caption with a spreadsheet formula", "loaded")
case("caption with a script tag", "loaded")
case("caption with SQL", "loaded")
case("caption with emoji and a NUL byte", "loaded")
case("tab-separated", "rejected", "not a known platform export")
case("publish time column missing", "rejected", "Publish time")
case("extra unknown columns", "loaded")
case("semicolon-separated (Excel, Indonesian locale)", "loaded")
case("TikTok workbook without videos", "loaded")
case("corrupt workbook", "rejected", "not a readable XLSX")
case("10,000 columns", "rejected", "10000 columns")
case("LF line endings", "loaded")
case("link to a file elsewhere", "rejected", "a link or special file")
case("link to a folder", "rejected", "a link or special file")
case("file at the top of the landing zone", "rejected", "top of the landing zone")
case("file directly in the week folder", "rejected", "directly in the week folder")
case("the same file twice", "duplicate")
case("ids mangled by Excel (1.2E+17)", "quarantined", "scientific notation")
case("dates re-saved day-first", "rejected", "day-first")
case("empty id cell", "quarantined", "id is required")
case("a collaboration post (the partner account's) in the office's own export", "loaded", "every row loads")


def _write_cases(landing: Path, good: Path, outside: Path) -> dict[str, list[str]]:
    """Write every case; returns case name -> relative paths it wrote."""
    offices = sorted(p.name for p in (good / BAD_WEEK).iterdir())
    special = {"35", "35.09", "35.10", "35.27", "35.78"}  # offices with planned quirks in the sample
    offices = [o for o in offices if o not in special and _instagram_file(good / BAD_WEEK / o)]
    written: dict[str, list[str]] = {}
    rng = random.Random(7)

    for i, c in enumerate(CASES):
        office = offices[i % len(offices)]
        src = good / BAD_WEEK / office
        ig = _instagram_file(src)
        header, rows = _rows(ig)
        folder = landing / BAD_WEEK / office
        name = f"case{i:02d}.csv"
        data: bytes | None = None
        target: Path | None = None

        match c.name:
            case "empty file":
                data = b""
            case "only blank lines":
                data = b"\r\n\r\n  \r\n"
            case "header only (a week without posts)":
                data = _csv(header, [])
            case "truncated mid-row":
                full = _csv(header, rows)
                data = full[: full.rindex(b"\r\n", 0, len(full) - 2) + 2] + b"99999,123"
            case "truncated inside a quoted caption":
                data = _csv(header, rows)[:-2] + b'\r\n1,2,"unfinished caption'
            case "binary junk":
                data = bytes(rng.randrange(256) for _ in range(4000))
            case "a PNG renamed .csv":
                data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
            case "zip with a document and a photo":
                name, data = f"case{i:02d}.zip", _zip({"catatan.docx": b"PK\x03\x04 doc", "foto.jpg": b"\xff\xd8\xff"})
            case "zip with a real export inside":
                name, data = f"case{i:02d}.zip", _zip({ig.name: ig.read_bytes()})
            case "another office's export":
                other = _instagram_file(good / BAD_WEEK / offices[(i + 1) % len(offices)])
                data = other.read_bytes()
            case "unknown office folder":
                folder = landing / BAD_WEEK / "35.99"
                data = ig.read_bytes()
            case "office folder by name":
                folder = landing / BAD_WEEK / "KPU Kediri"
                data = ig.read_bytes()
            case "week folder not an ISO week":
                folder = landing / "2024-08" / office
                data = ig.read_bytes()
            case "week 54 does not exist":
                folder = landing / "2024-W54" / office
                data = ig.read_bytes()
            case "file name like a path traversal":
                name, data = "..\\..\\etc\\passwd ....csv", ig.read_bytes()
            case "file name with quotes, semicolon and emoji":
                name, data = "laporan 'final' \"v2\"; rm -rf 😀.csv", ig.read_bytes()
            case "very long file name":
                name, data = "ekspor_" + "x" * 200 + ".csv", ig.read_bytes()
            case "200 MB export":
                target = folder / name
                folder.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as fh:  # sparse: 200 MB on paper, nothing on disk
                    fh.write(_csv(header, rows))
                    fh.truncate(200 * 1024 * 1024)
            case "mixed encodings":
                data = _csv(header, rows) + "1,2,caf\u00e9\r\n".encode("cp1252")
            case "UTF-16 without BOM":
                data = _csv(header, rows).decode("utf-8").lstrip("\ufeff").encode("utf-16-le")
            case "Windows-1252 re-save":
                plain = [[cell.encode("cp1252", "replace").decode("cp1252") for cell in r] for r in rows]
                data = _csv(header, plain).decode("utf-8").lstrip("\ufeff").encode("cp1252")
            case "duplicated rows":
                data = _csv(header, rows + rows[:1])  # loads once; the manifest counts the copy
            case "negative likes":
                data = _csv(header, _set(header, rows, "Likes", "-5"))
            case "absurd views (1e15)":
                data = _csv(header, _set(header, rows, "Views", "1000000000000000"))
            case "count beyond any number (1e30)":
                data = _csv(header, _set(header, rows, "Views", "1" + "0" * 30))
            case "publish date in the future":
                data = _csv(header, _set(header, rows, "Publish time", "01/05/2030 10:00"))
            case "publish date before Instagram existed":
                data = _csv(header, _set(header, rows, "Publish time", "01/05/2009 10:00"))
            case "caption with a spreadsheet formula":
                data = _csv(header, _add(header, rows, "Description", "=cmd|' /C calc'!A0"))
            case "caption with a script tag":
                data = _csv(header, _add(header, rows, "Description", "<script>alert(1)</script>"))
            case "caption with SQL":
                data = _csv(header, _add(header, rows, "Description", "'; drop table raw.files; --"))
            case "caption with emoji and a NUL byte":
                data = _csv(header, _add(header, rows, "Description", "Ayo memilih 🗳️\x00 #Pemilu2024"))
            case "tab-separated":
                data = _csv(header, rows, delimiter="\t")
            case "publish time column missing":
                drop = header.index("Publish time")
                data = _csv([h for j, h in enumerate(header) if j != drop],
                            [[v for j, v in enumerate(r) if j != drop] for r in rows])
            case "a collaboration post (the partner account's) in the office's own export":
                with_partner = _add(header, rows, "Account ID", "17841400000099999")
                with_partner[-1][header.index("Account username")] = "bawaslu_kab_partner"
                data = _csv(header, with_partner)
            case "extra unknown columns":
                data = _csv(header + ["Kolom tambahan", "Notes"], [r + ["x", "y"] for r in rows])
            case "semicolon-separated (Excel, Indonesian locale)":
                data = _csv(header, rows, delimiter=";")
            case "TikTok workbook without videos":
                from openpyxl import Workbook

                wb = Workbook()
                wb.active.title = "Content"
                wb.active.append(["Time", "Video title", "Video link", "Post time", "Total likes",
                                  "Total comments", "Total shares", "Total views"])
                buf = io.BytesIO()
                wb.save(buf)
                name, data = f"case{i:02d}.xlsx", buf.getvalue()
            case "corrupt workbook":
                name, data = f"case{i:02d}.xlsx", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(500))
            case "10,000 columns":
                data = (",".join(f"c{j}" for j in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n").encode()
            case "LF line endings":
                data = _csv(header, rows, newline="\n")
            case "link to a file elsewhere":
                secret = outside / "secret.csv"
                secret.write_bytes(ig.read_bytes())
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / name
                target.symlink_to(secret)
            case "link to a folder":
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"case{i:02d}_folder"
                target.symlink_to(outside)
            case "file at the top of the landing zone":
                folder, data = landing, ig.read_bytes()
            case "file directly in the week folder":
                folder, data = landing / BAD_WEEK, ig.read_bytes()
            case "the same file twice":
                folder.mkdir(parents=True, exist_ok=True)
                first = folder / f"case{i:02d}_a.csv"
                first.write_bytes(ig.read_bytes())
                os.utime(first, (1_700_000_000, 1_700_000_000))
                name, data = f"case{i:02d}_b.csv", ig.read_bytes()
            case "ids mangled by Excel (1.2E+17)":
                data = _csv(header, _set(header, rows, "Post ID", "1.79E+16"))
            case "dates re-saved day-first":
                fixed = [list(r) for r in rows]
                for r in fixed:
                    month, day, rest = r[header.index("Publish time")].split("/", 2)
                    r[header.index("Publish time")] = f"{day}/{month}/{rest}"
                data = _csv(header, fixed)
            case "empty id cell":
                data = _csv(header, _set(header, rows, "Post ID", ""))
            case _:
                raise AssertionError(f"case {c.name!r} has no recipe")
        if target is None:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            target.write_bytes(data)
        written[c.name] = [target.relative_to(landing).as_posix()]
    return written


def _tables(path: Path, week: str) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"select * from {t} where iso_week = ? order by all", [week]).fetchall()
            # engagement is left out on purpose: next week's exports carry newer numbers
            # for this week's posts (latest snapshot wins), which is right, not damage
            for t in ("marts.weekly_cadence", "marts.province_weekly")
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("bad_input")
    good = root / "generated"
    write_sample(good, build_plan(first_week=GOOD_WEEK, last_week=BAD_WEEK))
    baseline = settings_for(root / "baseline")
    shutil.copytree(good / GOOD_WEEK, baseline.landing / GOOD_WEEK)
    run_week(baseline, BAD_WEEK, send=False)

    bad = settings_for(root / "bad")
    shutil.copytree(good / GOOD_WEEK, bad.landing / GOOD_WEEK)
    outside = root / "outside"
    outside.mkdir()
    written = _write_cases(bad.landing, good, outside)
    result = run_week(bad, BAD_WEEK, send=False)
    con = duckdb.connect(str(bad.published), read_only=True)
    files = {r[0]: r for r in con.execute(
        "select relative_path, status, status_reason, rows_in_file, rows_loaded, rows_quarantined,"
        " rows_duplicate, rows_skipped from raw.files"
    ).fetchall()}
    quarantine = con.execute("select source_file, source_row, column_name, message from raw.quarantine").fetchall()
    con.close()
    email = (bad.outbox / BAD_WEEK / "ringkasan_35_2024-W08.html").read_text(encoding="utf-8")
    national_email = (bad.outbox / BAD_WEEK / "ringkasan_00_2024-W08.html").read_text(encoding="utf-8")
    # the email names the first files with a problem; the workbook's "Kualitas data" sheet all
    email += "\n".join(_quality_sheet(bad.outbox / BAD_WEEK / f"ringkasan_{code}_2024-W08.eml") for code in ("35", "00"))
    yield {
        "baseline": baseline, "bad": bad, "written": written, "files": files, "quarantine": quarantine,
        "email": email + national_email, "result": result,
    }


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


def test_the_good_week_is_untouched_by_the_bad_files(corpus):
    assert _tables(corpus["bad"].published, GOOD_WEEK) == _tables(corpus["baseline"].published, GOOD_WEEK)


def test_no_row_is_lost(corpus):
    for path, status, _reason, in_file, loaded, quarantined, duplicates, skipped in corpus["files"].values():
        if status.startswith("loaded"):
            assert in_file == loaded + quarantined + duplicates + skipped, path


def test_the_sql_fragment_left_the_manifest_standing(corpus):
    con = duckdb.connect(str(corpus["bad"].published), read_only=True)
    try:
        captions = {c for (c,) in con.execute("select caption from raw.post_snapshots").fetchall()}
    finally:
        con.close()
    assert "'; drop table raw.files; --" in captions
    assert "<script>alert(1)</script>" in captions and "=cmd|' /C calc'!A0" in captions
    assert len(corpus["files"]) > 190


def _quality_sheet(eml) -> str:
    """The 'Kualitas data' sheet of the workbook attached to an email, as text."""
    import email
    import io
    from email import policy

    from openpyxl import load_workbook

    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    xlsx = next(p for p in msg.iter_attachments() if (p.get_filename() or "").endswith(".xlsx"))
    ws = load_workbook(io.BytesIO(xlsx.get_content()), read_only=True)["Kualitas data"]
    return "\n".join(" · ".join(str(v) for v in row if v is not None) for row in ws.iter_rows(values_only=True))


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_case(corpus, c):
    paths = corpus["written"][c.name]
    files = corpus["files"]
    for rel in paths:
        mine = {p: r for p, r in files.items() if p == rel or p.startswith(rel + "::")}
        assert mine, f"{rel} has no manifest row"
        statuses = {r[1] for r in mine.values()}
        rows_q = [q for q in corpus["quarantine"] if q[0] in mine]
        if c.expect == "rejected":
            assert statuses == {"rejected"}, mine
            for p, r in mine.items():
                assert r[2].startswith(p.split("::")[0]) and c.words in r[2], r[2]
                assert p.split("::")[0] in corpus["email"] or p.split("/")[-1] in corpus["email"], f"{p} not in the email"
        elif c.expect == "quarantined":
            assert rows_q or statuses == {"rejected"}, mine
            for q in rows_q:
                assert q[1] is not None and q[2], q  # row and column named
            assert any(c.words.lower() in f"{q[2]} {q[3]}".lower() for q in rows_q), rows_q
            if statuses != {"rejected"}:
                assert statuses == {"loaded_with_quarantine"}, mine
            assert "Baris ditahan" in corpus["email"] or "ditahan" in corpus["email"]
        elif c.expect == "duplicate":
            assert statuses == {"duplicate"}, mine
        else:
            assert statuses <= {"loaded", "loaded_with_quarantine"}, mine
            assert all(r[4] == r[3] - r[5] - r[6] - r[7] for r in mine.values())
            if c.words == "every row loads":
                assert statuses == {"loaded"} and not rows_q, (mine, rows_q)
