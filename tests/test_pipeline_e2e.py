"""The whole weekly job (the library path the CLI and the DAG share) on the generated
Jawa Timur sample, checked against what the generator put in."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from medsos import weeks
from medsos.pipeline import run_week
from medsos.sample import CASES, build_plan, write_sample


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("e2e")
    settings = settings_for(root)
    plan = build_plan()
    write_sample(settings.landing, plan)
    results = [run_week(settings, w) for w in plan.weeks]
    con = duckdb.connect(str(settings.published), read_only=True)
    yield settings, plan, results, con
    con.close()


def q(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_every_file_loads_and_nothing_is_quarantined(loaded):
    settings, plan, results, con = loaded
    assert sum(r["files_processed"] for r in results) == len(plan.requests)
    statuses = dict(q(con, "select status, count(*) from raw.files group by all"))
    assert statuses == {"loaded": len(plan.requests)}
    assert q(con, "select count(*) from raw.quarantine") == [(0,)]


def test_each_run_leaves_data_docs_pages_of_its_three_suites(loaded):
    settings, plan, results, con = loaded
    site = settings.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site"
    index = (site / "index.html").read_text()
    for suite in ("files", "post_snapshots", "account_daily"):
        pages = sorted((site / "validations" / suite).glob("*/*/*.html"))
        # every weekly run validated each suite once (the sample has fewer weeks than are kept)
        assert len(pages) == len(plan.weeks), suite
        assert all(p.relative_to(site).parent.as_posix() in index for p in pages), suite


def test_cadence_posts_match_the_generator(loaded):
    settings, plan, results, con = loaded
    rows = q(
        con,
        "select office_code, platform, iso_week, data_status, posts from marts.weekly_cadence",
    )
    assert len(rows) == len(plan.accounts) * len(plan.weeks)
    expected_posts = Counter(
        (p.office_code, p.platform, weeks.week_of(p.published_local)) for p in plan.posts
    )
    for office, platform, week, status, posts in rows:
        if plan.delivered(office, platform, week):
            assert status == "reported", (office, platform, week)
            assert posts == expected_posts[(office, platform, week)], (office, platform, week)
        else:
            assert status == "missing", (office, platform, week)
            assert posts is None, "a missing export is unknown, not zero"


def test_office_without_export_is_missing_not_zero(loaded):
    settings, plan, results, con = loaded
    office, index = CASES["missing_delivery"]
    week = plan.weeks[index]
    rows = q(
        con,
        """select platform, data_status, posts, met_weekly_minimum, posts_seen_in_other_exports
           from marts.weekly_cadence where office_code = ? and iso_week = ? order by platform""",
        [office, week],
    )
    assert len(rows) == 5
    assert all(r[1] == "missing" and r[2] is None for r in rows)
    # the minimum is met where the next week's exports (which reach back) show a post of
    # this week, and unknown otherwise; never false for a week nobody reported
    assert all(r[3] is (True if r[4] >= 1 else None) for r in rows), rows
    # the week before and after were delivered
    assert q(
        con,
        "select distinct data_status from marts.weekly_cadence where office_code = ? and iso_week = ?",
        [office, plan.weeks[index + 1]],
    ) == [("reported",)]


def test_silent_week_is_reported_with_zero_posts(loaded):
    settings, plan, results, con = loaded
    office, platform, index = CASES["silent_weeks"][0]
    row = q(
        con,
        """select data_status, posts, met_weekly_minimum from marts.weekly_cadence
           where office_code = ? and platform = ? and iso_week = ?""",
        [office, platform, plan.weeks[index]],
    )
    assert row == [("reported", 0, False)]


def test_office_without_tiktok_has_no_tiktok_rows(loaded):
    settings, plan, results, con = loaded
    office = CASES["no_tiktok_office"]
    assert q(con, "select count(*) from marts.weekly_cadence where office_code = ? and platform = 'tiktok'", [office]) == [(0,)]
    assert q(con, "select count(*) from marts.weekly_cadence where office_code = ?", [office]) == [(4 * len(plan.weeks),)]


def test_overposting_and_overtagging(loaded):
    settings, plan, results, con = loaded
    office, platform, day, n = CASES["overposting"]
    week = weeks.week_of(__import__("datetime").date.fromisoformat(day))
    expected_max = max(
        Counter(p.published_local.date() for p in plan.posts_in_week(office, platform, week)).values()
    )
    (row,) = q(
        con,
        """select max_posts_in_a_day, overposting_days from marts.weekly_cadence
           where office_code = ? and platform = ? and iso_week = ?""",
        [office, platform, week],
    )
    assert row[0] == expected_max >= n
    assert row[1] >= 1
    tagged = CASES["overtagged_office"]
    rows = q(
        con,
        """select posts, overtagged_posts from marts.weekly_cadence
           where office_code = ? and platform <> 'youtube' and data_status = 'reported'""",
        [tagged],
    )
    assert rows and all(posts == overtagged for posts, overtagged in rows)


def test_content_categories_follow_the_lexicon(loaded):
    settings, plan, results, con = loaded
    got = dict(
        q(
            con,
            """select content_category, count(*) from core.posts
               where iso_week between ? and ? group by all""",
            [plan.weeks[0], plan.weeks[-1]],
        )
    )
    exported = {r.post.post_id: r.post for req in plan.requests for r in req.rows}
    want = Counter(p.category for p in exported.values() if weeks.week_of(p.published_local) in plan.weeks)
    assert got == dict(want)


def test_same_post_in_two_exports_keeps_history_and_latest_wins(loaded):
    settings, plan, results, con = loaded
    rows = q(
        con,
        """select s.platform, s.post_id, count(*) as n, max(s.likes) as max_likes,
                  arg_max(s.likes, s.snapshot_at) as latest_likes, any_value(p.likes) as post_likes
           from core.post_snapshots s join core.posts p using (platform, office_code, post_id)
           where s.platform = 'instagram' group by all having count(*) > 1""",
    )
    assert len(rows) > 50
    for _platform, _post, n, max_likes, latest_likes, post_likes in rows:
        assert n == 2
        assert post_likes == latest_likes == max_likes


def test_province_activity_is_met_over_expected(loaded):
    settings, plan, results, con = loaded
    week = plan.weeks[CASES["missing_delivery"][1]]
    (expected, met, pct) = q(
        con,
        """select count(*), count(*) filter (where met_weekly_minimum), 0
           from marts.weekly_cadence c join core.offices o using (office_code)
           where o.province_code = '35' and o.level in ('kabupaten','kota')
             and iso_week = ? and platform = 'instagram'""",
        [week],
    )[0]
    (row,) = q(
        con,
        """select offices_expected, offices_met_minimum, offices_missing, posting_activity_pct
           from marts.province_weekly where province_code = '35' and platform = 'instagram' and iso_week = ?""",
        [week],
    )
    assert row[0] == expected == 38
    assert row[1] == met
    assert row[2] == 1
    assert row[3] == round(100 * met / expected, 1)
    per_platform = q(
        con,
        """select posting_activity_pct from marts.province_weekly
           where province_code = '35' and iso_week = ? and platform <> 'all'""",
        [week],
    )
    (all_pct,) = q(
        con,
        "select posting_activity_pct from marts.province_weekly where province_code = '35' and iso_week = ? and platform = 'all'",
        [week],
    )[0]
    assert all_pct == round(sum(r[0] for r in per_platform) / len(per_platform), 1)


def test_weekly_email_rendered_for_jawa_timur(loaded):
    settings, plan, results, con = loaded
    week = plan.weeks[-1]
    eml = settings.outbox / week / f"ringkasan_35_{week}.eml"
    assert eml.exists()
    import email
    from email import policy

    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith(f"Ringkasan Medsos KPU Provinsi Jawa Timur — Minggu {week}")
    html = msg.get_body(("html",)).get_content()
    (pct,) = q(con, "select posting_activity_pct from marts.province_weekly where province_code='35' and iso_week=? and platform='all'", [week])[0]
    assert f"{pct:.1f}%".replace(".", ",") in html


def _snapshot(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name in ('raw','core','marts')"
                " and table_name not in ('runs', 'validation_results')"
            ).fetchall()
        ]
        out = {}
        for t in sorted(tables):
            cols = [c for c in con.sql(f"select * from {t} limit 0").columns if c not in ("run_id", "processed_at")]
            out[t] = sorted(map(repr, con.sql(f"select {', '.join(cols)} from {t}").fetchall()))
        return out
    finally:
        con.close()


def test_rerun_and_reprocess_give_identical_tables(loaded):
    settings, plan, results, con = loaded
    before = _snapshot(settings.published)
    again = run_week(settings, plan.weeks[-1])
    assert again["files_processed"] == 0
    assert _snapshot(settings.published) == before
    run_week(settings, plan.weeks[-1], reprocess=True)
    assert _snapshot(settings.published) == before
