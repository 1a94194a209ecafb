"""The content classifier (medsos/content.py) against the hand-labelled evaluation set of
real official KPU/KIP posts (tests/fixtures/content/), and its parts one by one.

``pytest -s tests/test_content_classifier.py`` prints accuracy and per-category
precision/recall on the tuning part and the held-out part (never tuned on).
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from medsos import content
from medsos.config import PACKAGE_DIR, Evaluation
from medsos.content import SURFACE, Classifier, Lexicon, split_hashtag, stem, tokens

SET = Path(__file__).parent / "fixtures" / "content" / "evaluation_set.csv"


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return Evaluation.load(PACKAGE_DIR / "evaluation.toml")


@pytest.fixture(scope="module")
def packaged(evaluation) -> Classifier:
    return Classifier(Lexicon.from_evaluation(evaluation))


def lexicon(**keywords) -> Classifier:
    body = keywords.pop("body_names", ())
    return Classifier(Lexicon.build(["kegiatan", "informasi_pemilu", "edukasi", "lainnya"], keywords, body))


# --------------------------------------------------------------------------- the evaluation set


def test_the_evaluation_set_is_large_varied_and_sourced():
    rows = list(csv.DictReader(SET.open(encoding="utf-8")))
    assert len(rows) >= 200
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["office"] for r in rows}) >= 30
    for r in rows:
        assert re.match(r"^https?://[^ ]+$", r["source_url"]), r["id"]
        assert r["title"] or r["opening"], r["id"]
        assert len(r["opening"]) <= 402, r["id"]  # an excerpt, not the article
        assert r["label"] in content.CATEGORIES and r["second_label"] in ("", *content.CATEGORIES)
        assert r["second_label"] != r["label"]
    labels = Counter(r["label"] for r in rows)
    assert all(labels[c] >= 10 for c in content.CATEGORIES), labels
    # every 4th post is held out of tuning
    assert [r["part"] for r in rows] == ["held_out" if i % 4 == 3 else "tuning" for i in range(len(rows))]


def test_accuracy_on_the_evaluation_set(evaluation):
    results = content.evaluate(evaluation, ("tuning", "held_out", "all"))
    print()
    for part, s in results.items():
        print(content.table(part, s))
    overall = results["all"]
    assert overall.accuracy >= 0.85, content.table("all", overall)
    assert overall.recall["kegiatan"] >= 0.85, content.table("all", overall)


def test_the_command_prints_the_same_figures(evaluation, capsys):
    assert content.main(["--evaluate", "--evaluation", str(PACKAGE_DIR / "evaluation.toml")]) == 0
    out = capsys.readouterr().out
    held = content.evaluate(evaluation, ("held_out",))["held_out"]
    assert f"held_out: {held.n} posts, accuracy {100 * held.accuracy:5.1f}%" in out
    assert "tuning:" in out and "kegiatan" in out


def test_throughput_is_enough_for_a_national_year(evaluation):
    """A national year is about 100 000 posts; distinct captions are classified once each."""
    rows = content.load_evaluation_set()
    texts = [f"{content.post_text(rows[i % len(rows)])} nomor {i}" for i in range(5000)]
    lex = Lexicon.from_evaluation(evaluation)
    content.classify_texts(texts[:50], lex)  # the stemmer's dictionary, once per process
    started = time.perf_counter()
    content.classify_texts(texts, lex)
    rate = len(texts) / (time.perf_counter() - started)
    print(f"\n{rate:,.0f} posts/second")
    assert rate > 1000


# --------------------------------------------------------------------------- the parts


def test_camelcase_hashtags_are_read_as_words():
    assert split_hashtag("CekDPT") == ["cek", "dpt"]
    assert split_hashtag("JanganGolput") == ["jangan", "golput"]
    assert split_hashtag("KPUMelayani") == ["kpu", "melayani"]
    assert split_hashtag("Pemilu2024") == ["pemilu", "2024"]
    assert split_hashtag("ayomemilih") == ["ayomemilih"]
    clf = lexicon(informasi_pemilu=["cek dpt"], edukasi=["jangan golput"])
    assert clf.classify("#CekDPT").category == "informasi_pemilu"
    assert clf.classify("Sudah siap? #JanganGolput").category == "edukasi"


def test_words_are_reduced_to_their_root():
    assert stem("dihadiri") == stem("menghadiri") == stem("hadir") == "hadir"
    assert stem("mengikuti") == "ikut"
    assert stem("menggelar") == "gelar"
    clf = lexicon(kegiatan=["hadir", "ikut", "gelar"])
    for text in ("Acara dihadiri Bupati", "Ketua menghadiri pelantikan", "Staf mengikuti bimtek",
                 "KPU menggelar sosialisasi"):
        assert clf.classify(text).category == "kegiatan", text


def test_unicode_letters_are_kept():
    surfaces = [t[SURFACE] for t in tokens("Kampanye di Café Dëlta — ꦥꦼꦩꦶꦭꦸ")]
    assert "café" in surfaces and "dëlta" in surfaces
    assert any("ꦥ" in s for s in surfaces)  # Javanese script is a word, not erased


def test_names_of_election_bodies_are_not_topics():
    names = ["panitia pemungutan suara", "pps"]
    clf = lexicon(kegiatan=["rapat"], informasi_pemilu=["pemungutan suara"], body_names=names)
    v = clf.classify("Rapat Panitia Pemungutan Suara (PPS) Desa Sukamaju")
    assert v.category == "kegiatan" and "pemungutan" not in v.reason
    assert "informasi_pemilu" not in v.scores
    assert clf.classify("Panitia Pemungutan Suara Desa Sukamaju").category == "lainnya"
    # without the name list the same words would have counted as election information
    assert lexicon(informasi_pemilu=["pemungutan suara"]).classify(
        "Panitia Pemungutan Suara Desa Sukamaju").category == "informasi_pemilu"


def test_a_keyword_counts_once_and_the_longest_wins():
    clf = lexicon(kegiatan=["rapat"], informasi_pemilu=["rapat pleno", "dpt"], edukasi=["cek dpt"])
    v = clf.classify("Rapat pleno penetapan")
    assert v.category == "informasi_pemilu" and "kegiatan" not in v.scores
    v = clf.classify("Ayo cek DPT")
    assert v.category == "edukasi" and "informasi_pemilu" not in v.scores
    once = clf.classify("Rapat\nrapat rapat rapat")
    assert once.scores == {"kegiatan": 5.0}  # the title's first keyword, counted once


def test_the_title_weighs_more_than_the_rest():
    clf = lexicon(kegiatan=["rapat"], informasi_pemilu=["jadwal"])
    assert clf.classify("Jadwal kampanye diumumkan\nRapat digelar di aula.").category == "informasi_pemilu"
    assert clf.classify("Rapat koordinasi di aula\nMembahas jadwal.").category == "kegiatan"
    # without a line break the first sentence is the title
    assert clf.classify("Jadwal kampanye diumumkan. Rapat digelar di aula.").category == "informasi_pemilu"


def test_the_reason_names_the_deciding_words(packaged):
    v = packaged.classify("Rapat koordinasi persiapan Pilkada\nKegiatan ini dihadiri Bupati dan PPK.")
    assert v.category == "kegiatan"
    assert v.reason.startswith("kegiatan: rapat koordinasi (awal judul)")
    assert "dihadiri" in v.reason and "ppk" not in v.reason
    nothing = packaged.classify("Selamat pagi")
    assert (nothing.category, nothing.reason) == ("lainnya", "lainnya: tidak ada kata kunci kategori")


def test_regional_language_appeals_are_education(packaged):
    for text in ("Ojo golput, rek! 27 November nyoblos", "Ulah golput, sadayana!", "Aja golput ya"):
        v = packaged.classify(text)
        assert v.category == "edukasi", (text, v.reason)


def test_an_exact_keyword_matches_its_written_form_only(packaged):
    # "=pengumuman": its root "umum" would otherwise make every "pemilihan umum" information
    assert packaged.classify("Pemilihan umum itu pesta rakyat").category == "lainnya"
    assert packaged.classify("Pengumuman hasil seleksi PPS").category == "informasi_pemilu"


def test_real_posts_the_old_lexicon_got_wrong(packaged):
    cases = {
        # a meeting of an election body is an activity, not election information
        "PPS Desa Tegalrejo menggelar rapat kerja bersama Panitia Pemungutan Suara": "kegiatan",
        "KPU Purbalingga Gelar Rapat Koordinasi Persiapan Pemungutan dan Penghitungan Suara": "kegiatan",
        "Mudah dan Praktis, Ini Cara Cek Daftar Pemilih Tetap (DPT) Pilkada": "edukasi",
        "Pemilu Kian Dekat, Perlu Melatih Kebal Dari Hoaks": "edukasi",
        "Gugatan ke MK RI, Sumbar Siap Hadapi 13 Perkara di 11 Kabupaten/Kota": "informasi_pemilu",
        "KPU NTB Raih Dua Penghargaan Tingkat Nasional": "lainnya",
    }
    for text, want in cases.items():
        v = packaged.classify(text)
        assert v.category == want, (text, v.reason)


# --------------------------------------------------------------------------- settings


def test_a_word_under_two_categories_is_refused():
    # "menghadiri" reads as "hadir": the same word, so it may not decide two categories
    with pytest.raises(ValueError, match="menghadiri.*only one category"):
        Lexicon.build(["kegiatan", "edukasi"], {"kegiatan": ["hadir"], "edukasi": ["menghadiri"]})
    with pytest.raises(ValueError, match="weight"):
        Lexicon.build(["kegiatan"], {"kegiatan": ["rapat*0"]})


@pytest.mark.parametrize(
    "edit, message",
    [
        (("[accounts.handle_patterns]", '[accounts.handle_patterns]\n"35x" = "^kpu"'), "not a province code"),
        (("[accounts.handle_patterns]", '[accounts.handle_patterns]\n"11" = "^kpu(["'), "not a regular expression"),
        (('campaign = ["TemanPemilih"', 'campaign = ["Teman Pemilih"'), "not a hashtag"),
        (('priority = ["kegiatan"', 'priority = ["berita", "kegiatan"'), "may list only"),
    ],
)
def test_bad_evaluation_settings_are_named(tmp_path, edit, message):
    path = tmp_path / "evaluation.toml"
    text = (PACKAGE_DIR / "evaluation.toml").read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        Evaluation.load(path)
    assert str(path) in str(err.value)


def test_the_packaged_settings_load(evaluation):
    assert evaluation.handle_patterns["35"]
    assert "temanpemilih" in evaluation.campaign_hashtags and "kpumelayani" in evaluation.campaign_hashtags
    assert evaluation.lead_weight > evaluation.title_weight > 1 > evaluation.hashtag_weight


def test_words_and_hashtags_come_in_the_order_written():
    # one pattern reads both: a hashtag glued to a word, a lone '#', an underscore (one
    # line without a sentence's end: all title, the empty rest after the '|')
    got = [t[:2] for t in tokens("Rapat#CekDPT di_sini ## #_x #KPU2024")]
    assert got == [
        ("rapat", stem("rapat")),
        ("#", "#"),
        ("cek", "cek"),
        ("dpt", "dpt"),
        ("#", "#"),
        ("di", "di"),
        ("sini", "sini"),
        ("x", "x"),
        ("#", "#"),
        ("kpu", "kpu"),
        ("2024", "2024"),
        ("#", "#"),
        ("|", "|"),
    ]
