"""The email's "Perlu ditindaklanjuti": one line per office with every reason to call it,
worst first; a week without data says so and nothing else."""

from __future__ import annotations

import duckdb

from medsos.pipeline import run_week
from medsos.report.render import render
from medsos.report.summary import follow_up, gather, spoken_list
from medsos.sample import build_plan, write_sample


def row(office, platform, status="reported", met=True, overposting=0, most=1, tagged=0):
    return {"office_name": office, "platform": platform, "data_status": status, "met_weekly_minimum": met,
            "overposting_days": overposting, "max_posts_in_a_day": most, "overtagged_posts": tagged}


def test_one_line_per_office_with_every_reason_worst_first():
    rows = [
        row("KPU Kabupaten Blitar", "x", met=False), row("KPU Kabupaten Blitar", "tiktok", met=False),
        row("KPU Kabupaten Blitar", "youtube", status="missing", met=None),
        row("KPU Kabupaten Blitar", "instagram", overposting=1, most=7),
        row("KPU Kota Batu", "instagram", tagged=3), row("KPU Kota Batu", "x"),
        row("KPU Kabupaten Gresik", "instagram"), row("KPU Kabupaten Gresik", "x"),  # nothing to say
        row("KPU Kabupaten Malang", "instagram", status="missing", met=None),
        row("KPU Kabupaten Malang", "x", status="missing", met=None),
    ]
    got = [(o["office_name"], o["reason_text"]) for o in follow_up(rows)]
    assert got == [
        ("KPU Kabupaten Blitar", "ekspor YouTube belum dikirim; tidak memposting di X dan TikTok; "
                                 "7 unggahan dalam sehari di Instagram"),
        ("KPU Kabupaten Malang", "belum mengirim ekspor apa pun"),
        ("KPU Kota Batu", "3 postingan dengan tagar berlebih"),
    ]
    assert spoken_list(["A", "B", "C"]) == "A, B dan C" and spoken_list(["A"]) == "A"


def test_a_week_without_any_export_says_so_and_nothing_else(settings):
    write_sample(settings.landing, build_plan("2024-W06", "2024-W06"))
    run_week(settings, "2024-W06", send=False)
    run_week(settings, "2024-W07", send=False)  # nobody sent anything for 2024-W07
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        quiet = gather(con, "35", "province", "2024-W07")
        normal = gather(con, "35", "province", "2024-W06")
    finally:
        con.close()
    html, text = render(quiet)
    assert quiet.offices_reported == 0
    assert "Belum ada data untuk minggu ini: tidak satu pun dari 38 kantor KPU kabupaten/kota mengirim ekspor." in text
    assert "Semua 38 kantor belum mengirim ekspor untuk minggu ini." in text
    for contradiction in ("Aktivitas posting rata-rata", "memposting minimal sekali", "belum mengirim ekspor apa pun"):
        assert contradiction not in text and contradiction not in html, contradiction
    # a week with data names each office once, with all its reasons
    html, text = render(normal)
    assert normal.offices_reported == 38 and "Aktivitas posting rata-rata" in text
    assert "poin dari minggu lalu" not in text or " naik " in text or " turun " in text
    names = [o["office_name"] for o in normal.to_call]
    assert len(names) == len(set(names)) > 0
    first = normal.to_call[0]
    assert f"1. {first['office_name']}: {first['reason_text']}" in text


def test_changes_and_file_lines_read_as_people_say_them():
    from medsos.report.reasons import explain
    from medsos.report.render import spoken_change

    assert spoken_change(1.6) == "naik 1,6 poin dari minggu lalu"
    assert spoken_change(-1.64) == "turun 1,6 poin dari minggu lalu"
    assert spoken_change(0.0) == "sama dengan minggu lalu" and spoken_change(None) == ""
    path = "2024-W07/35.99/Content.xlsx"
    reason = f"{path}: {path}: folder '35.99' names no KPU office"
    said = explain(reason, path)
    assert said == "nama folder '35.99' bukan kode kantor KPU (contoh: 35.07); berkas tidak dimuat"
    assert path not in said
