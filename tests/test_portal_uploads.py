"""Hostile and careless uploads, over real HTTP: names with folder parts or control
characters, a file over MEDSOS_MAX_EXPORT_MB, a ZIP bomb, a ZIP with ``../`` members or
too many members, a web page named .csv, a photo; a caption that starts a formula (and
one with markup) shown escaped. Nothing lands outside ``<landing>/<week>/<office>/``,
nothing is overwritten, and no partial file is left behind."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from portal_server import ENDED, make_portal, token_of

from medsos.portal.uploads import PARTIAL_PREFIX, safe_name

OFFICE = "35.06"


@pytest.fixture(scope="module")
def portal(tmp_path_factory, settings_for):
    # a small limit, so an oversized file is quick to send
    p = make_portal(tmp_path_factory.mktemp("portal-uploads"), settings_for, publish=False,
                    max_export_mb=1.0, zip_members=20, zip_total_mb=3.0)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def office(portal):
    return portal.session("kab-kediri")


def send(portal, session, files, week=ENDED):
    page = session.get(f"{portal.url}/kantor/{OFFICE}?minggu={week}")
    return session.post(f"{portal.url}/kantor/{OFFICE}/unggah", data={"csrf": token_of(page.text), "minggu": week},
                        files=[("berkas", f) for f in files])


def everything_under(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def no_partials(portal):
    assert not [p for p in portal.root.rglob("*") if p.name.startswith(PARTIAL_PREFIX)]


def verdict_paths(text: str) -> dict[str, str]:
    return {html.unescape(m.group(2)): m.group(1)
            for m in re.finditer(r'data-status="([^"]+)" data-path="([^"]+)"', text)}


def test_names_with_folders_or_control_characters_stay_in_the_office_folder(portal, office):
    export = portal.export_of(OFFICE, "instagram_content").read_bytes()
    before = everything_under(portal.root)
    names = ["../../../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv", "/abs/path/x.csv",
             "a\x1b[31mred\x07.csv", "tab\tand\x7fdel.csv", "....csv", ".hidden.csv", "~$lock.csv",
             "ok name (1).csv", "x" * 300 + ".csv"]
    r = send(portal, office, [(n, export) for n in names])
    assert r.status_code == 200, r.text[:500]
    added = everything_under(portal.root) - before
    folder = f"{ENDED}/{OFFICE}"
    landed = sorted(a for a in added if a.startswith("landing/"))
    assert all(a.startswith(f"landing/{folder}") or f"landing/{folder}".startswith(a) for a in landed), landed
    saved = sorted(a.split("/")[-1] for a in landed if a.count("/") == 3)
    assert len(saved) == len(names)
    for name in saved:
        assert "/" not in name and "\\" not in name and ".." not in name.replace("...", "")
        assert not any(ord(c) < 32 or ord(c) == 127 for c in name)
        assert not name.startswith(".") and not name.startswith("~") and len(name) <= 120
    assert "passwd.csv" in saved and "win.ini.csv" in saved
    # same bytes under ten names: one loads, the others are copies of it; none is lost
    statuses = verdict_paths(r.text)
    assert sorted(statuses.values()).count("loaded") == 1 and list(statuses.values()).count("duplicate") == 9
    assert safe_name("../../x") == "x" and safe_name("") == "berkas" and safe_name("\x00\x01") == "berkas"
    no_partials(portal)


def test_a_name_that_exists_gets_a_suffix_never_overwrites(portal, office):
    first = portal.export_of(OFFICE, "facebook_content").read_bytes()
    second = portal.export_of(OFFICE, "x_account_content").read_bytes()
    assert send(portal, office, [("sama.csv", first)]).status_code == 200
    assert send(portal, office, [("sama.csv", second)]).status_code == 200
    assert send(portal, office, [("sama.csv", second)]).status_code == 200
    folder = portal.settings.landing / ENDED / OFFICE
    assert (folder / "sama.csv").read_bytes() == first
    assert (folder / "sama (2).csv").read_bytes() == second
    assert (folder / "sama (3).csv").read_bytes() == second


def test_an_oversized_file_is_refused_and_nothing_is_left(portal, office):
    before = everything_under(portal.settings.landing)
    big = b"Post ID,Caption\n" + b"1,x\n" * 300_000  # 1.2 MB, over the 1 MB limit
    r = send(portal, office, [("besar.csv", big)])
    assert r.status_code == 413 and "lebih dari 1 MB" in r.text
    # a request far over it is stopped before it is read
    r = send(portal, office, [("raksasa.csv", b"0" * (6 * 1024 * 1024))])
    assert r.status_code == 413
    assert everything_under(portal.settings.landing) == before
    no_partials(portal)


def _zip(members: dict[str, bytes], level=9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _lying_zip() -> bytes:
    """A member whose header says 10 bytes but unpacks to 20 MB (a bomb that lies)."""
    data = _zip({"a.csv": b"0" * (20 * 1024 * 1024)})
    raw = bytearray(data)
    # patch the uncompressed size in the local header (offset 22) and central directory
    raw[22:26] = (10).to_bytes(4, "little")
    cd = data.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    return bytes(raw)


@pytest.mark.parametrize(("what", "payload", "status", "words"), [
    ("bomb", _zip({f"lapisan{i}.csv": b"0" * (2 * 1024 * 1024) for i in range(4)}), 413, "lebih dari 3 MB"),
    ("lying bomb", _lying_zip(), 422, "rusak"),
    ("many members", _zip({f"f{i}.csv": b"a,b\n" for i in range(25)}), 422, "paling banyak 20"),
    ("../ member", _zip({"../../../evil.csv": b"a,b\n1,2\n"}), 422, "tidak aman"),
    ("absolute member", _zip({"/etc/cron.d/x.csv": b"a,b\n"}), 422, "tidak aman"),
    ("backslash member", _zip({"..\\..\\evil.csv": b"a,b\n"}), 422, "tidak aman"),
])
def test_hostile_zips_are_refused_unopened(portal, office, what, payload, status, words):
    before = everything_under(portal.root / "landing")
    r = send(portal, office, [("unduhan.zip", payload)])
    assert r.status_code == status, (what, r.status_code)
    assert words in html.unescape(r.text), what
    assert everything_under(portal.root / "landing") == before
    assert not (portal.root / "evil.csv").exists() and not (portal.settings.landing / "evil.csv").exists()
    no_partials(portal)


@pytest.mark.parametrize(("name", "payload", "words"), [
    ("ekspor.csv", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "halaman web (HTML)"),
    ("ekspor.csv", b"\xef\xbb\xbf  <html><head></head></html>", "halaman web (HTML)"),
    ("foto.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200, "foto (JPEG)"),
    ("laporan.xlsx", b"%PDF-1.7\n" + b"0" * 100, "dokumen PDF"),
    ("lama.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel lama"),
    ("kosong.csv", b"", "kosong"),
])
def test_content_decides_not_the_name(portal, office, name, payload, words):
    before = everything_under(portal.settings.landing)
    r = send(portal, office, [(name, payload)])
    assert r.status_code == 422 and words in html.unescape(r.text)
    assert "<script>alert(1)" not in r.text
    assert everything_under(portal.settings.landing) == before


def test_a_spreadsheet_named_csv_is_saved_as_what_it_is(portal, office):
    workbook = portal.export_of(OFFICE, "tiktok_content").read_bytes()
    r = send(portal, office, [("tiktok.csv", workbook)])
    assert r.status_code == 200
    assert (portal.settings.landing / ENDED / OFFICE / "tiktok.csv.xlsx").read_bytes() == workbook
    assert verdict_paths(r.text)[f"{ENDED}/{OFFICE}/tiktok.csv.xlsx"] == "loaded"


def test_a_formula_or_markup_in_a_caption_is_shown_as_text(portal, office):
    export = portal.export_of(OFFICE, "instagram_content").read_text(encoding="utf-8-sig")
    lines = export.splitlines()
    header = next(i for i, line in enumerate(lines) if "Description" in line or "Deskripsi" in line)
    import csv

    rows = list(csv.reader(lines[header:]))
    col = next(i for i, h in enumerate(rows[0]) if h.lstrip("\ufeff") in ("Description", "Deskripsi"))
    rows[1][col] = '=HYPERLINK("http://example.invalid/x","klik")'
    rows[2][col] = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    body = "\n".join(lines[:header]) + ("\n" if header else "") + out.getvalue()
    r = send(portal, office, [("caption.csv", ("\ufeff" + body).encode())])
    assert r.status_code == 200
    assert '=HYPERLINK(&#34;http://example.invalid/x&#34;,&#34;klik&#34;)' in r.text or \
        "=HYPERLINK(&quot;http://example.invalid/x&quot;" in r.text
    assert "<script>alert(2)" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in r.text
    assert verdict_paths(r.text)[f"{ENDED}/{OFFICE}/caption.csv"] == "loaded"


def test_a_refused_file_leaves_no_folder_either(portal, office):
    from medsos import weeks

    week = weeks.shift(ENDED, -6)  # offered, and no file was ever sent for it
    assert not (portal.settings.landing / week).exists()
    r = send(portal, office, [("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64)], week=week)
    assert r.status_code == 422
    assert not (portal.settings.landing / week).exists()
    no_partials(portal)


def test_a_photo_and_an_export_together(portal, office):
    export = portal.export_of(OFFICE, "youtube_table_data")
    r = send(portal, office, [(export.name, export.read_bytes()),
                              ("IMG_2024.jpg", b"\xff\xd8\xff\xe1" + b"\x00" * 500)])
    assert r.status_code == 200
    text = html.unescape(r.text)
    assert "IMG_2024.jpg" in text and "ini foto (JPEG), bukan ekspor" in text
    assert not (portal.settings.landing / ENDED / OFFICE / "IMG_2024.jpg").exists()


def _verdict_text(text: str, rel: str) -> str:
    block = text.split(f'data-path="{rel}"', 1)[1].split('<div class="verdict', 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", block))


def test_each_problem_in_plain_indonesian_with_what_to_do(portal, office):
    from portal_server import FIRST_WEEK

    folder = f"{ENDED}/{OFFICE}"
    # another office's account
    wrong = portal.export_of("35.07", "instagram_content").read_bytes()
    # an export of an older week (the right account, but no post of this week)
    old = next(p for p in sorted((portal.settings.landing / FIRST_WEEK / OFFICE).iterdir())
               if p.suffix == ".csv" and b"Permalink" in p.read_bytes()[:400])
    # re-saved by a spreadsheet in an Indonesian locale: ';' between the columns
    import csv

    src = portal.export_of(OFFICE, "x_account_content").read_text(encoding="utf-8-sig")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(csv.reader(io.StringIO(src)))
    r = send(portal, office, [("akun-lain.csv", wrong), ("lama.csv", old.read_bytes()),
                              ("excel.csv", out.getvalue().encode("utf-8")),
                              ("catatan.csv", b"nama,alamat\nBudi,Jl. Merdeka 1\n")])
    assert r.status_code == 200
    statuses = verdict_paths(r.text)
    assert statuses[f"{folder}/akun-lain.csv"] == "rejected"
    text = _verdict_text(r.text, f"{folder}/akun-lain.csv")
    assert "Salah akun" in text and "bukan akun resmi kantor ini" in text and "Yang perlu dilakukan: Unduh ekspor dari akun" in text
    assert statuses[f"{folder}/lama.csv"] == "loaded"
    text = _verdict_text(r.text, f"{folder}/lama.csv")
    assert f"tidak memuat postingan minggu {ENDED}" in text and "ekspor ulang dengan rentang tanggal" in text
    assert statuses[f"{folder}/excel.csv"] == "loaded"
    assert "disimpan ulang di spreadsheet" in _verdict_text(r.text, f"{folder}/excel.csv")
    assert statuses[f"{folder}/catatan.csv"] == "rejected"
    text = _verdict_text(r.text, f"{folder}/catatan.csv")
    assert "bukan ekspor platform yang dikenali" in text and "Yang perlu dilakukan: Unduh ekspor konten" in text


def test_the_weekly_scan_passes_over_a_file_still_arriving(tmp_path):
    from medsos import landing

    root = tmp_path / "landing"
    (root / ENDED / OFFICE).mkdir(parents=True)
    (root / f"{PARTIAL_PREFIX}0123abcd").write_bytes(b"Post ID,half a fi")
    (root / ENDED / OFFICE / f"{PARTIAL_PREFIX}4567").write_bytes(b"Post ID,half")
    (root / ENDED / OFFICE / "ekspor.csv").write_bytes(b"a,b\n1,2\n")
    found = landing.scan(root, ENDED)
    assert [f.relative_path for f in found.files] == [f"{ENDED}/{OFFICE}/ekspor.csv"]
    assert found.problems == []
