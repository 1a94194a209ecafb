"""Who may open and write what in the portal, over real HTTP to a real uvicorn: every
route tried as each role and as nobody; office A on office B's folder, data and uploads;
a province on another province; expired and forged cookies; a form without its CSRF
token; the 11th wrong password. Each refusal has its status and writes nothing."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from portal_server import ENDED, PUBLISHED_WEEK, login, make_portal, serve, token_of

from medsos.portal import auth
from medsos.portal.app import create_app
from medsos.portal.users import load_users

NOBODY = None
USERS = [NOBODY, "kab-kediri", "kab-malang", "jatim", "banten", "kpu-ri", "admin"]


@pytest.fixture(scope="module")
def portal(tmp_path_factory, settings_for):
    p = make_portal(tmp_path_factory.mktemp("portal-access"), settings_for)
    # one upload by office A, whose verdict page the others try to open
    s = p.session("kab-kediri")
    page = s.get(f"{p.url}/kantor/35.06?minggu={ENDED}")
    export = p.export_of("35.06", "instagram_content")
    r = s.post(f"{p.url}/kantor/35.06/unggah", data={"csrf": token_of(page.text), "minggu": ENDED},
               files=[("berkas", (export.name, export.read_bytes()))], allow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    p.extra["upload_a"] = r.headers["location"]
    yield p
    p.stop()


# route -> expected status per user (303: to the sign-in page)
def routes(p) -> dict[str, dict]:
    a_upload = p.extra["upload_a"]
    office_a = {NOBODY: 303, "kab-kediri": 200, "kab-malang": 403, "jatim": 200, "banten": 403,
                "kpu-ri": 200, "admin": 200}
    province = {NOBODY: 303, "kab-kediri": 403, "kab-malang": 403, "jatim": 200, "banten": 403,
                "kpu-ri": 200, "admin": 200}
    national = {NOBODY: 303, "kab-kediri": 403, "kab-malang": 403, "jatim": 403, "banten": 403,
                "kpu-ri": 200, "admin": 200}
    return {
        "/": {NOBODY: 303, **{u: 303 for u in USERS if u}},
        f"/kantor/35.06?minggu={ENDED}": office_a,
        a_upload: office_a,
        f"/kantor/35.06/postingan.csv?minggu={PUBLISHED_WEEK}": office_a,
        f"/kantor/35.06/postingan.xlsx?minggu={PUBLISHED_WEEK}": office_a,
        "/provinsi/35": province,
        "/provinsi/35/kantor.csv": province,
        "/provinsi/35/kantor.xlsx": province,
        f"/ringkasan/35?minggu={PUBLISHED_WEEK}": province,
        f"/ringkasan/35/lampiran.xlsx?minggu={PUBLISHED_WEEK}": province,
        "/nasional": national,
        "/provinsi/00": national,
        f"/ringkasan/00?minggu={PUBLISHED_WEEK}": national,
        "/audit": {NOBODY: 303, **{u: 403 for u in USERS if u}, "admin": 200},
    }


def test_every_route_as_every_role(portal):
    seen = {}
    sessions = {u: portal.session(u) for u in USERS}
    for route, expected in routes(portal).items():
        for user in USERS:
            r = sessions[user].get(portal.url + route, allow_redirects=False)
            seen[(route, user)] = r.status_code
            assert r.status_code == expected[user], (route, user, r.status_code, r.text[:300])
            if r.status_code == 303 and user is NOBODY:
                assert r.headers["location"].startswith("/masuk?lanjut=")
            if r.status_code == 200 and route.endswith(".csv") or ".csv?" in route and r.status_code == 200:
                assert r.content.startswith("\ufeff".encode()), route
    print("\naccess matrix (GET):")
    for route in routes(portal):
        print(f"  {route.split('?')[0]:<42} " + " ".join(f"{u or 'nobody'}={seen[(route, u)]}" for u in USERS))


def _upload(session, portal, office: str, csrf: str | None, name="ekspor.csv"):
    export = portal.export_of("35.07" if office == "35.07" else "35.06", "instagram_content")
    data = {"minggu": ENDED}
    if csrf is not None:
        data["csrf"] = csrf
    return session.post(f"{portal.url}/kantor/{office}/unggah", data=data,
                        files=[("berkas", (name, export.read_bytes()))], allow_redirects=False)


def _csrf(session, portal, office="35.06"):
    return token_of(session.get(f"{portal.url}/kantor/{office}?minggu={ENDED}").text)


def test_only_the_office_and_admin_write_into_a_folder(portal):
    before = portal.landing_files()
    expected = {NOBODY: 401, "kab-malang": 403, "jatim": 403, "banten": 403, "kpu-ri": 403}
    for user, status in expected.items():
        s = portal.session(user)
        token = _csrf(s, portal, "35.07") if user == "kab-malang" else (
            _csrf(s, portal) if user in ("jatim", "kpu-ri") else "x")
        r = _upload(s, portal, "35.06", token)
        assert r.status_code == status, (user, r.status_code, r.text[:300])
        assert portal.landing_files() == before, f"{user} wrote into 35.06's folder"
    # office A may not write into office B's folder either
    s = portal.session("kab-kediri")
    r = _upload(s, portal, "35.07", _csrf(s, portal))
    assert r.status_code == 403
    assert portal.landing_files() == before
    # the office itself, and the administrator, may
    for user in ("kab-kediri", "admin"):
        s = portal.session(user)
        r = _upload(s, portal, "35.06", _csrf(s, portal), name=f"dari-{user}.csv")
        assert r.status_code == 303, r.text[:500]
    added = portal.landing_files() - before
    assert added == {f"{ENDED}/35.06/dari-kab-kediri.csv", f"{ENDED}/35.06/dari-admin.csv"}


def test_an_upload_only_for_the_recent_weeks(portal):
    from medsos import weeks

    s = portal.session("kab-kediri")
    before = portal.landing_files()
    token = _csrf(s, portal)
    export = portal.export_of("35.06", "instagram_content").read_bytes()
    for week, status in ((weeks.shift(ENDED, -8), 422), (weeks.shift(ENDED, 1), 404), ("2024-W99", 404),
                         ("../../x", 404)):
        r = s.post(f"{portal.url}/kantor/35.06/unggah", data={"csrf": token, "minggu": week},
                   files=[("berkas", ("x.csv", export))], allow_redirects=False)
        assert r.status_code == status, (week, r.status_code)
    assert portal.landing_files() == before


def test_a_form_without_its_csrf_token_is_refused(portal):
    s = portal.session("kab-kediri")
    before = portal.landing_files()
    for token in (None, "", "not-the-token"):
        r = _upload(s, portal, "35.06", token)
        assert r.status_code == 403
    # another session's token does not do either
    other = portal.session("kab-kediri")
    r = _upload(s, portal, "35.06", _csrf(other, portal))
    assert r.status_code == 403
    assert portal.landing_files() == before
    # signing out needs the token too
    assert s.post(f"{portal.url}/keluar", data={}, allow_redirects=False).status_code == 403
    assert s.get(f"{portal.url}/kantor/35.06", allow_redirects=False).status_code == 200
    # and signing in needs the sign-in form's own token
    fresh = portal.session()
    r = fresh.post(f"{portal.url}/masuk", data={"nama": "kab-kediri", "sandi": portal.passwords["kab-kediri"]},
                   allow_redirects=False)
    assert r.status_code == 403 and auth.SESSION_COOKIE not in r.cookies


def _cookie(portal, payload: dict, age_seconds: int = 0, secret: str | None = None) -> str:
    class Then(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(secret or portal.portal.secret, salt="medsos-portal-session",
                                  signer=Then).dumps(payload)


def test_expired_and_forged_cookies_are_nobody(portal):
    user = load_users(portal.portal.users)["kab-kediri"]
    good = {"u": "kab-kediri", "c": "t0ken", "t": user.session_tag}
    before = portal.landing_files()
    hours = portal.portal.session_hours
    cases = {
        "fresh (control)": (_cookie(portal, good), 200),
        "expired": (_cookie(portal, good, age_seconds=int(hours * 3600) + 60), 303),
        "another secret": (_cookie(portal, good, secret="x" * 48), 303),
        "tampered": (_cookie(portal, good)[:-2] + "AA", 303),
        "another user's name": (_cookie(portal, good | {"u": "admin"}), 303),
        "unsigned": ("eyJ1IjoiYWRtaW4ifQ", 303),
    }
    for what, (cookie, status) in cases.items():
        s = portal.session()
        s.cookies.set(auth.SESSION_COOKIE, cookie)
        r = s.get(f"{portal.url}/kantor/35.06", allow_redirects=False)
        assert r.status_code == status, (what, r.status_code)
        if status != 200:
            # a form post with the token the cookie claims is refused as not signed in
            r = s.post(f"{portal.url}/kantor/35.06/unggah", data={"csrf": "t0ken", "minggu": ENDED},
                       files=[("berkas", ("x.csv", b"a,b\n1,2\n"))], allow_redirects=False)
            assert r.status_code == 401, what
    assert portal.landing_files() == before


def test_session_cookie_is_httponly_samesite_and_expires(portal):
    s = portal.session()
    r = login(s, portal.url, "jatim", portal.passwords["jatim"])
    header = r.headers["set-cookie"]
    cookie = header.split(f"{auth.SESSION_COOKIE}=")[1]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Max-Age={int(portal.portal.session_hours * 3600)}" in cookie


def test_password_reset_ends_old_sessions(portal, tmp_path):
    from medsos.portal.users import add_user

    s = portal.session("kab-malang")
    assert s.get(f"{portal.url}/kantor/35.07", allow_redirects=False).status_code == 200
    portal.passwords["kab-malang"] = add_user(portal.portal.users, "kab-malang", "office", "35.07", reset=True)
    assert s.get(f"{portal.url}/kantor/35.07", allow_redirects=False).status_code == 303


def test_sign_ins_and_uploads_are_in_the_audit_log(portal):
    import json

    events = [json.loads(line) for line in (portal.portal.data / "audit.log").read_text().splitlines()]
    assert any(e["aksi"] == "masuk" and e["hasil"] == "berhasil" and e["user"] == "kab-kediri" for e in events)
    ups = [e for e in events if e["aksi"] == "unggah" and e.get("disimpan")]
    assert ups and all(e["waktu"] and e["user"] and e["kantor"] and e["alamat"] == "127.0.0.1" for e in ups)
    assert any(e["aksi"] == "unggah" and e.get("hasil", "").startswith("ditolak") and e["user"] == "kab-malang"
               for e in events)


@pytest.fixture
def limited(tmp_path, portal):
    """A portal of its own (fresh limits) on the same users and data."""
    app = create_app(portal.settings, portal.portal, warm=False)
    server, thread, url = serve(app)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_the_11th_wrong_password_is_refused(portal, limited):
    import requests

    s = requests.Session()
    for i in range(10):
        r = login(s, limited, "jatim", f"salah-{i}")
        assert r.status_code == 401 and auth.SESSION_COOKIE not in r.cookies
    # the 11th attempt is refused before the password is looked at, even the right one
    r = login(s, limited, "jatim", "salah-11")
    assert r.status_code == 429 and auth.SESSION_COOKIE not in r.cookies
    r = login(s, limited, "jatim", portal.passwords["jatim"])
    assert r.status_code == 429 and auth.SESSION_COOKIE not in r.cookies
    assert "Tunggu 15 menit" in r.text
    # another user from the same address still signs in
    r = login(s, limited, "kpu-ri", portal.passwords["kpu-ri"])
    assert r.status_code == 303


def test_one_address_trying_many_names_is_refused(portal, limited):
    import requests

    s = requests.Session()
    for i in range(auth.MAX_FAILURES_PER_ADDRESS):
        assert login(s, limited, f"tebakan-{i}", "salah").status_code == 401
    r = login(s, limited, "admin", portal.passwords["admin"])
    assert r.status_code == 429 and auth.SESSION_COOKIE not in r.cookies
