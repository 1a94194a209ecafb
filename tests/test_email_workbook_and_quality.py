"""What the email and its workbook say about files, read by the people who act on them:
data-quality lines in Indonesian naming office and file once, a misnamed office folder
placed in the province of the office it most likely means, and the workbook opened as
Excel opens it (headers, values, number formats, links, filters)."""

from __future__ import annotations

import email
import io
import re
import shutil
from email import policy

import duckdb
import pytest

from medsos.pipeline import run_week
from medsos.report.reasons import Office, explain, likely_office
from medsos.report.summary import FOLLOW_UP_SHEET, gather
from medsos.sample import build_plan, write_sample

WEEK = "2024-W06"
OFFICES = [Office("35.07", "KPU Kabupaten Malang", "35"), Office("35.73", "KPU Kota Malang", "35"),
           Office("35.79", "KPU Kota Batu", "35"), Office("35.00", "KPU Provinsi Jawa Timur", "35"),
           Office("32.01", "KPU Kabupaten Bogor", "32"), Office("32.71", "KPU Kota Bogor", "32")]


@pytest.mark.parametrize("folder, code", [
    ("3507", "35.07"), ("35-07", "35.07"), ("35_7", "35.07"), ("35.7", "35.07"), ("35.07 Kab Malang", "35.07"),
    ("Kab Malang", "35.07"), ("KPU Kabupaten Malang", "35.07"), ("kota malang", "35.73"), ("kpu kota batu", "35.79"),
    ("Batu", "35.79"), ("Kab. Bogor", "32.01"), ("kab malng", "35.07"),
    ("Malang", None),  # the regency or the city: cannot tell
    ("35.99", None), ("minggu ini", None), ("", None),
])
def test_a_misnamed_folder_is_placed_by_the_office_it_most_likely_means(folder, code):
    found = likely_office(folder, OFFICES)
    assert (found.office_code if found else None) == code


@pytest.mark.parametrize("reason, words", [
    ("2024-W06/35.07/foto.jpg: binary content, not a CSV or XLSX export", "bukan CSV atau XLSX"),
    ("a/b/c.csv: not a known platform export. Its header row is 'a', 'b'. Expected one of: x.", "tidak cocok"),
    ("a/b/c.csv: 300 MB is far larger than an export of one office and week (limit 50 MB); export a shorter date range",
     "berkas 300 MB"),
    ("a/b/c.csv: a Meta Ads Manager report (money spent on paid ads), not an export", "Meta Ads Manager"),
    ("a/b/c.csv: instagram_content without the column(s) Post ID, Publish time", "kolom Post ID, Publish time"),
    ("A file must be recognised as one platform's export.", "berkas bukan ekspor platform yang dikenali"),
])
def test_every_known_reason_is_said_in_indonesian(reason, words):
    said = explain(reason, "a/b/c.csv")
    assert words in said and "a/b/c.csv" not in said
    assert not re.search(r"\b(not|the|file|export of)\b", said), said


def test_an_unforeseen_reason_keeps_its_technical_text():
    said = explain("x/y.csv: could not be read (KeyError: 'Likes'); the file was set aside", "x/y.csv")
    assert said.startswith("tidak dapat dibaca karena kesalahan yang tidak terduga")
    assert explain("something nobody foresaw", "") == "tidak dapat dimuat (keterangan teknis: something nobody foresaw)"


@pytest.fixture(scope="module")
def week(tmp_path_factory, settings_for):
    s = settings_for(tmp_path_factory.mktemp("quality"))
    write_sample(s.landing, build_plan(WEEK, WEEK))
    # Malang's admin named the folder by the office's name; a Bogor file sits misnamed too
    # ('3507' or '35.7' would load: the landing zone reads those as 35.07 already)
    (s.landing / WEEK / "35.07").rename(s.landing / WEEK / "KPU Kab Malang")
    bogor = s.landing / WEEK / "Kab Bogor"
    bogor.mkdir()
    shutil.copy(next((s.landing / WEEK / "35.06").glob("*.xlsx")), bogor / "Content.xlsx")
    (s.landing / WEEK / "35.06" / "foto_rapat.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2000)
    run_week(s, WEEK, send=True)
    con = duckdb.connect(str(s.published), read_only=True)
    yield s, con
    con.close()


def test_the_province_sees_its_misplaced_files_and_not_anothers(week):
    s, con = week
    province = gather(con, "35", "province", WEEK)
    lines = {d["file"]: d for d in province.data_quality}
    malang = [d for d in province.data_quality if d.get("folder") == "KPU Kab Malang"]
    assert malang and all(d["office_name"] == "KPU Kabupaten Malang" for d in malang)
    assert all("kemungkinan maksudnya KPU Kabupaten Malang (35.07): pindahkan berkas ke folder 2024-W06/35.07/"
               in d["text"] for d in malang)
    assert "nama folder 'KPU Kab Malang' bukan kode kantor KPU" in malang[0]["text"]
    assert not any(d.get("folder") == "Kab Bogor" for d in province.data_quality)
    photo = lines["foto_rapat.jpg"]
    assert (photo["office_name"], photo["severity"]) == ("KPU Kabupaten Kediri", "ditolak")
    assert photo["text"].startswith("ditolak: isinya bukan CSV atau XLSX (misalnya foto")
    call = {o["office_name"]: o["reason_text"] for o in province.to_call}
    assert call["KPU Kabupaten Malang"] == "ekspornya ada di folder yang salah ('KPU Kab Malang'), belum dihitung"
    # KPU RI sees every misplaced file, each with the office it most likely belongs to
    national = gather(con, "00", "national", WEEK)
    placed = {d["placed_office"] for d in national.data_quality if d.get("placed_office")}
    assert {"KPU Kabupaten Malang", "KPU Kabupaten Bogor"} <= placed


def _workbook(s, code):
    from openpyxl import load_workbook

    msg = email.message_from_bytes((s.outbox / WEEK / f"ringkasan_{code}_{WEEK}.eml").read_bytes(),
                                   policy=policy.default)
    part = next(p for p in msg.iter_attachments() if (p.get_filename() or "").endswith(".xlsx"))
    return load_workbook(io.BytesIO(part.get_content()))


def test_the_html_names_office_and_file_once_in_indonesian(week):
    s, _ = week
    html = (s.outbox / WEEK / f"ringkasan_35_{WEEK}.html").read_text(encoding="utf-8")
    line = re.search(r"<li[^>]*><b>KPU Kabupaten Kediri</b> · foto_rapat.jpg: ([^<]*)</li>", html)
    assert line and "2024-W06/35.06" not in line[1] and "binary" not in line[1]


def test_the_workbook_reads_as_excel_users_expect(week):
    s, _ = week
    wb = _workbook(s, "35")
    assert wb.sheetnames == [FOLLOW_UP_SHEET, "Aktivitas posting", "Peringkat kantor", "Per kantor", "Interaksi",
                             "Postingan", "Kualitas data"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}", ws.title
        headers = [c.value for c in ws[1]]
        snake = [h for h in headers if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", str(h))]
        assert not snake, (ws.title, snake)
    activity = wb["Aktivitas posting"]
    cols = {c.value: c.column for c in activity[1]}
    cell = activity.cell(2, cols["Aktivitas posting"])
    assert cell.number_format == "0.0%" and 0 <= cell.value <= 1
    assert activity.cell(2, cols["Platform"]).value == "Semua platform"
    per_office = wb["Per kantor"]
    cols = {c.value: c.column for c in per_office[1]}
    statuses = {per_office.cell(r, cols["Status ekspor"]).value for r in range(2, per_office.max_row + 1)}
    assert statuses == {"terkirim", "belum dikirim"}
    met = {per_office.cell(r, cols["Memenuhi minimal seminggu sekali"]).value for r in range(2, per_office.max_row + 1)}
    assert met <= {"ya", "tidak", None} and "ya" in met
    engagement = wb["Interaksi"]
    cols = {c.value: c.column for c in engagement[1]}
    rates = [engagement.cell(r, cols["Tingkat interaksi per tayangan"]) for r in range(2, engagement.max_row + 1)]
    assert any(c.value is not None for c in rates)
    assert all(c.number_format == "0.00%" for c in rates if c.value is not None)
    posts = wb["Postingan"]
    cols = {c.value: c.column for c in posts[1]}
    link = posts.cell(2, cols["Tautan"])
    assert link.hyperlink is not None and link.hyperlink.target == link.value and link.value.startswith("https://")
    assert posts.cell(2, cols["Kategori konten"]).value in {"Informasi pemilu", "Edukasi pemilih", "Berita kegiatan",
                                                         "Lainnya"}
    assert posts.column_dimensions[posts.cell(1, cols["Keterangan"]).column_letter].width >= 20
    quality = wb["Kualitas data"]
    rows = [[c.value for c in r] for r in quality.iter_rows(min_row=2)]
    assert any(r[0] == "KPU Kabupaten Malang" and "KPU Kab Malang" in r[1] for r in rows)
    to_call = wb[FOLLOW_UP_SHEET]
    assert [c.value for c in to_call[1]] == ["Kantor", "Alasan ditindaklanjuti", "Bobot (makin besar makin mendesak)"]


def test_content_reasons_formats_tags_and_handles_are_shown_as_the_tables_have_them(week):
    s, con = week
    summary = gather(con, "35", "province", WEEK)
    (posts, tagged, video) = con.execute(
        """select sum(posts), sum(posts_with_campaign_hashtag), sum(posts_video) from marts.weekly_cadence c
           join core.offices o using (office_code)
           where c.iso_week = ? and o.province_code = '35' and o.level in ('kabupaten', 'kota')""", [WEEK]).fetchall()[0]
    assert summary.campaign_hashtag_pct == round(100 * tagged / posts, 1)
    assert {f["label"]: f["posts"] for f in summary.format_mix}["video"] == video
    kegiatan = next(c for c in summary.content_mix if c["label"] == "Berita kegiatan")
    reasons = [r for (r,) in con.execute(
        "select content_category_reason from core.posts where iso_week = ? and content_category = 'kegiatan'",
        [WEEK]).fetchall()]
    assert kegiatan["words"] and all(any(w in r for r in reasons) for w in kegiatan["words"])
    flagged = {(h["office_name"], h["handle"]) for h in summary.handles_off_pattern}
    expected = set(con.execute(
        """select o.office_name, a.handle from core.accounts a join core.offices o using (office_code)
           where a.handle_follows_pattern = false and o.province_code = '35' and o.level in ('kabupaten', 'kota')"""
    ).fetchall())
    assert flagged == expected
    text = (s.outbox / WEEK / f"ringkasan_35_{WEEK}.html").read_text(encoding="utf-8")
    assert "kata penentu: " + ", ".join(kegiatan["words"]) in text
    assert f"Postingan dengan tagar kampanye resmi: {summary.campaign_hashtag_pct:.1f}%".replace(".", ",") in text
    if expected:
        assert "Nama akun tidak sesuai pola provinsi" in text
    posts_sheet = _workbook(s, "35")["Postingan"]
    headers = [c.value for c in posts_sheet[1]]
    assert {"Alasan kategori", "Format konten", "Bertagar kampanye resmi"} <= set(headers)
