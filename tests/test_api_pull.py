"""API pulls against a real HTTP server on loopback (tests/api_server.py), through the
same parse -> validate -> load path as exports.

Office 35.06 (KPU Kabupaten Kediri) has connected all five platforms; 35.07 (Malang)
only Facebook. Every list is longer than the server's page size, so every pull pages.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from api_server import Account, PlatformServer, week_of_posts

from medsos.api.pull import failures, pull
from medsos.pipeline import run_week

WEEK = "2024-W07"
WEEK_START_UTC = datetime(2024, 2, 11, 17, 0, tzinfo=UTC)  # Monday 12 February 00:00 WIB
TOKENS = {
    "facebook": "EAAB-kediri-page-token-SECRET-1",
    "facebook_malang": "EAAB-malang-page-token-SECRET-2",
    "instagram": "IGQV-kediri-token-SECRET-3",
    "youtube": "AIza-youtube-key-SECRET-4",
    "tiktok": "act.kediri-tiktok-SECRET-5",
    "x": "AAAA-x-bearer-SECRET-6",
}
REGISTRY = """office_code,platform,handle,account_id,display_name,source
35.06,facebook,kpukabkediri,100064117968247,KPU Kabupaten Kediri,api
35.06,instagram,kpukabkediri,17841400000000001,KPU Kabupaten Kediri,api
35.06,youtube,kpukabkediri,UCkediri00000000000000aa,KPU Kabupaten Kediri,api
35.06,tiktok,kpukabkediri,,KPU Kabupaten Kediri,api
35.06,x,kpukabkediri,,KPU Kabupaten Kediri,api
35.07,facebook,kpukabmalang,100064000000777,KPU Kabupaten Malang,api
35.07,instagram,kpukabmalang,,KPU Kabupaten Malang,export
"""


@pytest.fixture
def platforms():
    with PlatformServer() as server:
        server.add(Account("facebook", "100064117968247", "kpukabkediri", TOKENS["facebook"], 5210,
                           week_of_posts("facebook", 122158012345678900, WEEK_START_UTC, 5, ("image", "video"))))
        server.add(Account("facebook", "100064000000777", "kpukabmalang", TOKENS["facebook_malang"], 3100,
                           week_of_posts("facebook", 122158099999999900, WEEK_START_UTC, 3)))
        server.add(Account("instagram", "17841400000000001", "kpukabkediri", TOKENS["instagram"], 7300,
                           # two media of the week before: the last page reaches back to them
                           week_of_posts("instagram", 17990000000000001, WEEK_START_UTC.replace(day=9), 7,
                                         ("image", "reel", "carousel"))))
        server.add(Account("youtube", "UCkediri00000000000000aa", "kpukabkediri", TOKENS["youtube"], 310,
                           week_of_posts("youtube", 4000, WEEK_START_UTC, 5)))
        server.add(Account("tiktok", "", "kpukabkediri", TOKENS["tiktok"], 10888,
                           week_of_posts("tiktok", 7412345678901234567, WEEK_START_UTC, 5)))
        server.add(Account("x", "1400000000000000001", "kpukabkediri", TOKENS["x"], 1204,
                           week_of_posts("x", 2074000000000000001, WEEK_START_UTC, 5)))
        yield server


def connect(monkeypatch, server: PlatformServer, **extra_by_platform) -> None:
    """Airflow connections as operators set them: one per platform, Facebook and TikTok
    (a user's token) per office."""
    def conn(token: str, platform: str) -> str:
        extra = {"base_url": server.base_url, "backoff_seconds": 0.05, "timeout_seconds": 3,
                 "throttle_wait_seconds": 0.05,
                 **extra_by_platform.get(platform, {})}
        return json.dumps({"conn_type": "http", "password": token, "extra": extra})

    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_FACEBOOK_35_06", conn(TOKENS["facebook"], "facebook"))
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_FACEBOOK_35_07", conn(TOKENS["facebook_malang"], "facebook"))
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_FACEBOOK", conn("", "facebook").replace('"password": ""', '"password": null'))
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_TIKTOK_35_06", conn(TOKENS["tiktok"], "tiktok"))
    for platform in ("instagram", "youtube", "x"):
        monkeypatch.setenv(f"AIRFLOW_CONN_MEDSOS_{platform.upper()}", conn(TOKENS[platform], platform))


@pytest.fixture
def api_settings(settings, tmp_path):
    registry = tmp_path / "accounts.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    return replace(settings, accounts=registry)


def query(settings, sql: str, params=None):
    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def by_key(outcomes):
    return {(o.platform, o.office_code): o for o in outcomes}


def test_every_platform_pages_to_the_end_and_loads_like_an_export(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    outcomes = pull(api_settings, [WEEK])
    assert failures(outcomes) == []
    got = by_key(outcomes)
    assert {k: o.posts for k, o in got.items()} == {
        ("facebook", "35.06"): 5, ("facebook", "35.07"): 3, ("instagram", "35.06"): 5,
        ("youtube", "35.06"): 5, ("tiktok", "35.06"): 5, ("x", "35.06"): 5,
    }
    # every list needed several requests (page size 2), Graph's empty middle page included
    assert len(platforms.requests_to(r"/100064117968247/posts")) == 4
    assert len(platforms.requests_to(r"/youtube/v3/playlistItems")) == 3
    assert len(platforms.requests_to(r"/v2/video/list/")) >= 3
    assert len(platforms.requests_to(r"/2/users/1400000000000000001/tweets")) == 3
    # the X account without an id in the registry was looked up by its handle
    assert len(platforms.requests_to(r"/2/users/by/username/kpukabkediri")) == 1

    files = sorted(p.relative_to(api_settings.landing).as_posix() for p in api_settings.landing.rglob("*.jsonl"))
    assert len(files) == 6 and all(f.startswith(f"{WEEK}/35.0") and "/api/" in f for f in files)

    run_week(api_settings, WEEK, send=False)
    manifest = query(api_settings, "select export_kind, status, rows_loaded from raw.files order by 1, 3")
    assert manifest == [
        ("facebook_api", "loaded", 4), ("facebook_api", "loaded", 6), ("instagram_api", "loaded", 6),
        ("tiktok_api", "loaded", 6), ("x_api", "loaded", 6), ("youtube_api", "loaded", 6),
    ]
    # the server's numbers arrive unchanged in the normalised posts
    fb = query(api_settings, """select post_id, views, reach, likes, comments, shares, post_type
                                from core.posts where platform = 'facebook' and office_code = '35.06'
                                order by post_id""")
    assert fb[0] == ("122158012345678900", 1000, 700, 50, 5, 0, "image")  # shares absent = nobody shared
    assert fb[1] == ("122158012345678901", 1010, 701, 51, 6, 1, "video")
    ig = query(api_settings, """select post_id, views, reach, saves, post_type from core.posts
                                where platform = 'instagram' order by post_id""")
    assert [row[0] for row in ig] == [str(17990000000000003 + i) for i in range(5)]  # the week's media only
    assert ig[0][1:] == (1020, 702, 4, "carousel")
    yt = query(api_settings, """select post_id, views, likes, duration_seconds, post_type from core.posts
                                where platform = 'youtube' order by post_id""")
    assert yt[0] == ("4000", 1000, 50, 30.0, "short") and yt[1] == ("4001", 1010, 51, 90.0, "video")
    x = query(api_settings, """select post_id, impressions, likes, comments, shares, saves, permalink
                               from core.posts where platform = 'x' order by post_id limit 1""")
    assert x == [("2074000000000000001", 1000, 50, 5, 1, 2,
                  "https://x.com/kpukabkediri/status/2074000000000000001")]
    # posts count for the office's week; follower counts become account days
    cadence = dict(query(api_settings, """select platform, posts from marts.weekly_cadence
                                          where office_code = '35.06' and iso_week = ?""", [WEEK]))
    assert cadence == {"facebook": 5, "instagram": 5, "youtube": 5, "tiktok": 5, "x": 5}
    followers = dict(query(api_settings, """select platform, followers from raw.account_daily
                                            where office_code = '35.06'"""))
    assert followers == {"facebook": 5210, "instagram": 7300, "youtube": 310, "tiktok": 10888, "x": 1204}


def test_a_pull_file_replays_to_the_same_tables(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    pull(api_settings, [WEEK], platforms=["instagram", "tiktok"])
    run_week(api_settings, WEEK, send=False)
    first = query(api_settings, "select * exclude (run_id) from core.posts order by all")
    run_week(api_settings, WEEK, send=False, reprocess=True)
    assert query(api_settings, "select * exclude (run_id) from core.posts order by all") == first
    assert len(first) == 10


def test_a_later_pull_gives_the_numbers_of_the_posts_it_lists(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    pull(api_settings, [WEEK], platforms=["tiktok"])
    tiktok = next(a for a in platforms.accounts if a.platform == "tiktok")
    for p in tiktok.posts:
        p.views += 500  # the numbers grew by the next day's pull
    time.sleep(0.01)
    pull(api_settings, [WEEK], platforms=["tiktok"])
    run_week(api_settings, WEEK, send=False)
    views = [v for (v,) in query(api_settings, "select views from core.posts where platform = 'tiktok' order by 1")]
    assert views == [1500, 1510, 1520, 1530, 1540]
    # both pulls count (a post only the first one listed would stay); the later one is
    # saved last, and its numbers win for the posts both list
    statuses = query(api_settings, """select is_in_force, saved_order, overlap
                                      from core.files_in_force where platform = 'tiktok' order by saved_order""")
    assert [s[:2] for s in statuses] == [(True, 1), (True, 2)]
    assert statuses[0][2].startswith("the same 5 posts as ") and statuses[0][2].endswith(", 5 with other numbers, which count (saved later)")
    assert query(api_settings, "select distinct source_file = (select source_file from core.files_in_force "
                               "where platform = 'tiktok' and saved_order = 1) from core.posts where platform = 'tiktok'") == [(True,)]


def test_429_waits_until_the_reset_time_then_succeeds(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    reset = int(time.time()) + 2
    platforms.fail_next(r"/2/users/\d+/tweets", status=429,
                        body={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                              "status": 429},
                        headers={"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0",
                                 "x-rate-limit-reset": str(reset)})
    outcomes = pull(api_settings, [WEEK], platforms=["x"])
    assert failures(outcomes) == [] and outcomes[0].posts == 5
    tweets = platforms.requests_to(r"/2/users/\d+/tweets")
    assert len(tweets) == 4  # the refused request was asked again, then two more pages
    assert tweets[1].at >= reset  # not before the window reopened
    assert outcomes[0].waited_seconds >= 1


def test_graph_throttle_codes_are_waited_out_by_every_office(platforms, api_settings, monkeypatch):
    # Meta gave no time to wait: the connection's least wait applies, not the short backoff
    connect(monkeypatch, platforms, facebook={"throttle_wait_seconds": 0.6})
    for code, message in ((613, "(#613) Calls to this api have exceeded the rate limit."),
                          (4, "(#4) Application request limit reached")):
        platforms.fail_next(r"/100064117968247/posts", status=400, body={
            "error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "x"}})
    # Malang's first answer is slow, so its next request would fall inside Kediri's pause
    platforms.fail_next(r"/100064000000777\?", status=200, stall=0.35, body={
        "id": "100064000000777", "name": "kpukabmalang", "followers_count": 3100, "fan_count": 3093})
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["facebook"]))
    assert outcomes[("facebook", "35.07")].status == "pulled"
    assert outcomes[("facebook", "35.06")].status == "pulled"
    assert outcomes[("facebook", "35.06")].posts == 5
    assert outcomes[("facebook", "35.06")].waited_seconds >= 0.6 + 1.2  # at least 0.6, then at least 1.2
    # the limit is the app's: while Kediri's request waited, Malang's did not go on asking
    posts = platforms.requests_to(r"/100064117968247/posts")
    throttled = posts[0].at
    assert posts[1].at - throttled >= 0.6
    quiet = [r for r in platforms.log if throttled + 0.2 < r.at < throttled + 0.55]
    assert quiet == []


def test_500_and_a_stalled_response_are_retried_with_backoff(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms, youtube={"timeout_seconds": 0.5})
    platforms.fail_next(r"/youtube/v3/videos", status=500, body={"error": {"code": 500, "message": "Backend Error",
                                                                         "errors": [{"reason": "backendError"}]}})
    platforms.fail_next(r"/youtube/v3/videos", status=200, body={}, stall=1.5)  # longer than the timeout
    outcomes = pull(api_settings, [WEEK], platforms=["youtube"])
    assert failures(outcomes) == [] and outcomes[0].posts == 5
    assert len(platforms.requests_to(r"/youtube/v3/videos")) == 3
    run_week(api_settings, WEEK, send=False)
    assert query(api_settings, "select count(*) from core.posts where platform = 'youtube'") == [(5,)]


def test_persistent_5xx_fails_only_that_office_platform(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms, tiktok={"attempts": 3})
    platforms.fail_next(r"/v2/video/list/", status=503, body={"data": {}, "error": {
        "code": "internal_error", "message": "Service unavailable", "log_id": "1"}}, times=3)
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["tiktok", "x"]))
    assert outcomes[("tiktok", "35.06")].status == "failed"
    assert "gave up after 3 tries" in outcomes[("tiktok", "35.06")].message
    assert "KPU Kabupaten Kediri (35.06)" in outcomes[("tiktok", "35.06")].message
    assert outcomes[("x", "35.06")].status == "pulled"
    assert not list(api_settings.landing.rglob("tiktok_*.jsonl"))  # a failed pull leaves no file


def test_expired_token_fails_that_office_platform_and_the_others_go_on(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    kediri_fb = next(a for a in platforms.accounts if a.account_id == "100064117968247")
    kediri_fb.token = "a-token-the-page-admin-replaced"  # ours has expired: Graph answers code 190
    tiktok = next(a for a in platforms.accounts if a.platform == "tiktok")
    tiktok.token = "revoked"
    outcomes = by_key(pull(api_settings, [WEEK]))
    fb = outcomes[("facebook", "35.06")]
    assert fb.status == "failed"
    assert fb.message.startswith("facebook, KPU Kabupaten Kediri (35.06): the platform refused the token")
    assert "medsos_facebook_35_06" in fb.message and "190/463" in fb.message
    assert "reconnect" in fb.message
    tt = outcomes[("tiktok", "35.06")]
    assert tt.status == "failed" and "access_token_invalid" in tt.message and "KPU Kabupaten Kediri" in tt.message
    # a refused token is not retried: one request, then the next office
    assert len(platforms.requests_to(r"/v24.0/100064117968247$|/v24.0/100064117968247\?")) == 1
    assert {k for k, o in outcomes.items() if o.status == "pulled"} == {
        ("facebook", "35.07"), ("instagram", "35.06"), ("youtube", "35.06"), ("x", "35.06")}
    assert len(failures(list(outcomes.values()))) == 2


def test_a_retired_metric_is_dropped_and_recorded_not_fatal(platforms, api_settings, monkeypatch):
    # an operator still asks for the metrics Meta retired (post_impressions 2025-11-15,
    # Instagram impressions 2025-04-21)
    connect(monkeypatch, platforms,
            facebook={"metrics": ["post_impressions", "post_media_view", "post_total_media_view_unique"]},
            instagram={"metrics": ["impressions", "views", "reach", "saved", "shares"]})
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["facebook", "instagram"]))
    assert failures(list(outcomes.values())) == []
    fb_notes = outcomes[("facebook", "35.06")].notes + outcomes[("facebook", "35.07")].notes
    # the generic message names no metric: it was dropped for all once it failed alone on two posts
    assert sum("metric 'post_impressions' is retired" in n and "every office" in n for n in fb_notes) == 1
    # and every office's pull file says so
    for office in ("35.06", "35.07"):
        assert any("'post_impressions' is retired" in n for n in outcomes[("facebook", office)].notes)
    assert any("metric 'impressions' is retired" in n for n in outcomes[("instagram", "35.06")].notes)
    # after the drop no request asks for the retired metric again
    insights = platforms.requests_to(r"/insights")
    retired_asked = [r for r in insights if "post_impressions" in r.path or "metric=impressions" in r.path]
    # Instagram names the metric (one call); Facebook's two confirming posts cost two
    # calls each, and offices pulled at the same time may each spend one more pair;
    # never once per post (13 posts)
    assert len(retired_asked) <= 7 and len(insights) >= 13

    run_week(api_settings, WEEK, send=False)
    views = query(api_settings, """select count(*), count(views), count(impressions) from core.posts
                                   where platform in ('facebook', 'instagram')""")
    assert views == [(13, 13, 0)]
    reasons = [r for (r,) in query(api_settings, """select status_reason from raw.files
                                                   where export_kind in ('facebook_api', 'instagram_api')""")]
    assert any(r and "retired" in r for r in reasons)


def test_youtube_quota_stops_the_platform_for_the_day(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    quota = {"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your "
                       "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                       "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}]}}
    platforms.fail_next(r"/youtube/v3/channels", status=403, body=quota)
    outcomes = pull(api_settings, [WEEK, "2024-W08"], platforms=["youtube"])
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("quota used up" in o.message and "midnight Pacific" in o.message for o in outcomes)
    assert len(platforms.requests_to(r"/youtube/v3/")) == 1  # not retried, not tried again


def test_missing_connection_names_the_connection_to_define(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    monkeypatch.delenv("AIRFLOW_CONN_MEDSOS_FACEBOOK_35_07")
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["facebook"]))
    assert outcomes[("facebook", "35.07")].status == "failed"
    assert "medsos_facebook_35_07 or medsos_facebook" in outcomes[("facebook", "35.07")].message
    assert outcomes[("facebook", "35.06")].status == "pulled"


def test_tokens_never_reach_logs_output_files_or_errors(platforms, api_settings, monkeypatch, caplog, capsys):
    """The server echoes the token in its next links and in an error message, as Graph
    does; urllib3 logs every URL at DEBUG. Nothing may carry a token anywhere."""
    caplog.set_level(logging.DEBUG)
    connect(monkeypatch, platforms)
    next(a for a in platforms.accounts if a.account_id == "100064000000777").token = "rotated"  # 190, echoing ours
    platforms.fail_next(r"/v2/video/list/", status=500, body={"data": {}, "error": {
        "code": "internal_error", "message": f"token {TOKENS['tiktok']} caused an internal error", "log_id": "1"}})
    outcomes = pull(api_settings, [WEEK])
    run_week(api_settings, WEEK, send=False)
    assert [o.platform for o in outcomes if o.status == "failed"] == ["facebook"]

    printed = capsys.readouterr()
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    messages = " ".join(f"{o.message} {o.notes}" for o in outcomes)
    # the server's next links carried access_token=<token>; they were followed without it
    assert any("after=" in r.path for r in platforms.log)
    assert not any("access_token" in r.path for r in platforms.log)
    for token in TOKENS.values():
        assert token not in logs
        assert token not in printed.out + printed.err
        assert token not in messages
        needle = token.encode()
        leaked = [p for p in api_settings.landing.parent.rglob("*") if p.is_file() and needle in p.read_bytes()]
        assert leaked == []
    # a request never carried the token in its URL, only in a header
    assert not any(t in r.path for r in platforms.log for t in TOKENS.values())
    assert "'token': ***" not in repr(outcomes)


def test_pull_file_is_an_audit_record(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    [outcome] = pull(api_settings, [WEEK], platforms=["x"])
    lines = [json.loads(line) for line in (api_settings.landing / outcome.file).read_text().splitlines()]
    assert lines[0]["record"] == "pull" and lines[0]["office_code"] == "35.06" and lines[0]["week"] == WEEK
    assert lines[0]["window_start"] == "2024-02-11T17:00:00Z"  # Monday 00:00 WIB
    assert lines[-1]["record"] == "end" and lines[-1]["requests"] == outcome.requests
    responses = [x for x in lines if x["record"] == "response"]
    assert [r["endpoint"] for r in responses] == ["user", "tweets", "tweets", "tweets"]
    assert responses[1]["request"].startswith("GET /2/users/1400000000000000001/tweets?max_results=100")
    assert not list(Path(api_settings.landing).rglob(".medsos-partial-*"))


def test_medsos_pull_command_prints_each_pull_and_fails_on_a_refused_token(platforms, api_settings, monkeypatch,
                                                                             capsys, tmp_path):
    from medsos.cli import EXIT_FAILED, main

    connect(monkeypatch, platforms)
    next(a for a in platforms.accounts if a.account_id == "100064000000777").token = "rotated"
    monkeypatch.setenv("MEDSOS_WORK", str(api_settings.work))
    monkeypatch.setenv("MEDSOS_GX_DIR", str(api_settings.gx_dir))
    flags = ["--landing", str(api_settings.landing), "--warehouse", str(api_settings.warehouse),
             "--published", str(api_settings.published), "--accounts", str(api_settings.accounts)]
    code = main(["pull", "--week", WEEK, *flags])
    out = capsys.readouterr()
    assert code == EXIT_FAILED
    lines = out.out.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("platform "))]
    table = lines[lines.index(table):]
    assert table[0].split() == ["platform", "office", "week", "status", "posts", "requests", "details"]
    assert any(line.split()[:5] == ["instagram", "35.06", WEEK, "pulled", "5"] for line in table)
    assert any(line.split()[:4] == ["facebook", "35.07", WEEK, "failed"] for line in table)
    assert "loaded 2024-W07: 5 files, 25 rows, 0 quarantined, 0 rejected" in out.out
    assert "1 of 6 pulls failed" in out.err and "KPU Kabupaten Malang (35.07)" in out.err
    # what was pulled is in the staff copy
    assert query(api_settings, "select count(*) from core.posts") == [(25,)]
    # only one office, by its code as staff write it
    assert main(["pull", "--week", WEEK, "--office", "3506", "--platform", "x", "--no-load", *flags]) == 0
    assert main(["pull", "--week", WEEK, "--office", "99.99", *flags]) == 2
    # a platform whose connection is misconfigured is named; the other platforms still pull
    connect(monkeypatch, platforms, instagram={"metrics": "views,reach"})
    capsys.readouterr()
    assert main(["pull", "--week", WEEK, "--platform", "instagram", "--platform", "x", "--no-load", *flags]) == 1
    out = capsys.readouterr()
    assert "instagram: the connection's 'metrics' extra must be a list of metric names" in out.err
    assert any(line.split()[:4] == ["x", "35.06", WEEK, "pulled"] for line in out.out.splitlines())


@pytest.mark.slow
def test_pull_dag_pulls_per_platform_loads_and_reports_failures(platforms, api_settings, airflow_db, monkeypatch):
    from medsos import airflow_local

    connect(monkeypatch, platforms)
    for key, value in api_settings.as_env().items():
        monkeypatch.setenv(key, value)
    api_settings.landing.mkdir(parents=True, exist_ok=True)  # a deployment has its landing folder
    dag = airflow_local.load_dag("medsos_pull")
    run = dag.test(run_conf={"week": WEEK})
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert "success" in str(run.state), states
    assert all("success" in s for s in states.values()), states
    mapped = [ti for ti in run.get_task_instances() if ti.task_id == "pull_platform"]
    assert len(mapped) == 5  # one per platform, not per office
    assert query(api_settings, "select platform, count(*) from core.posts group by all order by 1") == [
        ("facebook", 8), ("instagram", 5), ("tiktok", 5), ("x", 5), ("youtube", 5)]

    # a token revoked by the next day: that office fails, the rest loads, the run is red
    next(a for a in platforms.accounts if a.account_id == "100064000000777").token = "rotated"
    run = dag.test(run_conf={"week": WEEK})
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances() if ti.task_id != "pull_platform"}
    assert "failed" in str(run.state)
    assert "success" in states["load_pulls"] and "failed" in states["check_pulls"]
    files = query(api_settings, "select count(*) from raw.files where export_kind = 'x_api'")
    assert files == [(2,)]  # the second day's X pull loaded beside the first

    # the token fixed, but Instagram's connection misconfigured: its task dies before it
    # can report any office, and the run must still be red, naming it
    next(a for a in platforms.accounts if a.account_id == "100064000000777").token = TOKENS["facebook_malang"]
    connect(monkeypatch, platforms, instagram={"metrics": "views"})
    run = dag.test(run_conf={"week": WEEK})
    tis = run.get_task_instances()
    died = [ti for ti in tis if ti.task_id == "pull_platform" and "failed" in str(ti.state)]
    assert len(died) == 1
    states = {ti.task_id: str(ti.state) for ti in tis if ti.task_id != "pull_platform"}
    assert "success" in states["load_pulls"] and "failed" in states["check_pulls"]
    assert "failed" in str(run.state)


def test_a_token_pasted_with_a_line_break_is_trimmed_or_refused_without_showing_it(
        platforms, api_settings, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    connect(monkeypatch, platforms)
    conn = {"conn_type": "http", "extra": {"base_url": platforms.base_url, "backoff_seconds": 0.05}}
    # a paste that caught the line end: trimmed, and it works
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_X", json.dumps(conn | {"password": f"  {TOKENS['x']}\r\n"}))
    # a token broken over two lines: requests would quote the header in its error
    broken = TOKENS["youtube"][:8] + "\n" + TOKENS["youtube"][8:]
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_YOUTUBE", json.dumps(conn | {"password": broken}))
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["x", "youtube"]))
    assert outcomes[("x", "35.06")].status == "pulled"
    yt = outcomes[("youtube", "35.06")]
    assert yt.status == "failed" and "medsos_youtube" in yt.message and "line break" in yt.message
    assert platforms.requests_to(r"/youtube/") == []
    everything = yt.message + " ".join(r.getMessage() for r in caplog.records)
    assert TOKENS["youtube"][:8] not in everything and TOKENS["youtube"][8:] not in everything


def test_a_body_cut_off_or_not_json_is_retried_and_fails_cleanly_if_it_persists(
        platforms, api_settings, monkeypatch, caplog):
    connect(monkeypatch, platforms, x={"attempts": 3})
    page = json.dumps({"data": [{"id": "1"}], "meta": {"next_token": "2"}}).encode()
    platforms.fail_next(r"/2/users/\d+/tweets", status=200, raw=page, cut_after=20)  # connection dropped mid-body
    platforms.fail_next(r"/2/users/\d+/tweets", status=200, raw=b"<html><body>Gateway</body></html>")  # a proxy page
    outcomes = pull(api_settings, [WEEK], platforms=["x"])
    assert failures(outcomes) == [] and outcomes[0].posts == 5
    assert len(platforms.requests_to(r"/2/users/\d+/tweets")) == 5  # two bad answers, then three pages
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "ChunkedEncodingError" in warnings and "not a JSON object" in warnings

    # the same answer every time: the office-platform fails with the reason, nothing is kept
    platforms.fail_next(r"/youtube/v3/channels", status=200, raw=b"<html>maintenance</html>", times=5)
    platforms.fail_next(r"/v2/user/info/", status=200, raw=page, cut_after=10, times=5)
    outcomes = by_key(pull(api_settings, ["2024-W08"], platforms=["youtube", "tiktok"]))
    assert outcomes[("youtube", "35.06")].status == "failed"
    assert "gave up after 5 tries (HTTP 200 with a body that is not a JSON object)" in outcomes[("youtube", "35.06")].message
    assert outcomes[("tiktok", "35.06")].status == "failed"
    assert "ChunkedEncodingError" in outcomes[("tiktok", "35.06")].message
    assert not list((api_settings.landing / "2024-W08").rglob("*.jsonl"))


def test_a_cursor_that_repeats_fails_the_pull_instead_of_looping(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    again = {"data": [{"id": "2074000000000000009", "text": "x", "created_at": "2024-02-13T01:00:00.000Z",
                       "public_metrics": {"like_count": 1}}], "meta": {"result_count": 1, "next_token": "7"}}
    platforms.fail_next(r"/2/users/\d+/tweets", status=200, body=again, times=2)
    [outcome] = pull(api_settings, [WEEK], platforms=["x"])
    assert outcome.status == "failed"
    assert "same next-page cursor twice" in outcome.message and "KPU Kabupaten Kediri (35.06)" in outcome.message
    assert len(platforms.requests_to(r"/2/users/\d+/tweets")) == 2  # the repeat is seen on the second page
    assert not list(api_settings.landing.rglob("x_*.jsonl"))


def test_a_next_link_to_another_host_is_not_followed_with_the_token(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    elsewhere = platforms.base_url.replace("127.0.0.1", "localhost") + "/v24.0/100064000000777/posts?after=2"
    platforms.fail_next(r"/100064000000777/posts", status=200,
                        body={"data": [], "paging": {"next": elsewhere}})
    outcomes = by_key(pull(api_settings, [WEEK], platforms=["facebook"]))
    malang = outcomes[("facebook", "35.07")]
    assert malang.status == "failed" and "refused to follow a link to localhost" in malang.message
    assert outcomes[("facebook", "35.06")].status == "pulled"
    assert len(platforms.requests_to(r"/100064000000777/posts")) == 1


def test_tiktok_has_no_platform_wide_token_and_checks_whose_token_it_is(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    # a TikTok token reads its owner's videos: a platform-wide one would file one account under every office
    monkeypatch.delenv("AIRFLOW_CONN_MEDSOS_TIKTOK_35_06")
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_TIKTOK", json.dumps({
        "conn_type": "http", "password": TOKENS["tiktok"], "extra": {"base_url": platforms.base_url}}))
    [outcome] = pull(api_settings, [WEEK], platforms=["tiktok"])
    assert outcome.status == "failed" and "define the Airflow connection medsos_tiktok_35_06 (" in outcome.message
    assert platforms.requests_to(r"/v2/") == []

    # the office's connection holds another account's token
    monkeypatch.setenv("AIRFLOW_CONN_MEDSOS_TIKTOK_35_06", json.dumps({
        "conn_type": "http", "password": TOKENS["tiktok"], "extra": {"base_url": platforms.base_url}}))
    next(a for a in platforms.accounts if a.platform == "tiktok").handle = "kpukotakediri"
    [outcome] = pull(api_settings, [WEEK], platforms=["tiktok"])
    assert outcome.status == "failed"
    assert "belongs to @kpukotakediri, not to the registry's @kpukabkediri" in outcome.message
    assert platforms.requests_to(r"/v2/video/list/") == []


def test_a_refused_token_fails_every_week_asked_for(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    next(a for a in platforms.accounts if a.platform == "x").token = "revoked"
    outcomes = pull(api_settings, [WEEK, "2024-W08"], platforms=["x"])
    assert [(o.week, o.status) for o in outcomes] == [(WEEK, "failed"), ("2024-W08", "failed")]
    assert all("refused the token of connection medsos_x" in o.message for o in outcomes)
    assert len(platforms.log) == 1  # asked once, not once a week


def test_a_metric_one_post_lacks_is_not_dropped_for_every_post(platforms, api_settings, monkeypatch):
    connect(monkeypatch, platforms)
    # a reel refuses 'saved' with the generic #100, as Graph does for a metric its media type lacks
    platforms.refuse_metric("17990000000000004", "saved")
    [outcome] = pull(api_settings, [WEEK], platforms=["instagram"])
    assert outcome.status == "pulled"
    assert any("'saved' refused with error #100 for 17990000000000004" in n for n in outcome.notes)
    assert not any("is retired" in n for n in outcome.notes)
    run_week(api_settings, WEEK, send=False)
    saves = dict(query(api_settings, "select post_id, saves from core.posts where platform = 'instagram'"))
    assert saves.pop("17990000000000004") is None  # unknown, not zero
    assert all(v is not None for v in saves.values()) and len(saves) == 4
