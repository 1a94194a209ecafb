"""The portal application: ``create_app(settings, portal_settings)``.

Routes (every page in Bahasa Indonesia, server-rendered, no script needed):

=====================================  =======================================  ======================
route                                  what                                     who
=====================================  =======================================  ======================
GET  /masuk, POST /masuk, POST /keluar sign in and out                          anyone
GET  /                                 to the user's own page                   signed in
GET  /kantor/{office}                  checklist, files and verdicts, weeks,    the office, its
                                       posts; the upload form                   province, KPU RI, admin
POST /kantor/{office}/unggah           upload into <landing>/<week>/<office>/   the office, admin
GET  /kantor/{office}/unggahan/{id}    the verdict on one upload                as /kantor/{office}
GET  /kantor/{office}/postingan.csv|.xlsx  the week's posts                     as /kantor/{office}
GET  /provinsi/{code}                  activity, trend, sortable office table   the province, KPU RI, admin
GET  /provinsi/{code}/kantor.csv|.xlsx the office table                         as /provinsi/{code}
GET  /ringkasan/{code}                 the week's email as a page (00: KPU RI)  as /provinsi/{code}
GET  /ringkasan/{code}/lampiran.xlsx   the email's workbook                     as /provinsi/{code}
GET  /nasional                         every province                           KPU RI, admin
GET  /audit                            the audit log                            admin
GET  /sehat                            health check                             anyone
=====================================  =======================================  ======================

Not signed in (or a forged or expired cookie): a page redirects to /masuk (303), a form
post gets 401. Signed in without the right: 403. A form without its CSRF token: 403.
Too many wrong passwords: 429.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from medsos import weeks
from medsos.config import PortalSettings, Settings
from medsos.portal import auth, pages, uploads
from medsos.portal.users import ROLE_LABELS, User, load_users, verify
from medsos.registry import load_accounts, load_offices

UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
WEEKS_OFFERED = 8  # an office may upload for the week just ended and the 7 before


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "Anda tidak berhak membuka halaman ini.", status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("medsos.portal", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: "–" if v is None else f"{int(v):,}".replace(",", ".")
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1f}%".replace(".", ",")
    env.filters["yn"] = lambda v: "–" if v is None else ("ya" if v else "tidak")
    env.filters["label"] = weeks.week_label
    env.filters["q"] = lambda v: quote(str(v), safe="")
    return env


def _text(value: Any) -> str | None:
    """A form field as text; a file sent under a text field's name is no text."""
    return value if isinstance(value, str) else None


class BodyLimit:
    """Refuses (413) a request body larger than ``limit`` bytes before the application
    reads it: by its Content-Length, and while it arrives when it has none."""

    fastapi: Any = None  # the application inside, for the tests and the bench

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(send, self.limit)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = (
        f"Unggahan terlalu besar (lebih dari {limit // (1024 * 1024)} MB sekaligus); "
        "unggah berkas satu per satu."
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings, ps: PortalSettings, warm: bool = True) -> Any:
    """The ASGI application. ``warm`` builds the checker's GX context in the background at
    start, so the first upload does not wait for it."""
    sessions = auth.Sessions(ps.secret, ps.session_hours)
    limits = auth.SignInLimits()
    checker = uploads.Checker(settings, ps)
    env = _env()
    app = FastAPI(title="medsos portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.portal, app.state.checker, app.state.limits = (
        settings,
        ps,
        checker,
        limits,
    )
    if warm:
        threading.Thread(target=checker.warm, daemon=True).start()

    offices = load_offices()

    def registered(office: str) -> dict[str, Any]:
        return {a.platform: a for a in load_accounts(settings.accounts) if a.office_code == office}

    def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        who = getattr(request.state, "who", None)
        html = env.get_template(template).render(
            user=who[0] if who else None,
            csrf=who[1] if who else "",
            role_labels=ROLE_LABELS,
            offices=offices,
            platform_labels=pages.PLATFORM_LABELS,
            **ctx,
        )
        resp = HTMLResponse(html, status_code=status)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def signed_in(request: Request) -> tuple[User, str]:
        who = sessions.read(request.cookies.get(auth.SESSION_COOKIE), ps.users)
        if who is None:
            raise NotSignedIn()
        request.state.who = who
        return who

    async def form_with_csrf(request: Request):
        _, token = request.state.who
        form = await request.form(max_files=ps.files_per_upload + 1)
        if not auth.csrf_ok(token, _text(form.get("csrf"))):
            raise Forbidden(
                "Formulir kedaluwarsa atau tidak sah (token CSRF tidak cocok). Muat ulang halaman "
                "lalu coba lagi."
            )
        return form

    def office_or_404(code: str):
        office = offices.get(code)
        if office is None or office.level == "nasional":
            raise Forbidden("Kantor tidak dikenal.", 404)
        return office

    def address(request: Request) -> str:
        return request.client.host if request.client else "?"

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn):
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/masuk?lanjut={quote(target, safe='')}", status_code=303)
        return page(
            request,
            "galat.html",
            401,
            judul="Belum masuk",
            pesan="Sesi Anda tidak ada atau sudah berakhir. Silakan masuk lagi.",
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return page(
            request,
            "galat.html",
            exc.status,
            judul="Tidak diizinkan" if exc.status == 403 else "Tidak ada",
            pesan=exc.message,
        )

    @app.exception_handler(pages.NoPublishedCopy)
    async def _no_copy(request: Request, exc: pages.NoPublishedCopy):
        return page(
            request,
            "galat.html",
            503,
            judul="Belum ada data terbit",
            pesan="Data mingguan belum pernah diterbitkan (jalankan proses mingguan dulu).",
        )

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    def set_session(resp: Response, value: str) -> None:
        resp.set_cookie(
            auth.SESSION_COOKIE,
            value,
            max_age=sessions.max_age,
            httponly=True,
            samesite="lax",
            secure=ps.secure_cookie,
            path="/",
        )

    # ------------------------------------------------------------------ sign in

    @app.get("/sehat")
    def health():
        return JSONResponse({"ok": True})

    @app.get("/masuk")
    def login_form(request: Request, lanjut: str = "/"):
        cookie, token = sessions.login_token()
        resp = page(request, "masuk.html", token=token, lanjut=_local(lanjut), galat=None, nama="")
        resp.set_cookie(
            auth.LOGIN_COOKIE,
            cookie,
            max_age=auth.LOGIN_FORM_SECONDS,
            httponly=True,
            samesite="strict",
            secure=ps.secure_cookie,
            path="/masuk",
        )
        return resp

    @app.post("/masuk")
    async def login(request: Request):
        form = await request.form(max_files=0)
        name = str(form.get("nama") or "").strip().lower()[:64]
        lanjut = _local(str(form.get("lanjut") or "/"))
        where = address(request)
        if not sessions.login_token_ok(
            request.cookies.get(auth.LOGIN_COOKIE), _text(form.get("csrf"))
        ):
            uploads.audit(
                ps, aksi="masuk", hasil="token formulir tidak sah", user=name, alamat=where
            )
            raise Forbidden(
                "Formulir masuk kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."
            )
        cookie, token = sessions.login_token()

        def again(status: int, message: str) -> Response:
            resp = page(
                request, "masuk.html", status, token=token, lanjut=lanjut, galat=message, nama=name
            )
            resp.set_cookie(
                auth.LOGIN_COOKIE,
                cookie,
                max_age=auth.LOGIN_FORM_SECONDS,
                httponly=True,
                samesite="strict",
                secure=ps.secure_cookie,
                path="/masuk",
            )
            return resp

        if limits.blocked(name, where):
            uploads.audit(
                ps, aksi="masuk", hasil="ditahan: terlalu banyak percobaan", user=name, alamat=where
            )
            resp = again(
                429, "Terlalu banyak percobaan yang salah. Tunggu 15 menit lalu coba lagi."
            )
            resp.headers["Retry-After"] = str(auth.FAILURE_WINDOW_SECONDS)
            return resp
        user = verify(load_users(ps.users), name, str(form.get("sandi") or ""))
        if user is None:
            limits.failed(name, where)
            uploads.audit(ps, aksi="masuk", hasil="gagal", user=name, alamat=where)
            return again(401, "Nama pengguna atau kata sandi salah.")
        limits.succeeded(name)
        value, _ = sessions.issue(user)
        uploads.audit(
            ps, aksi="masuk", hasil="berhasil", user=user.name, peran=user.role, alamat=where
        )
        resp = RedirectResponse(lanjut if lanjut != "/" else auth.home(user), status_code=303)
        set_session(resp, value)
        resp.delete_cookie(auth.LOGIN_COOKIE, path="/masuk")
        return resp

    @app.post("/keluar")
    async def logout(request: Request):
        user, _ = signed_in(request)
        await form_with_csrf(request)
        uploads.audit(ps, aksi="keluar", user=user.name, alamat=address(request))
        resp = RedirectResponse("/masuk", status_code=303)
        resp.delete_cookie(auth.SESSION_COOKIE, path="/")
        return resp

    @app.get("/")
    def root(request: Request):
        user, _ = signed_in(request)
        return RedirectResponse(auth.home(user), status_code=303)

    # ------------------------------------------------------------------ office

    def office_week(office, minggu: str | None) -> tuple[str, list[str]]:
        ended = weeks.week_that_ended_before(datetime.now(UTC), office.timezone)
        offered = [weeks.shift(ended, -i) for i in range(WEEKS_OFFERED)]
        if minggu is None:
            return ended, offered
        if not weeks.is_week(minggu) or weeks.week_start(minggu) > weeks.week_start(ended):
            raise Forbidden(f"Minggu {minggu!r} tidak bisa dipilih.", 404)
        return minggu, offered

    def office_context(
        request: Request, code: str, week: str, offered: list[str]
    ) -> dict[str, Any]:
        user, _ = request.state.who
        office = office_or_404(code)
        reg = registered(code)
        try:
            con = pages.connect(settings)
        except pages.NoPublishedCopy:
            con = None
        try:
            copies = pages.loaded_copies(con, code, settings.landing) if con else {}
            recent = pages.recent_rows(con, code) if con else {}
            history = pages.office_weeks(con, code, week) if con else {}
            post_header, post_rows = pages.office_posts(con, code, week) if con else ([], [])
        finally:
            if con:
                con.close()
        files = uploads.folder_verdicts(settings, ps, checker, week, code, reg, copies, recent)
        checklist = []
        for platform in pages.PLATFORMS:
            if platform not in reg:
                continue
            good = [
                f
                for f in files
                if f["platform"] == platform
                and f["status"].startswith("loaded")
                and f.get("lists_posts")
            ]
            other = [f for f in files if f["platform"] == platform and f not in good]
            checklist.append(
                {
                    "platform": platform,
                    "label": pages.PLATFORM_LABELS[platform],
                    "handle": reg[platform].handle,
                    "ok": bool(good),
                    "files": [f["relative_path"].split("/", 2)[-1] for f in good],
                    "other": [f["relative_path"].split("/", 2)[-1] for f in other],
                }
            )
        history_weeks = [weeks.shift(week, -i) for i in range(7, -1, -1)]
        return {
            "office": office,
            "week": week,
            "offered": offered,
            "files": files,
            "checklist": checklist,
            "history": history,
            "history_weeks": history_weeks,
            "registered": reg,
            "post_header": post_header,
            "post_rows": post_rows,
            "may_upload": auth.may_upload(user, code),
            "max_mb": ps.max_export_mb,
            "files_per_upload": ps.files_per_upload,
        }

    def readable_office(request: Request, code: str):
        user, _ = signed_in(request)
        office = office_or_404(code)
        if not auth.may_read_office(user, code):
            raise Forbidden()
        return user, office

    @app.get("/kantor/{code}")
    def office_page(request: Request, code: str, minggu: str | None = None):
        _, office = readable_office(request, code)
        week, offered = office_week(office, minggu)
        return page(
            request, "kantor.html", **office_context(request, code, week, offered), upload=None
        )

    @app.get("/kantor/{code}/unggahan/{upload_id}")
    def upload_page(request: Request, code: str, upload_id: str):
        _, office = readable_office(request, code)
        if not UPLOAD_ID.match(upload_id):
            raise Forbidden("Unggahan tidak ditemukan.", 404)
        path = ps.data / "uploads" / code / f"{upload_id}.json"
        if not path.is_file():
            raise Forbidden("Unggahan tidak ditemukan.", 404)
        record = json.loads(path.read_text(encoding="utf-8"))
        week, offered = office_week(office, record["week"])
        return page(
            request,
            "kantor.html",
            **office_context(request, code, week, offered),
            upload=_show_upload(record, checker, settings, ps, registered(code)),
        )

    @app.post("/kantor/{code}/unggah")
    async def upload(request: Request, code: str):
        user, _ = signed_in(request)
        office = office_or_404(code)
        if not auth.may_upload(user, code):
            uploads.audit(
                ps,
                aksi="unggah",
                hasil="ditolak: bukan kantornya",
                user=user.name,
                kantor=code,
                alamat=address(request),
            )
            raise Forbidden("Anda hanya dapat mengunggah ke folder kantor Anda sendiri.")
        form = await form_with_csrf(request)
        week, offered = office_week(office, str(form.get("minggu") or "") or None)
        if week not in offered:
            raise Forbidden(
                f"Unggahan hanya untuk {WEEKS_OFFERED} minggu terakhir ({offered[-1]} s.d. {offered[0]}).",
                422,
            )
        sent = [f for f in form.getlist("berkas") if hasattr(f, "filename") and f.filename]
        if not sent:
            raise Forbidden("Pilih minimal satu berkas untuk diunggah.", 422)
        if len(sent) > ps.files_per_upload:
            raise Forbidden(f"Paling banyak {ps.files_per_upload} berkas sekali unggah.", 422)
        folder = settings.landing / week / code
        saved, refused = [], []
        import anyio

        for f in sent:
            try:
                got = await anyio.to_thread.run_sync(
                    uploads.receive, f.file, f.filename, folder, ps
                )
                saved.append(got)
            except uploads.Refused as exc:
                refused.append(
                    {
                        "original": uploads.printable(f.filename),
                        "message": exc.message,
                        "status": exc.status,
                    }
                )
        upload_id = secrets.token_hex(8)
        record = {
            "id": upload_id,
            "user": user.name,
            "office": code,
            "week": week,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "saved": [
                {
                    "original": uploads.printable(s.original),
                    "name": s.name,
                    "relative_path": s.relative_path,
                    "size": s.size,
                }
                for s in saved
            ],
            "refused": refused,
        }
        uploads.audit(
            ps,
            aksi="unggah",
            user=user.name,
            peran=user.role,
            kantor=code,
            minggu=week,
            alamat=address(request),
            disimpan=[s.relative_path for s in saved],
            ditolak=[{"nama": r["original"], "alasan": r["message"]} for r in refused],
        )
        if not saved:
            status = 413 if any(r["status"] == 413 for r in refused) else 422
            ctx = office_context(request, code, week, office_week(office, week)[1])
            return page(
                request, "kantor.html", status, **ctx, upload={"record": record, "items": []}
            )
        out = ps.data / "uploads" / code
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{upload_id}.json").write_text(
            json.dumps(record, ensure_ascii=False), encoding="utf-8"
        )
        return RedirectResponse(f"/kantor/{code}/unggahan/{upload_id}", status_code=303)

    def posts_download(request: Request, code: str, minggu: str | None, kind: str):
        _, office = readable_office(request, code)
        week, _ = office_week(office, minggu)
        con = pages.connect(settings)
        try:
            header, data = pages.office_posts(con, code, week)
        finally:
            con.close()
        return _download(kind, f"postingan_{code}_{week}", "Postingan", header, data)

    @app.get("/kantor/{code}/postingan.csv")
    def posts_csv(request: Request, code: str, minggu: str | None = None):
        return posts_download(request, code, minggu, "csv")

    @app.get("/kantor/{code}/postingan.xlsx")
    def posts_xlsx(request: Request, code: str, minggu: str | None = None):
        return posts_download(request, code, minggu, "xlsx")

    # ------------------------------------------------------------------ province

    def readable_province(request: Request, code: str):
        user, _ = signed_in(request)
        if code != "00" and (code not in offices or offices[code].level != "provinsi"):
            raise Forbidden("Provinsi tidak dikenal.", 404)
        if code == "00" and user.role not in ("national", "admin"):
            raise Forbidden()
        if code != "00" and not auth.may_read_province(user, code):
            raise Forbidden()
        return user

    def pick_week(con, minggu: str | None) -> tuple[str | None, list[str]]:
        available = pages.published_weeks(con)
        if minggu is None:
            return (available[0] if available else None), available
        if minggu not in available:
            raise Forbidden(f"Minggu {minggu!r} belum ada di data terbit.", 404)
        return minggu, available

    @app.get("/provinsi/{code}")
    def province_page(
        request: Request,
        code: str,
        minggu: str | None = None,
        urut: str = "kantor",
        arah: str = "naik",
        platform: str = "",
    ):
        readable_province(request, code)
        con = pages.connect(settings)
        try:
            week, available = pick_week(con, minggu)
            if week is None:
                raise pages.NoPublishedCopy("no weeks")
            activity = pages.province_activity(con, code, week)
            header, table = pages.office_table(
                con, code, week, urut, arah == "turun", platform or None
            )
            provinces = pages.provinces(con, week) if code == "00" else []
        finally:
            con.close()
        return page(
            request,
            "provinsi.html",
            code=code,
            name=offices[code].office_name if code in offices else "KPU RI",
            week=week,
            available=available,
            activity=activity,
            header=header,
            table=table,
            columns=list(pages.OFFICE_COLUMNS),
            urut=urut if urut in pages.OFFICE_COLUMNS else "kantor",
            arah=arah,
            platform=platform,
            provinces=provinces,
        )

    def table_download(
        request: Request,
        code: str,
        minggu: str | None,
        urut: str,
        arah: str,
        platform: str,
        kind: str,
    ):
        readable_province(request, code)
        con = pages.connect(settings)
        try:
            week, _ = pick_week(con, minggu)
            if week is None:
                raise pages.NoPublishedCopy("no weeks")
            header, table = pages.office_table(
                con, code, week, urut, arah == "turun", platform or None
            )
        finally:
            con.close()
        return _download(kind, f"kantor_{code}_{week}", "Per kantor", header, table)

    @app.get("/provinsi/{code}/kantor.csv")
    def province_csv(
        request: Request,
        code: str,
        minggu: str | None = None,
        urut: str = "kantor",
        arah: str = "naik",
        platform: str = "",
    ):
        return table_download(request, code, minggu, urut, arah, platform, "csv")

    @app.get("/provinsi/{code}/kantor.xlsx")
    def province_xlsx(
        request: Request,
        code: str,
        minggu: str | None = None,
        urut: str = "kantor",
        arah: str = "naik",
        platform: str = "",
    ):
        return table_download(request, code, minggu, urut, arah, platform, "xlsx")

    @app.get("/ringkasan/{code}")
    def email_page(request: Request, code: str, minggu: str | None = None):
        readable_province(request, code)
        con = pages.connect(settings)
        try:
            week, _ = pick_week(con, minggu)
        finally:
            con.close()
        html = pages.email_html(settings, code, week) if week else None
        if html is None:
            raise Forbidden("Belum ada ringkasan untuk minggu ini.", 404)
        resp = HTMLResponse(html)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/ringkasan/{code}/lampiran.xlsx")
    def email_workbook(request: Request, code: str, minggu: str | None = None):
        readable_province(request, code)
        con = pages.connect(settings)
        try:
            week, _ = pick_week(con, minggu)
        finally:
            con.close()
        body = pages.email_workbook(settings, code, week) if week else None
        if body is None:
            raise Forbidden("Belum ada ringkasan untuk minggu ini.", 404)
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f'attachment; filename="medsos_{code}_{week}.xlsx"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/nasional")
    def national_page(
        request: Request,
        minggu: str | None = None,
        urut: str = "kantor",
        arah: str = "naik",
        platform: str = "",
    ):
        user, _ = signed_in(request)
        if user.role not in ("national", "admin"):
            raise Forbidden()
        return province_page(request, "00", minggu, urut, arah, platform)

    @app.get("/audit")
    def audit_page(request: Request):
        user, _ = signed_in(request)
        if user.role != "admin":
            raise Forbidden()
        log = ps.data / "audit.log"
        lines = log.read_text(encoding="utf-8").splitlines()[-300:] if log.exists() else []
        events = []
        for line in reversed(lines):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return page(request, "audit.html", events=events)

    # a whole upload: a few exports at the size limit (each file is held to it on arrival)
    wrapped = BodyLimit(app, int(ps.max_export_mb * 1024 * 1024 * 4) + (1 << 20))
    wrapped.fastapi = app
    return wrapped


def _local(target: str) -> str:
    """Only a path on this site (never //other.host or a full address) to go back to."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _download(kind: str, stem: str, sheet: str, header: list[str], data: list[tuple]) -> Response:
    if kind == "csv":
        body, media = pages.csv_bytes(header, data), "text/csv; charset=utf-8"
    else:
        body = pages.xlsx_bytes(sheet, header, data)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{kind}"',
            "Cache-Control": "no-store",
        },
    )


def _show_upload(
    record: dict[str, Any], checker, settings: Settings, ps: PortalSettings, reg: dict[str, Any]
) -> dict[str, Any]:
    """An upload's files with their verdicts (from the folder's verdicts, so a file dropped
    since or a re-sent copy reads the same as on the office page)."""
    con = None
    try:
        con = pages.connect(settings)
        copies = pages.loaded_copies(con, record["office"], settings.landing)
        recent = pages.recent_rows(con, record["office"])
    except pages.NoPublishedCopy:
        copies, recent = {}, {}
    finally:
        if con:
            con.close()
    every = uploads.folder_verdicts(
        settings, ps, checker, record["week"], record["office"], reg, copies, recent
    )
    items = []
    for s in record["saved"]:
        rel = s["relative_path"]
        mine = [
            v
            for v in every
            if v["relative_path"] == rel or v["relative_path"].startswith(rel + "::")
        ]
        items.append({"saved": s, "verdicts": mine})
    return {"record": record, "items": items}
