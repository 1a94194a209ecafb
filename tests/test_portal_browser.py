"""The portal in Debian's headless chromium, at a phone's 390 px and a desk's 1280 px,
driven through the DevTools protocol (tests/cdp.py): an office admin signs in, uploads an
export and a photo, reads the verdicts and sees the checklist turn; a provincial staffer
opens the office table, sorts it and downloads the XLSX. Every page fits the screen's
width. Screenshots go to the test's folder (and to $MEDSOS_PORTAL_SHOTS when set)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cdp import Browser, chromium
from portal_server import ENDED, PUBLISHED_WEEK, make_portal

pytestmark = pytest.mark.skipif(chromium() is None and not os.environ.get("CI"),
                                reason="chromium not installed (make test installs it)")

SCREENS = {390: (844, True), 1280: (900, False)}
OFFICE_AT = {390: ("kab-kediri", "35.06"), 1280: ("kab-malang", "35.07")}


@pytest.fixture(scope="module")
def portal(tmp_path_factory, settings_for):
    p = make_portal(tmp_path_factory.mktemp("portal-browser"), settings_for)
    yield p
    p.stop()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "chromium")
    yield b
    b.close()


def keep(shot: Path) -> None:
    folder = os.environ.get("MEDSOS_PORTAL_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / shot.name)


def sign_in(page, portal, user: str) -> None:
    page.goto(f"{portal.url}/")
    assert "/masuk" in page.url()
    page.fill("#nama", user)
    page.fill("#sandi", portal.passwords[user])
    page.click_and_wait("form[action='/masuk'] button[type=submit]")


def photo(folder: Path) -> Path:
    from PIL import Image

    path = folder / "IMG_20241120_0931.jpg"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(path, "JPEG")
    return path


CHECKLIST = "Object.fromEntries([...document.querySelectorAll('#daftar li')].map(li => [li.dataset.platform, li.dataset.ok]))"
VERDICTS = ("[...document.querySelectorAll('#hasil .verdict')]"
            ".map(v => ({status: v.dataset.status, path: v.dataset.path || '', text: v.innerText}))")


@pytest.mark.parametrize("width", sorted(SCREENS))
def test_an_office_uploads_an_export_and_a_photo(portal, browser, tmp_path, width):
    height, mobile = SCREENS[width]
    user, office = OFFICE_AT[width]
    page = browser.page(width, height, mobile)
    sign_in(page, portal, user)
    assert page.url().endswith(f"/kantor/{office}")
    assert page.eval("document.querySelector('#minggu').value") == ENDED  # the week that just ended
    before = page.eval(CHECKLIST)
    assert before == {p: "tidak" for p in before} and "instagram" in before

    export = portal.export_of(office, "instagram_content")
    page.set_files("#berkas", [export, photo(tmp_path)])
    page.click_and_wait("form[action$='/unggah'] button[type=submit]")
    assert f"/kantor/{office}/unggahan/" in page.url()

    verdicts = page.eval(VERDICTS)
    by_status = {v["status"]: v for v in verdicts}
    assert set(by_status) == {"loaded", "refused"}, verdicts
    good = by_status["loaded"]["text"]
    assert "diterima" in good and "ekspor konten Instagram" in good and "platform Instagram" in good
    handle = next(a.handle for a in __import__("medsos.registry", fromlist=["x"]).load_accounts(portal.settings.accounts)
                  if a.office_code == office and a.platform == "instagram")
    assert f"@{handle}" in good
    assert f"di minggu {ENDED} (minggu ini)" in good
    assert "Salah akun" not in good and "tidak memuat postingan" not in good
    bad = by_status["refused"]["text"]
    assert "IMG_20241120_0931.jpg" in bad and "tidak disimpan" in bad and "foto (JPEG)" in bad

    after = page.eval(CHECKLIST)
    assert after["instagram"] == "ya" and all(v == "tidak" for p, v in after.items() if p != "instagram")
    assert (portal.settings.landing / ENDED / office / export.name).read_bytes() == export.read_bytes()
    assert not (portal.settings.landing / ENDED / office / "IMG_20241120_0931.jpg").exists()
    assert page.overflow() <= 0, f"the verdict page is wider than {width} px"
    keep(page.screenshot(tmp_path / f"portal_unggahan_{width}.png"))


@pytest.mark.parametrize("width", sorted(SCREENS))
def test_a_province_sorts_the_office_table_and_downloads_it(portal, browser, tmp_path, width):
    from openpyxl import load_workbook

    height, mobile = SCREENS[width]
    downloads = tmp_path / "unduhan"
    page = browser.page(width, height, mobile, downloads=downloads)
    sign_in(page, portal, "jatim")
    assert page.url().endswith("/provinsi/35")
    assert PUBLISHED_WEEK in page.eval("document.querySelector('h2').innerText")
    rows = "[...document.querySelectorAll('#kantor tr')].slice(1).map(tr => [...tr.cells].map(c => c.textContent.trim()))"
    table = page.eval(rows)
    assert len(table) > 100  # 38 offices, up to five platforms each

    def posts(t):
        return [int(r[4].replace(".", "")) for r in t if r[4] != "–"]

    page.click_and_wait("#kantor th a[href*='urut=postingan']")
    up = posts(page.eval(rows))
    assert up == sorted(up) and len(up) > 50
    page.click_and_wait("#kantor th a[href*='urut=postingan']")
    down = posts(page.eval(rows))
    assert down == sorted(down, reverse=True) and "▼" in page.eval("document.querySelector('#kantor th a[href*=\"urut=postingan\"]').innerText")
    assert page.overflow() <= 0, f"the province page is wider than {width} px"
    keep(page.screenshot(tmp_path / f"portal_provinsi_{width}.png"))

    name = page.download("#unduh-xlsx")
    assert name == f"kantor_35_{PUBLISHED_WEEK}.xlsx"
    sheet = load_workbook(downloads / name, read_only=True).worksheets[0]
    got = list(sheet.iter_rows(values_only=True))
    shown = page.eval(rows)
    assert got[0][:5] == ("Kantor", "Kode", "Platform", "Ekspor", "Postingan")
    assert len(got) - 1 == len(shown)
    assert [str(r[1]) for r in got[1:]] == [r[1] for r in shown]  # the same order as on screen
    assert [r[4] for r in got[1:5]] == [int(r[4].replace(".", "")) if r[4] != "–" else None for r in shown[:4]]


def test_the_weeks_email_as_a_page(portal, browser, tmp_path):
    page = browser.page(390, 844, True)
    sign_in(page, portal, "jatim")
    page.click_and_wait("a[href^='/ringkasan/35']")
    text = page.eval("document.body.innerText")
    assert "Jawa Timur" in text and PUBLISHED_WEEK in page.eval("document.title + document.body.innerText")
    assert page.eval("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.overflow() <= 0
    keep(page.screenshot(tmp_path / "portal_ringkasan_390.png"))
