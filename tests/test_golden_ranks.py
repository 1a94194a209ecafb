"""Golden test of the two evaluation rules a province acts on: "too many uploads in one
day" and the ranking of its offices, with every expected value worked out by hand.

Six offices of Jawa Timur, week 2024-W08 (Mon 19 - Sun 25 Feb 2024, WIB), the threshold
of evaluation.toml (a day with MORE than 3 posts on one platform is an over-posting day):

office       platforms   posts this week                          met  activity  posts
Malang       IG, X       IG: 4 on Wed 21 Feb (over), X: 1          2/2  100 %     5
Kediri       IG, X       IG: 3 on Tue 20 Feb (exactly 3: fine), X: 1   2/2  100 %     4
Tulungagung  IG, X       IG: 3 on three days, X: 1                 2/2  100 %     4
Ponorogo     IG          IG: 1                                     1/1  100 %     1
Pacitan      IG, X       IG: 2, X: export with no post             1/2   50 %     2
Trenggalek   IG, X       no export at all                          0/2    0 %     -

Ranks by activity, then posts: Malang 1; Kediri and Tulungagung share 2; Ponorogo 4
(100 % on its one platform ranks above Pacitan's 50 % although Pacitan posted more);
Pacitan 5; Trenggalek 6. A changed threshold (>= 3, or 4) or a reversed order fails here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest
from instagram_exports import IG_HEADER, meta_time

from medsos.pipeline import run_week
from medsos.report.render import render
from medsos.report.summary import gather

WEEK = "2024-W08"
OFFICES = {"35.07": "kpu_kabmalang", "35.06": "kpu_kabkediri", "35.04": "kpu_tulungagung",
           "35.02": "kpu_ponorogo", "35.01": "kpu_pacitan", "35.03": "kpu_trenggalek"}
X_HEADER = "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,Replies,Reposts\n"
TWITTER_EPOCH_MS = 1288834974657


def ig(handle: str, post_id: str, local: str) -> str:
    return (f'{post_id},900,{handle},"{handle}","Info tahapan pemilu",0,{meta_time(local)},'
            f"https://www.instagram.com/p/{post_id}/,IG image,,Lifetime,100,50,5,0,0,1,0\n")


def x_post(handle: str, local: str, n: int) -> str:
    """A post whose id encodes ``local`` (WIB) as X's ids encode their instant."""
    at = datetime.strptime(local, "%m/%d/%Y %H:%M").replace(tzinfo=ZoneInfo("Asia/Jakarta"))
    post_id = ((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) + n
    return (f'{post_id},"{at:%a, %b %d, %Y}",Info tahapan,https://x.com/{handle}/status/{post_id},'
            "100,5,8,0,1,1,1\n")


def drop(landing, office: str, name: str, text: str) -> None:
    folder = landing / WEEK / office
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def week(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("golden_ranks")
    accounts = root / "accounts.csv"
    lines = ["office_code,platform,handle"]
    for code, handle in OFFICES.items():
        lines.append(f"{code},instagram,{handle}")
        if code != "35.02":
            lines.append(f"{code},x,{handle}")
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    s = replace(settings_for(root), accounts=accounts)
    L = s.landing
    drop(L, "35.07", "ig.csv", IG_HEADER + "".join(
        ig("kpu_kabmalang", f"71{i}", f"02/21/2024 {8 + i:02d}:00") for i in range(4)))
    drop(L, "35.07", "x.csv", X_HEADER + x_post("kpu_kabmalang", "02/22/2024 10:00", 1))
    drop(L, "35.06", "ig.csv", IG_HEADER + "".join(
        ig("kpu_kabkediri", f"61{i}", f"02/20/2024 {8 + i:02d}:00") for i in range(3)))
    drop(L, "35.06", "x.csv", X_HEADER + x_post("kpu_kabkediri", "02/22/2024 11:00", 2))
    drop(L, "35.04", "ig.csv", IG_HEADER + "".join(
        ig("kpu_tulungagung", f"41{i}", f"02/{19 + i}/2024 09:00") for i in range(3)))
    drop(L, "35.04", "x.csv", X_HEADER + x_post("kpu_tulungagung", "02/23/2024 12:00", 3))
    drop(L, "35.02", "ig.csv", IG_HEADER + ig("kpu_ponorogo", "211", "02/24/2024 09:00"))
    drop(L, "35.01", "ig.csv", IG_HEADER + ig("kpu_pacitan", "111", "02/19/2024 09:00")
         + ig("kpu_pacitan", "112", "02/25/2024 20:00"))
    drop(L, "35.01", "x.csv", X_HEADER)  # delivered, nothing posted
    run_week(s, WEEK, send=False)
    con = duckdb.connect(str(s.published), read_only=True)
    yield s, con
    con.close()


def test_a_day_with_exactly_the_threshold_is_not_over_posting_and_one_more_is(week):
    _, con = week
    got = con.execute(
        """select office_code, posts, max_posts_in_a_day, overposting_days from marts.weekly_cadence
           where platform = 'instagram' and iso_week = ? and office_code in ('35.06', '35.07')
           order by office_code""", [WEEK]).fetchall()
    assert got == [("35.06", 3, 3, 0), ("35.07", 4, 4, 1)]


def test_offices_rank_by_activity_then_posts_and_ties_share_a_rank(week):
    _, con = week
    got = con.execute(
        """select office_code, posting_activity_pct, posts_reported, rank_in_province, offices_sharing_rank
           from marts.office_ranks where iso_week = ? order by rank_in_province, office_code""", [WEEK]).fetchall()
    assert got == [
        ("35.07", 100.0, 5, 1, 1),
        ("35.04", 100.0, 4, 2, 2),
        ("35.06", 100.0, 4, 2, 2),
        ("35.02", 100.0, 1, 4, 1),
        ("35.01", 50.0, 2, 5, 1),
        ("35.03", 0.0, None, 6, 1),
    ]


def test_the_province_row_says_what_each_figure_means(week):
    _, con = week
    rows = {r[0]: r[1:] for r in con.execute(
        """select platform, offices_expected, offices_met_minimum, pct_offices_met_minimum, posting_activity_pct
           from marts.province_weekly where province_code = '35' and iso_week = ?""", [WEEK]).fetchall()}
    # Instagram: 5 of 6 posted (Trenggalek sent nothing); X: 3 of 5 (Pacitan none, Trenggalek missing)
    assert rows["instagram"] == (6, 5, 83.3, 83.3)
    assert rows["x"] == (5, 3, 60.0, 60.0)
    # all: 4 offices met it on every platform they have (Malang, Kediri, Tulungagung, Ponorogo)
    # = 66.7 % of offices; the province's figure is the mean of the platforms, (83.3 + 60) / 2
    assert rows["all"] == (6, 4, 66.7, 71.7)


def test_the_email_names_the_offices_the_tables_rank(week):
    _, con = week
    s = gather(con, "35", "province", WEEK)
    html, text = render(s)
    assert ("Teratas: 1. KPU Kabupaten Malang (100,0%, 5 postingan); 2 (seri). KPU Kabupaten Kediri "
            "(100,0%, 4 postingan); 2 (seri). KPU Kabupaten Tulungagung (100,0%, 4 postingan)") in text
    assert ("Terbawah: 6. KPU Kabupaten Trenggalek (0,0%, – postingan); 5. KPU Kabupaten Pacitan "
            "(50,0%, 2 postingan); 4. KPU Kabupaten Ponorogo (100,0%, 1 postingan)") in text
    assert "Aktivitas posting rata-rata 71,7% (rata-rata 5 platform" not in text  # two platforms here
    assert "Aktivitas posting rata-rata 71,7% (rata-rata 2 platform)" in text
    assert "4 dari 6 kantor KPU kabupaten/kota memposting minimal seminggu sekali di semua platformnya." in text
    calls = {o["office_name"]: o["reason_text"] for o in s.to_call}
    assert calls == {
        "KPU Kabupaten Trenggalek": "belum mengirim ekspor apa pun",
        "KPU Kabupaten Pacitan": "tidak memposting di X",
        "KPU Kabupaten Malang": "4 unggahan dalam sehari di Instagram",
    }
    assert [o["office_name"] for o in s.to_call][0] == "KPU Kabupaten Trenggalek"
