"""The weekly report gathers every summary of a week at once (``gather_week``: one query
per section over all provinces, split by province in Python). Each summary must be the
one ``gather`` makes for its office alone (the portal's path), section by section, on a
warehouse of several provinces with the cases that split badly: a misnamed office
folder, a folder that names no office, a rejected file, a missing export."""

from __future__ import annotations

import email
import io
import shutil
import zipfile
from dataclasses import fields, replace
from email import policy

import pytest

from medsos import national
from medsos.pipeline import run_week
from medsos.report import render
from medsos.report.chart import activity_chart_png
from medsos.report.summary import Summary, gather, gather_week, recipients_of_summaries
from medsos.report.workbook import build_workbook
from medsos.warehouse import connect

WEEKS = national.week_range("2024-W05", 2)
WEEK = WEEKS[-1]
# three provinces with their provincial office and regencies/cities, KPU RI, and a city
# whose province office is not in the registry
CODES = ["00", "11", "11.01", "11.02", "32", "32.01", "32.71", "35", "35.07", "35.73", "81.01"]


@pytest.fixture(scope="module")
def published(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("gather_week")
    national.generate(root / "gen", WEEKS, national.select_offices(codes=CODES))
    s = replace(
        settings_for(root),
        landing=root / "gen" / "landing",
        accounts=root / "gen" / national.ACCOUNTS_CSV,
    )
    week = s.landing / WEEK
    # Kabupaten Bogor's admin named the folder by the office's name: placed in Jawa Barat
    (week / "32.01").rename(week / "KPU Kab Bogor")
    # a folder that names no office, but starts with Jawa Timur's code
    unnamed = week / "35.99 arsip"
    unnamed.mkdir()
    shutil.copy(next((week / "35.07").glob("*.csv")), unnamed / "lama.csv")
    (week / "11.01" / "foto_rapat.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2000)
    next((week / "35.73").iterdir()).unlink()  # one export of Kota Malang not sent
    for w in WEEKS:
        run_week(s, w)
    con = connect(s.published, read_only=True)
    yield con, s
    con.close()


def test_each_summary_gathered_at_once_is_the_one_gathered_alone(published):
    con, _ = published
    targets = recipients_of_summaries(con, WEEK)
    assert {code for code, _ in targets} >= {"00", "11", "32", "35"}
    together = gather_week(con, WEEK)
    assert [(s.office_code, s.scope) for s in together] == targets
    for s in together:
        alone = gather(con, s.office_code, s.scope, WEEK)
        for f in fields(Summary):
            assert getattr(s, f.name) == getattr(alone, f.name), (s.office_code, f.name)
    # a subset in another order gives the same summaries, in the order asked
    some = [("35", "province"), ("00", "national"), ("11", "province")]
    assert gather_week(con, WEEK, some) == [
        next(s for s in together if (s.office_code, s.scope) == t) for t in some
    ]

    by_code = {s.office_code: s for s in together}
    # the comparison is not between empty sections
    assert all(s.headline and s.chart_series and s.top_posts for s in together)
    assert all(s.top_offices and s.sheets[2][0] == "Peringkat kantor" for s in together if s.scope == "province")
    bogor = [d for d in by_code["32"].data_quality if d.get("placed_office") == "KPU Kabupaten Bogor"]
    assert bogor and bogor[0]["folder"] == "KPU Kab Bogor"
    assert any("folder yang salah" in o["reason_text"] for o in by_code["32"].to_call)
    assert any(d.get("placed_province") for d in by_code["00"].data_quality)
    assert any(d["relative_path"].startswith(f"{WEEK}/35.99 arsip/") for d in by_code["35"].data_quality)
    assert not any("35.99 arsip" in d["relative_path"] for d in by_code["11"].data_quality)
    assert any(d["severity"] == "ditolak" and "foto_rapat" in d["file"] for d in by_code["11"].data_quality)
    assert [m["office_name"] for m in by_code["35"].missing] == ["KPU Kota Malang"]


def test_each_summary_holds_its_own_offices_rows(published):
    """The rows split to a summary are its province's, all of them, read straight from
    the marts (no row lost or given to another province)."""
    con, _ = published
    for s in gather_week(con, WEEK):
        if s.scope == "province":
            offices = "province_code = ? and level in ('kabupaten', 'kota')"
            params = [s.office_code]
        else:
            offices = "level = 'provinsi' and ? = '00'"
            params = [s.office_code]
        sheets = {name: (columns, rows) for name, columns, rows in s.sheets}
        columns, rows = sheets["Per kantor"]
        expected = con.execute(
            f"""select * from marts.weekly_cadence where iso_week = ? and office_code in
                (select office_code from core.offices where {offices})""",
            [WEEK, *params],
        ).fetchall()
        assert sorted(rows) == sorted(expected), s.office_code
        assert columns == [d[0] for d in con.execute("select * from marts.weekly_cadence limit 0").description]
        posts = con.execute(
            f"""select count(*) from core.posts where iso_week = ? and office_code in
                (select office_code from core.offices where {offices})""",
            [WEEK, *params],
        ).fetchall()[0][0]
        assert len(sheets["Postingan"][1]) == posts, s.office_code
        assert posts > 0


def test_an_unknown_office_or_scope_is_named(published):
    con, _ = published
    with pytest.raises(ValueError, match="99.99"):
        gather(con, "99.99", "province", WEEK)
    with pytest.raises(ValueError, match="kabupaten"):
        gather(con, "35", "kabupaten", WEEK)


def _parts(workbook: bytes) -> dict[str, bytes]:
    """A workbook's parts (its ZIP entries' times aside)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("workbooks_by", ["both processes", "the worker"])
def test_the_charts_shared_between_two_processes_each_go_to_their_own_summary(
    published, monkeypatch, workbooks_by
):
    """render_week draws the charts in a worker process and in its own, from both ends of
    the week's summaries, and shares the workbooks the same way: each email carries its own
    summary's chart, workbook and name."""
    con, settings = published
    monkeypatch.setattr(render, "CHARTS_IN_A_WORKER_FROM", 2)  # a worker for these few too
    if workbooks_by == "the worker":
        # this process takes none: every workbook comes back from the worker
        monkeypatch.setattr(render, "from_both_ends", lambda futures, run_here, n: ([None] * n, [False] * n))
    summaries = gather_week(con, WEEK)
    written = render.render_week(settings, WEEK)
    assert [p.name for p in written] == [f"ringkasan_{s.office_code}_{WEEK}.eml" for s in summaries]
    charts = []
    books: set[bytes] = set()
    for s, path in zip(summaries, written, strict=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["Subject"] == s.subject
        png = next(p for p in msg.walk() if p.get_content_type() == "image/png").get_payload(decode=True)
        assert png == activity_chart_png(s.chart_series, render.chart_title(s)), s.office_code
        assert path.with_suffix(".png").read_bytes() == png
        attachment = next(msg.iter_attachments())
        assert attachment.get_filename() == render.attachment_name(s)
        book = _parts(attachment.get_payload(decode=True))
        assert book == _parts(build_workbook(s.sheets)), s.office_code
        books.add(book["xl/worksheets/sheet1.xml"])
        charts.append(png)
    # the summaries' charts and workbooks differ, so one given to another would show above
    assert len(set(charts)) > 1
    assert len(books) == len(summaries)
