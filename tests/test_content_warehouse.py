"""The provinces' other criteria in the tables, on a small hand-made dataset: the words
that decided each post's category, official campaign hashtags, the format mix and the
handle pattern, through the real pipeline (parse, validate, load, build, publish)."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest
from instagram_exports import meta_time
from test_warehouse_golden import drop

from medsos.pipeline import run_week


def ig(post_id, handle, caption, published, post_type="IG image"):
    return (
        f'{post_id},900,{handle},"{handle}","{caption}",0,{meta_time(published, "Asia/Jakarta")},'
        f"https://www.instagram.com/p/{post_id}/,{post_type},,Lifetime,100,50,10,0,0,1,0\n"
    )


@pytest.fixture
def built(settings, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "office_code,platform,handle\n35.06,instagram,kpu_kabkediri\n35.07,instagram,admin.malang88\n",
        encoding="utf-8",
    )
    s = replace(settings, accounts=accounts)
    drop(s.landing, "2024-W08", "35.06", "kediri.csv", [
        ig("5001", "kpu_kabkediri", "Rapat koordinasi persiapan pilkada. Dihadiri PPK se-Kabupaten Kediri #TemanPemilih",
           "02/19/2024 09:00", "IG carousel"),
        ig("5002", "kpu_kabkediri", "#CekDPT sekarang juga!", "02/20/2024 09:00", "IG reel"),
        ig("5003", "kpu_kabkediri", "Ojo golput, rek! #kpumelayani", "02/21/2024 09:00"),
        ig("5004", "kpu_kabkediri", "Selamat pagi Kediri", "02/22/2024 09:00", "IG story"),
    ], "kpu_kabkediri")
    drop(s.landing, "2024-W08", "35.07", "malang.csv", [
        ig("6001", "admin.malang88", "Apel pagi jajaran sekretariat", "02/19/2024 07:00"),
    ], "admin.malang88")
    run_week(s, "2024-W08")
    con = duckdb.connect(str(s.published), read_only=True)
    yield s, con
    con.close()


def test_posts_carry_their_category_reason_campaign_tag_and_format(built):
    s, con = built
    rows = {r[0]: r[1:] for r in con.execute(
        """select post_id, content_category, content_category_reason, has_campaign_hashtag, content_format
           from core.posts""").fetchall()}
    assert rows["5001"] == ("kegiatan", "kegiatan: rapat koordinasi (awal judul), dihadiri", True, "carousel")
    assert rows["5002"] == ("informasi_pemilu", "informasi_pemilu: cek dpt (tagar)", False, "video")
    assert rows["5003"][0] == "edukasi" and rows["5003"][2:] == (True, "image")
    assert rows["5004"] == ("lainnya", "lainnya: tidak ada kata kunci kategori", False, "other")
    assert rows["6001"][0] == "kegiatan"


def test_weekly_cadence_has_the_campaign_share_format_mix_and_handle_flag(built):
    s, con = built
    got = con.execute(
        """select office_code, posts, posts_with_campaign_hashtag, campaign_hashtag_share,
                  posts_video, posts_image, posts_carousel, posts_text, posts_other_format,
                  handle_follows_pattern
           from marts.weekly_cadence where iso_week = '2024-W08' order by office_code"""
    ).fetchall()
    assert got == [
        ("35.06", 4, 2, 0.5, 1, 1, 1, 0, 1, True),
        ("35.07", 1, 0, 0.0, 0, 1, 0, 0, 0, False),
    ]
    accounts = con.execute(
        "select handle, handle_pattern is not null, handle_follows_pattern from core.accounts order by handle"
    ).fetchall()
    assert accounts == [("admin.malang88", True, False), ("kpu_kabkediri", True, True)]


def test_the_lexicon_and_campaign_tags_are_visible_to_staff(built):
    s, con = built
    (names,) = con.execute(
        "select count(*) from core.content_lexicon where category = 'nama_lembaga'").fetchall()[0]
    assert names > 10
    assert con.execute(
        "select matched_on from core.content_lexicon where keyword = 'menghadiri'").fetchall() == [("kata dasar: hadir",)]
    assert ("temanpemilih",) in con.execute("select hashtag from core.campaign_hashtags").fetchall()


def test_running_again_changes_nothing(built):
    s, con = built
    before = sorted(map(repr, con.execute("select * from core.posts").fetchall()))
    con.close()
    assert run_week(s, "2024-W08")["files_processed"] == 0
    con2 = duckdb.connect(str(s.published), read_only=True)
    try:
        assert sorted(map(repr, con2.execute("select * from core.posts").fetchall())) == before
    finally:
        con2.close()
