"""The weekly email as its readers see it, rendered by headless Debian chromium at a phone's
390 px and a desktop's 1280 px: a normal week and a week without any export. What is on
the first screen, the office-to-call list, the chart's legend size on screen, and no
horizontal scrolling."""

from __future__ import annotations

import os
import struct

import duckdb
import pytest

from medsos.pipeline import run_week
from medsos.report.chart import activity_chart_png
from medsos.report.render import render
from medsos.report.summary import gather
from medsos.sample import build_plan, write_sample

# What the reader sees, measured in the page (CSS pixels of the emulated screen)
PROBE = """(() => {
  const r = (el) => el ? el.getBoundingClientRect() : null;
  const h2 = [...document.querySelectorAll('h2')].map(h => [h.textContent.trim(), Math.round(r(h).top)]);
  const img = document.querySelector('img');
  const items = [...document.querySelectorAll('ol')][0];
  return {
    inner_width: window.innerWidth,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    headings: h2,
    first_screen: document.body.innerText.slice(0, 400),
    image_width: img ? img.getBoundingClientRect().width : null,
    call_items: items ? [...items.querySelectorAll('li')].map(li => li.innerText) : [],
    smallest_text_px: Math.min(...[...document.querySelectorAll('p, li, td')].map(
        e => parseFloat(getComputedStyle(e).fontSize))),
  };
})()"""


def chromium_or_skip() -> None:
    from cdp import chromium

    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs Debian's chromium")
        pytest.skip("chromium not installed (make test installs it)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from cdp import Browser

    chromium_or_skip()
    b = Browser(tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


def look(browser, html: str, folder, name: str, width: int) -> dict:
    """Open ``html`` on an emulated screen ``width`` CSS px wide (a phone below 600 px;
    a headless window alone cannot be narrower than 500 px): the page's measurements,
    and a screenshot of the whole page beside it."""
    page_file = folder / f"{name}_{width}.html"
    page_file.write_text(html, encoding="utf-8")
    page = browser.page(width, 844, mobile=width < 600)
    page.goto(page_file.as_uri())
    probe = page.eval(PROBE)
    assert probe["inner_width"] == width, probe["inner_width"]
    shot = page.screenshot(folder / f"{name}_{width}.png")
    assert shot.stat().st_size > 10_000
    return probe


@pytest.fixture(scope="module")
def weeks(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("email_browser")
    s = settings_for(root)
    write_sample(s.landing, build_plan("2024-W05", "2024-W06"))
    for week in ("2024-W05", "2024-W06", "2024-W07"):  # nobody sent anything for 2024-W07
        run_week(s, week, send=False)
    con = duckdb.connect(str(s.published), read_only=True)
    try:
        normal, quiet = gather(con, "35", "province", "2024-W06"), gather(con, "35", "province", "2024-W07")
    finally:
        con.close()
    folder = root / "screens"
    folder.mkdir()
    for summary in (normal, quiet):
        (folder / f"chart_{summary.week}.png").write_bytes(activity_chart_png(summary.chart_series, "Aktivitas"))
    return normal, quiet, folder


@pytest.mark.parametrize("width", [390, 1280])
def test_a_normal_week_on_screen(weeks, browser, width):
    normal, _, folder = weeks
    html, _ = render(normal, chart_src=f"chart_{normal.week}.png")
    probe = look(browser, html, folder, "normal", width)
    assert probe["overflow"] <= 0, f"{probe['overflow']} px wider than the screen"
    # the first screen: who it is for, the week, the province's figure and what it means
    first = probe["first_screen"]
    assert "Jawa Timur" in first and "Minggu 2024-W06" in first and "Aktivitas posting rata-rata" in first
    assert "memposting minimal seminggu sekali di semua platformnya" in first
    headings = dict(probe["headings"])
    assert headings["Perlu ditindaklanjuti"] < headings["Kualitas data"]
    # the office-to-call list: at most ten offices, each named once, with its reasons
    items = probe["call_items"]
    assert 0 < len(items) <= 10
    names = [i.split(":")[0] for i in items]
    assert len(names) == len(set(names)) and all(n.startswith("KPU ") for n in names)
    assert [o["office_name"] for o in normal.to_call[:10]] == names
    assert probe["smallest_text_px"] >= 12
    # the chart's legend as the reader sees it: drawn for 12 px at a 390 px width, and
    # never shrunk below that (the image is shown at most 600 px wide)
    png = (folder / f"chart_{normal.week}.png").read_bytes()
    image_px = struct.unpack(">I", png[16:20])[0]
    from medsos.report.chart import DPI, LEGEND_FONT_PT

    legend_px_in_image = LEGEND_FONT_PT * DPI / 72
    on_screen = legend_px_in_image * probe["image_width"] / image_px
    assert on_screen >= 12, on_screen


@pytest.mark.parametrize("width", [390, 1280])
def test_a_week_without_data_says_so_first_and_nothing_else(weeks, browser, width):
    _, quiet, folder = weeks
    html, _ = render(quiet, chart_src=f"chart_{quiet.week}.png")
    probe = look(browser, html, folder, "quiet", width)
    assert probe["overflow"] <= 0
    first = probe["first_screen"]
    assert "Belum ada data untuk minggu ini" in first
    assert "Aktivitas posting rata-rata" not in first and "memposting minimal" not in first
    assert probe["call_items"] == []  # not 38 lines of platform names
    # this week's figures are unknown, not 0 %; no ranking of offices that sent nothing
    assert "0,0%" not in html and "Peringkat kantor" not in html and "Teratas" not in html
    assert quiet.week not in {r["iso_week"] for r in quiet.chart_series}
    assert "Tidak ada berkas ekspor yang masuk minggu ini." in html and "lolos pemeriksaan" not in html
