"""The real medsos_weekly DAG run through Airflow (dag.test, SQLite metadata) on
generated sample data; the tables must say what the generator put in."""

from __future__ import annotations

import email
import shutil
from collections import Counter
from email import policy

import duckdb
import pytest

from medsos import airflow_local, weeks
from medsos.sample import build_plan, write_sample

pytestmark = pytest.mark.slow


class Inbox:
    def __init__(self):
        self.rcpts: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.rcpts += envelope.rcpt_tos
        return "250 OK"


def test_weekly_dag_end_to_end(airflow_db, medsos_env, monkeypatch):
    import json
    import socket

    from aiosmtpd.controller import Controller

    settings = medsos_env
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
         "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "medsos@example.org"}}))
    plan = build_plan("2024-W06", "2024-W07")
    write_sample(settings.landing, plan)
    # KPU Kabupaten Kediri sends nothing for 2024-W07
    shutil.rmtree(settings.landing / "2024-W07" / "35.06")

    dag = airflow_local.load_dag()
    try:
        for week in plan.weeks:
            run = airflow_local.run_dag_for_week(dag, week)
            assert "success" in str(run.state), f"{week}: {run.state}"
    finally:
        controller.stop()
    # one summary for Jawa Timur and one for KPU RI each week, through the mapped send task
    assert sorted(inbox.rcpts) == sorted(["humas@kpu-jatim.example.org", "humas@kpu-ri.example.org"] * 2)

    con = duckdb.connect(str(settings.published), read_only=True)
    try:
        rows = con.execute(
            """select office_code, platform, iso_week, data_status, posts
               from marts.weekly_cadence where iso_week in ('2024-W06', '2024-W07')"""
        ).fetchall()
        want = Counter((p.office_code, p.platform, weeks.week_of(p.published_local)) for p in plan.posts)
        for office, platform, week, status, posts in rows:
            if office == "35.06" and week == "2024-W07":
                assert (status, posts) == ("missing", None)
            else:
                assert status == "reported"
                assert posts == want[(office, platform, week)], (office, platform, week)
        # a concrete office the way a staffer would check it
        kediri_ig_w06 = con.execute(
            """select posts from marts.weekly_cadence
               where office_code = '35.06' and platform = 'instagram' and iso_week = '2024-W06'"""
        ).fetchall()[0][0]
        assert kediri_ig_w06 == len(plan.posts_in_week("35.06", "instagram", "2024-W06"))
        (missing,) = con.execute(
            """select offices_missing from marts.province_weekly
               where province_code = '35' and platform = 'all' and iso_week = '2024-W07'"""
        ).fetchall()[0]
        assert missing == 1
    finally:
        con.close()

    eml = settings.outbox / "2024-W07" / "ringkasan_35_2024-W07.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "KPU Provinsi Jawa Timur" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "KPU Kabupaten Kediri" in text  # listed under missing exports

    # the DAG's runs for past weeks (what `airflow backfill create` schedules) give the
    # same tables as `medsos backfill` over the same landing zone
    from medsos.cli import main

    other = settings.warehouse.parent / "backfill"
    monkeypatch.setenv("MEDSOS_WORK", str(other / "work"))
    monkeypatch.setenv("MEDSOS_GX_DIR", str(other / "gx"))
    assert main(["backfill", "--from", plan.weeks[0], "--to", plan.weeks[-1], "--landing", str(settings.landing),
                 "--warehouse", str(other / "medsos.duckdb"), "--published", str(other / "published.duckdb"),
                 "--outbox", str(other / "outbox")]) == 0
    tables = ("marts.weekly_cadence", "marts.weekly_engagement", "marts.province_weekly", "marts.office_rolling",
              "marts.office_ranks", "core.posts")
    results = []
    for path in (settings.published, other / "published.duckdb"):
        con = duckdb.connect(str(path), read_only=True)
        try:
            results.append({t: con.sql(f"select * exclude (run_id) from {t} order by all").fetchall()
                            if t == "core.posts" else con.sql(f"select * from {t} order by all").fetchall()
                            for t in tables})
        finally:
            con.close()
    assert results[0] == results[1]
