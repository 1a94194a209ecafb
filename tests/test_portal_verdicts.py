"""The portal's instant verdict on an upload is what the weekly run makes of the same
file: every real export in tests/fixtures/real/ (copies of ../shared/real-exports/) and
the sample's exports of three offices are uploaded over HTTP, each as its office; then
the weekly job runs over the landing zone the portal wrote, and every file's status in
``raw.files`` (and its rows loaded) equals the verdict the upload page showed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import duckdb
import pytest
from portal_server import ENDED, make_portal, token_of
from real_exports import REAL
from test_real_exports import SOURCES

from medsos import weeks
from medsos.pipeline import run_week
from medsos.registry import load_accounts

# the real accounts get offices of their own, in Jawa Barat, beside the Jawa Timur sample
REAL_OFFICE = {source: "32." + office.split(".")[1] for source, (office, _, _) in SOURCES.items()}
SAMPLE_OFFICES = ("35.06", "35.10", "35.27")  # an ordinary one, the over-tagger, one without TikTok


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory, settings_for):
    root = tmp_path_factory.mktemp("portal-verdicts")
    sample_registry = settings_for(root).accounts
    accounts = root / "accounts.csv"
    lines = ["office_code,platform,handle"]
    lines += [f"{a.office_code},{a.platform},{a.handle}" for a in load_accounts(sample_registry)]
    lines += [f"{REAL_OFFICE[s]},{p},{h or 'akun_' + REAL_OFFICE[s]}" for s, (_, p, h) in SOURCES.items()]
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    users = {f"kantor-{o}": ("office", o) for o in {*REAL_OFFICE.values(), *SAMPLE_OFFICES}}
    p = make_portal(root, settings_for, publish=False, accounts=accounts, users=users,
                    max_export_mb=100.0, zip_total_mb=400.0)
    shown: dict[str, str] = {}
    try:
        uploads: dict[str, list[Path]] = {}
        for path in sorted(REAL.rglob("*")):
            if path.is_file() and path.name != "README.md":
                platform, source = path.relative_to(REAL).parts[:2]
                uploads.setdefault(REAL_OFFICE[f"{platform}/{source}"], []).append(path)
        for office in SAMPLE_OFFICES:
            uploads[office] = sorted(f for f in (p.samples / ENDED / office).rglob("*") if f.is_file())
        # a copy across weeks: last week's Instagram export of 35.06 (in the landing zone,
        # its verdicts seen on last week's page) sent again for this week
        last_week = p.settings.landing / weeks.shift(ENDED, -1) / "35.06"
        again = next(f for f in sorted(last_week.iterdir()) if f.suffix == ".csv" and b"Permalink" in f.read_bytes()[:600]
                     and b"kpu_kabkediri" in f.read_bytes())
        plan = [("35.06", again, ENDED)] + [(office, path, ENDED) for office, files in sorted(uploads.items())
                                            for path in files]
        sessions = {"35.06": p.session("kantor-35.06")}
        seen = sessions["35.06"].get(f"{p.url}/kantor/35.06?minggu={weeks.shift(ENDED, -1)}").text
        for status, rel in re.findall(r'data-status="([^"]+)" data-path="([^"]+)"', seen):
            shown[html.unescape(rel)] = status
        for office, path, week in plan:  # one at a time: each upload's verdict is read on its own
            s = sessions.setdefault(office, p.session(f"kantor-{office}"))
            page = s.get(f"{p.url}/kantor/{office}?minggu={week}")
            r = s.post(f"{p.url}/kantor/{office}/unggah", data={"csrf": token_of(page.text), "minggu": week},
                       files=[("berkas", (path.name, path.read_bytes()))])
            assert r.status_code in (200, 422), (path, r.status_code)
            assert "/unggahan/" in r.url or r.status_code == 422, path
            for status, rel in re.findall(r'data-status="([^"]+)" data-path="([^"]+)"', r.text):
                shown[html.unescape(rel)] = status
            if r.status_code == 422:
                shown[f"refused:{path}"] = "refused"
        cached = {}
        for f in (p.portal.data / "verdicts").glob("*/*.json"):
            for entry in json.loads(f.read_text()).values():
                cached.update({v["relative_path"]: v for v in entry["items"]})
        run_week(p.settings, ENDED, send=False)
        con = duckdb.connect(str(p.settings.published), read_only=True)
        try:
            loaded = {r[0]: r[1:] for r in con.execute(
                "select relative_path, status, rows_loaded from raw.files where relative_path in "
                "(select unnest(?::varchar[]))", [sorted(shown)]).fetchall()}
        finally:
            con.close()
    finally:
        p.stop()
    return {"shown": shown, "cached": cached, "loaded": loaded}


def test_every_uploaded_file_was_saved_and_given_a_verdict(uploaded):
    refused = [k for k in uploaded["shown"] if k.startswith("refused:")]
    assert not refused, f"real exports refused at the door: {refused}"
    assert set(uploaded["shown"]) == set(uploaded["loaded"])
    real = {k for k in uploaded["shown"] if k.split("/")[1].startswith("32.")}
    assert len(real) >= 30  # every real file and ZIP member


def test_the_instant_verdict_is_the_weekly_runs_status(uploaded):
    differ = {rel: (status, uploaded["loaded"][rel][0]) for rel, status in uploaded["shown"].items()
              if uploaded["loaded"][rel][0] != status}
    assert not differ, differ
    statuses = set(uploaded["shown"].values())
    from collections import Counter

    print("\nverdict = weekly run, files per status:", dict(Counter(uploaded["shown"].values())))
    # the comparison covers more than one outcome
    assert {"loaded", "loaded_with_quarantine", "rejected", "duplicate"} <= statuses, statuses
    # the copy across weeks is one of the copies
    across = [rel for rel, status in uploaded["shown"].items()
              if rel.startswith(f"{ENDED}/35.06/") and status == "duplicate"]
    assert across, "the copy of last week's upload was not set aside"


def test_the_rows_the_verdict_says_will_load_do(uploaded):
    for rel, verdict in uploaded["cached"].items():
        status, rows_loaded = uploaded["loaded"][rel]
        if status.startswith("loaded"):
            assert verdict["rows_loaded"] == rows_loaded, (rel, verdict["rows_loaded"], rows_loaded)
