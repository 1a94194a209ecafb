"""Deterministic, realistic sample exports for KPU Provinsi Jawa Timur and its 38
regency/city offices (``medsos sample``).

``build_plan`` decides everything first (posts, publish times, what each weekly export
shows); ``write_sample`` renders the plan as native export files in the landing zone.
Tests compare the warehouse with the plan, so the plan is the ground truth.

The mess a real province sends, on purpose (all in ``SamplePlan.cases``):

- offices that post nothing on a platform some weeks (the export still arrives);
- an office that sends no export at all one week (``missing``, not zero);
- an office without a TikTok account (KPU Kabupaten Sampang, 35.27);
- days with many uploads (over-posting) and captions with too many hashtags;
- exports that overlap (Thursday of the previous week to Sunday), so the same post
  appears in two consecutive weekly exports with grown metrics;
- Instagram and YouTube exports from admins whose UI is in Bahasa Indonesia.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from medsos import weeks
from medsos.sample.model import ExportRequest, ExportRow, Metrics, SampleAccount, SamplePost

DEFAULT_FIRST_WEEK = "2024-W02"
DEFAULT_LAST_WEEK = "2024-W09"  # eight weeks around election day, 14 Feb 2024 (2024-W07)
PROVINCE = "35"

# Fixed special cases, named so tests and the README can point at them.
CASES: dict[str, Any] = {
    "missing_delivery": ("35.09", 3),  # KPU Kabupaten Jember sends nothing in the 4th week
    "silent_weeks": [("35.16", "x", 2), ("35.16", "x", 3), ("35.21", "youtube", None)],
    "overposting": ("35.78", "instagram", "2024-02-14", 6),  # Surabaya, election day
    "overposting_tiktok": ("35.73", "tiktok", 5, 5),  # Kota Malang: 5 videos on one day, week 6
    "overtagged_office": "35.10",  # Banyuwangi tags 7-10 hashtags on every post
    "no_tiktok_office": "35.27",
}

WEEKLY_POSTS = {
    "instagram": (2, 7),
    "facebook": (2, 7),
    "x": (1, 5),
    "youtube": (0, 2),
    "tiktok": (1, 4),
}

CAPTIONS = {
    "informasi_pemilu": [
        "Jadwal tahapan Pemilu 2024: pemungutan suara dilaksanakan Rabu, 14 Februari 2024 pukul 07.00-13.00 WIB di TPS masing-masing.",
        "Sudah cek DPT? Pastikan namamu terdaftar di daftar pemilih tetap melalui cekdptonline.kpu.go.id atau datangi kantor PPS terdekat.",
        "Pengumuman lokasi TPS di wilayah {region} untuk pemungutan suara 14 Februari 2024.",
        "Rekapitulasi hasil penghitungan suara tingkat kecamatan di {region} berlangsung terbuka untuk umum.",
        "Masa tenang Pemilu 2024 berlangsung 11-13 Februari 2024. Tidak ada kampanye dalam bentuk apa pun.",
        "Pemutakhiran data pemilih: {count} pemilih pindah memilih tercatat di {region} per hari ini.",
    ],
    "edukasi": [
        "TAHUKAH KAMU ??? Pemilih pemula cukup membawa KTP-el dan formulir C pemberitahuan saat datang memilih.",
        "HOAX vs FAKTA - Beredar kabar surat suara sudah dicoblos sebelum hari H. Kabar tersebut hoaks, jangan mudah percaya.",
        "Yuk kenali cara mencoblos yang benar agar suaramu sah! Coblos tepat pada kotak, bukan di luar garis.",
        "Pendidikan pemilih: mengapa satu suara itu penting? Jangan golput, gunakan hak pilihmu.",
        "Simak tata cara memilih bagi penyandang disabilitas, ada pendamping yang siap membantu.",
    ],
    "kegiatan": [
        "KPU {short} menghadiri rapat bersama Forkopimda di Pendopo {region}.",
        "Bimtek bagi anggota PPK se-{region} di Aula KPU {short}.",
        "Menerima kunjungan audiensi dari mahasiswa perguruan tinggi di {region}.",
        "Apel pagi jajaran sekretariat KPU {short} dilanjutkan silaturahmi dengan awak media.",
        "Dokumentasi kegiatan monitoring dan supervisi gudang logistik KPU {short}.",
    ],
}
USUAL_TAGS = ["#TemanPemilih", "#KPUMelayani", "#Pemilu2024", "#PemiluDamai"]
EXTRA_TAGS = [
    "#AyoMemilih",
    "#JawaTimur",
    "#KPUJatim",
    "#Demokrasi",
    "#PemiluSerentak",
    "#MilenialMemilih",
    "#JanganGolput",
    "#KPURI",
    "#InfoPemilu",
    "#SuaraRakyat",
]
SIGN_OFFS = [
    "",
    "",
    "\n\n📌 Info lengkap: kpu.go.id",
    "\n🗳️ Satu suara, satu masa depan.",
    ' "Pemilih berdaulat, negara kuat."',
]

POST_TYPES = {
    "instagram": [("image", 40), ("carousel", 25), ("reel", 30), ("story", 5)],
    "facebook": [("image", 50), ("video", 20), ("reel", 15), ("text", 15)],
    "x": [("text", 100)],
    "youtube": [("video", 60), ("short", 40)],
    "tiktok": [("video", 90), ("carousel", 10)],
}
DURATIONS = {"video": (61, 900), "reel": (15, 90), "short": (15, 60)}  # YouTube: <= 60 s is a short
ID_LANGUAGE_OFFICES = {"instagram": 2, "youtube": 3}  # every n-th office's admin uses Bahasa UI


@dataclass
class SamplePlan:
    weeks: list[str]
    accounts: list[SampleAccount]
    posts: list[SamplePost]
    requests: list[ExportRequest]
    cases: dict = field(default_factory=lambda: dict(CASES))

    def posts_in_week(self, office_code: str, platform: str, week: str) -> list[SamplePost]:
        return [
            p
            for p in self.posts
            if p.office_code == office_code
            and p.platform == platform
            and weeks.week_of(p.published_local) == week
        ]

    def delivered(self, office_code: str, platform: str, week: str) -> bool:
        return any(
            r.account.office_code == office_code
            and r.account.platform == platform
            and r.iso_week == week
            for r in self.requests
        )


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def _digits(n: int, *parts: object) -> str:
    h = int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(h % 10**n).zfill(n)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _short_name(office_name: str) -> str:
    # "KPU Kabupaten Kediri" -> "Kab. Kediri"; "KPU Kota Batu" -> "Kota Batu"
    name = office_name.removeprefix("KPU ").removeprefix("KIP ")
    return name.replace("Kabupaten ", "Kab. ").replace("Provinsi ", "Prov. ")


def load_sample_accounts(accounts_path: Path | None = None) -> list[SampleAccount]:
    from medsos.registry import load_accounts, load_offices

    offices = load_offices()
    out = []
    for a in load_accounts(accounts_path):
        office = offices[a.office_code]
        if a.office_code != PROVINCE and office.province_code != PROVINCE:
            continue
        out.append(
            SampleAccount(
                office_code=a.office_code,
                office_name=office.office_name,
                platform=a.platform,
                handle=a.handle,
                account_id=a.account_id or None,
                display_name=a.display_name or office.office_name,
            )
        )
    return sorted(out, key=lambda a: (a.office_code, a.platform))


def _post_id(platform: str, account: SampleAccount, published_local: datetime, seq: int) -> str:
    # X and TikTok ids carry their creation instant; Jawa Timur is on WIB.
    instant = published_local.replace(tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(UTC)
    if platform == "facebook":
        return "12215" + _digits(13, account.handle, seq)
    if platform == "instagram":
        return "179" + _digits(15, account.handle, seq)
    if platform == "x":
        ms = int(instant.timestamp() * 1000)
        return str(((ms - 1288834974657) << 22) | (int(_digits(6, account.handle, seq)) % 4096))
    if platform == "tiktok":
        return str(
            (int(instant.timestamp()) << 32) | int(_digits(9, account.handle, seq)) % (1 << 32)
        )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    h = int(hashlib.sha256(f"{account.handle}|{seq}".encode()).hexdigest(), 16)
    return "".join(alphabet[(h >> (6 * i)) & 63] for i in range(11)).replace(
        "-", "Q", 1 if h % 3 else 0
    )


def _permalink(platform: str, account: SampleAccount, post_id: str, post_type: str) -> str:
    if platform == "facebook":
        return (
            f"https://www.facebook.com/reel/{post_id}"
            if post_type == "reel"
            else f"https://www.facebook.com/{account.account_id}/posts/{post_id}"
        )
    if platform == "instagram":
        code = _digits(11, post_id)
        kind = {"reel": "reel", "story": f"stories/{account.handle}"}.get(post_type, "p")
        return f"https://www.instagram.com/{kind}/C{code}/"
    if platform == "x":
        return f"https://x.com/{account.handle}/status/{post_id}"
    if platform == "tiktok":
        kind = "photo" if post_type == "carousel" else "video"
        return f"https://www.tiktok.com/@{account.handle}/{kind}/{post_id}"
    return f"https://www.youtube.com/watch?v={post_id}"


def _caption(
    rng: random.Random, account: SampleAccount, category: str, tags: int, platform: str
) -> str:
    short = _short_name(account.office_name)
    region = short.replace("Kab. ", "Kabupaten ").replace("Prov. ", "")
    text = rng.choice(CAPTIONS[category]).format(
        short=short, region=region, count=rng.randint(12, 480)
    )
    if platform == "youtube":  # a video title, not a caption: first clause, whole words
        title = text.split(": ")[0] if len(text) > 95 else text
        return title if len(title) <= 95 else title[:95].rsplit(" ", 1)[0]
    chosen = list(USUAL_TAGS[: min(tags, len(USUAL_TAGS))])
    chosen += rng.sample(EXTRA_TAGS, max(0, tags - len(chosen)))
    sign_off = rng.choice(SIGN_OFFS)
    return f"{text}{sign_off}\n{' '.join(chosen)}".strip() if chosen else text + sign_off


def _week_posts(account: SampleAccount, week: str, week_index: int, seed: int) -> list[SamplePost]:
    rng = _rng(seed, account.office_code, account.platform, week)
    low, high = WEEKLY_POSTS[account.platform]
    diligence = 0.6 + (int(_digits(3, seed, account.office_code)) % 700) / 1000  # 0.6 .. 1.3
    if account.office_code == PROVINCE:
        diligence = 1.4
    count = round(rng.randint(low, high) * diligence)
    if rng.random() < 0.08:
        count = 0  # a quiet week happens
    for office, platform, idx in CASES["silent_weeks"]:
        if (
            office == account.office_code
            and platform == account.platform
            and idx in (None, week_index)
        ):
            count = 0
    monday = weeks.week_start(week)
    days = [monday + timedelta(days=rng.randrange(7)) for _ in range(count)]
    case = CASES["overposting"]
    if (account.office_code, account.platform) == case[:2] and weeks.week_of(
        date.fromisoformat(case[2])
    ) == week:
        days += [date.fromisoformat(case[2])] * case[3]
    case = CASES["overposting_tiktok"]
    if (account.office_code, account.platform) == case[:2] and week_index == case[2]:
        days += [monday + timedelta(days=2)] * case[3]

    overtagged = account.office_code == CASES["overtagged_office"]
    return [
        new_post(rng, account, day, week_index * 1000 + seq, overtagged)
        for seq, day in enumerate(sorted(days))
    ]


def new_post(
    rng: random.Random, account: SampleAccount, day: date, number: int, overtagged: bool = False
) -> SamplePost:
    """One post of ``account`` on ``day``, drawn from ``rng`` (the sample and the national
    generator share it); ``number`` makes its id unique within the account."""
    published = datetime.combine(day, time(rng.randint(7, 21), rng.randrange(60)))
    category = _pick(rng, [("informasi_pemilu", 40), ("edukasi", 30), ("kegiatan", 30)])
    tags = rng.choice([0, 2, 2, 3, 3, 4]) if rng.random() > 0.05 else 6
    if overtagged:
        tags = rng.randint(7, 10)
    post_type = _pick(rng, POST_TYPES[account.platform])
    post_id = _post_id(account.platform, account, published, number)
    duration = float(rng.randint(*DURATIONS[post_type])) if post_type in DURATIONS else None
    return SamplePost(
        office_code=account.office_code,
        platform=account.platform,
        post_id=post_id,
        published_local=published,
        post_type=post_type,
        caption=_caption(rng, account, category, tags, account.platform),
        permalink=_permalink(account.platform, account, post_id, post_type),
        category=category,
        hashtags=0 if account.platform == "youtube" else tags,
        duration_seconds=duration,
    )


def lifetime_metrics(post: SamplePost, at: datetime) -> Metrics:
    """Lifetime-to-date numbers of ``post`` at local time ``at``: they grow and flatten."""
    age_days = max((at - post.published_local).total_seconds() / 86400, 0.0)
    grow = 1 - math.exp(-age_days / 1.5)
    rng = _rng("metrics", post.platform, post.post_id)
    audience = {"instagram": 900, "facebook": 700, "x": 400, "youtube": 250, "tiktok": 1500}[
        post.platform
    ]
    final_views = audience * rng.uniform(0.3, 4.0) * (3 if post.office_code == PROVINCE else 1)
    views = int(final_views * grow)
    likes = int(views * rng.uniform(0.02, 0.08))
    comments = int(likes * rng.uniform(0.02, 0.12))
    shares = int(likes * rng.uniform(0.03, 0.15))
    saves = int(likes * rng.uniform(0.01, 0.06))
    reach = int(views * rng.uniform(0.55, 0.85))
    watch = None
    if post.duration_seconds:
        watch = round(views * post.duration_seconds * rng.uniform(0.3, 0.6) / 3600, 4)
    p = post.platform
    impressions = int(views * 1.6) if p in ("x", "youtube") else None
    return Metrics(
        views=impressions if p == "x" else views,  # X's views are its impressions
        reach=reach if p in ("instagram", "facebook") else None,
        impressions=impressions,
        likes=likes,
        comments=comments,
        shares=shares,
        saves=saves if p in ("instagram", "x") else None,
        watch_time_hours=watch if p in ("youtube", "facebook") else None,
    )


def _window_metrics(post: SamplePost, start: datetime, end: datetime) -> Metrics:
    """YouTube Studio's table counts only what happened inside the selected range."""
    a, b = lifetime_metrics(post, start), lifetime_metrics(post, end)

    def diff(x, y):
        return None if x is None or y is None else y - x

    return Metrics(
        views=diff(a.views, b.views),
        impressions=diff(a.impressions, b.impressions),
        likes=diff(a.likes, b.likes),
        comments=diff(a.comments, b.comments),
        shares=diff(a.shares, b.shares),
        watch_time_hours=None
        if b.watch_time_hours is None
        else round(b.watch_time_hours - (a.watch_time_hours or 0), 4),
    )


def build_plan(
    first_week: str = DEFAULT_FIRST_WEEK,
    last_week: str = DEFAULT_LAST_WEEK,
    seed: int = 2024,
    accounts_path: Path | None = None,
) -> SamplePlan:
    week_list = weeks.weeks_between(first_week, last_week)
    accounts = load_sample_accounts(accounts_path)
    posts: list[SamplePost] = []
    for account in accounts:
        # the week before the first one too, so the first export's overlap has posts
        for i, week in enumerate([weeks.shift(first_week, -1), *week_list]):
            posts += _week_posts(account, week, i - 1, seed)
    by_account: dict[tuple[str, str], list[SamplePost]] = {}
    for p in posts:
        by_account.setdefault((p.office_code, p.platform), []).append(p)

    office_index = {code: i for i, code in enumerate(sorted({a.office_code for a in accounts}))}
    missing_office, missing_index = CASES["missing_delivery"]
    requests = []
    for account in accounts:
        for i, week in enumerate(week_list):
            if account.office_code == missing_office and i == missing_index:
                continue
            start = weeks.week_start(week) - timedelta(days=4)  # Thursday before
            end = weeks.week_end(week)
            snapshot = datetime.combine(end + timedelta(days=1), time())
            n = ID_LANGUAGE_OFFICES.get(account.platform)
            language = "id" if n and office_index[account.office_code] % n == 1 else "en"
            rows = []
            for p in by_account.get((account.office_code, account.platform), []):
                if not start <= p.published_local.date() <= end:
                    continue
                if account.platform == "youtube":
                    m = _window_metrics(
                        p, max(datetime.combine(start, time()), p.published_local), snapshot
                    )
                else:
                    m = lifetime_metrics(p, snapshot)
                rows.append(ExportRow(p, m))
            requests.append(
                ExportRequest(
                    account=account,
                    iso_week=week,
                    window_start=start,
                    window_end=end,
                    snapshot_local=snapshot,
                    language=language,
                    rows=sorted(rows, key=lambda r: r.post.published_local, reverse=True),
                )
            )
    in_range = {w for w in week_list} | {weeks.shift(first_week, -1)}
    return SamplePlan(
        week_list,
        accounts,
        [p for p in posts if weeks.week_of(p.published_local) in in_range],
        requests,
    )


def write_sample(landing: Path, plan: SamplePlan) -> list[Path]:
    """Write every export of the plan to ``<landing>/<week>/<office>/<native name>``."""
    from medsos.sample import facebook, instagram, tiktok, x, youtube

    writers = {
        "facebook": facebook,
        "instagram": instagram,
        "x": x,
        "youtube": youtube,
        "tiktok": tiktok,
    }
    written: list[Path] = []
    for request in plan.requests:
        folder = landing / request.iso_week / request.account.office_code
        if request.account.platform == "youtube":
            # Studio downloads a zip named like this; admins drop it unpacked.
            folder = folder / (
                f"Content {request.window_start:%Y-%m-%d}_{request.window_end:%Y-%m-%d} "
                f"{request.account.display_name}"
            )
        written += writers[request.account.platform].write(request, folder)
    return written


def write_sample_checked(landing: Path, plan: SamplePlan) -> list[Path]:
    """``write_sample`` for ``medsos sample``: refuses (``medsos.owned.Refused``) a landing
    zone holding any file this sample would not write byte for byte, so sample exports never
    overwrite an office's export nor mix into a real landing zone; writing the same sample
    again changes nothing."""
    import shutil
    import tempfile

    from medsos.owned import Refused

    staging = Path(tempfile.mkdtemp(prefix="medsos-sample-"))
    try:
        made = {p.relative_to(staging).as_posix(): p for p in write_sample(staging, plan)}
        if landing.is_dir():
            for path in sorted(landing.rglob("*")):
                if path.is_dir() and not path.is_symlink():
                    continue
                rel = path.relative_to(landing).as_posix()
                if (
                    rel not in made
                    or path.is_symlink()
                    or path.read_bytes() != made[rel].read_bytes()
                ):
                    raise Refused(
                        f"{landing} holds {rel}, which this sample would not write; medsos sample writes "
                        "only into an empty landing zone or over the same sample (give --landing)"
                    )
        for rel, source in made.items():
            target = landing / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        return [landing / rel for rel in made]
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # its own temporary folder
