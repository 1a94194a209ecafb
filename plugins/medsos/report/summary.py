"""Gather one summary's numbers from the marts (read-only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from medsos import weeks

PLATFORM_LABELS = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "all": "Semua platform",
}
CATEGORY_LABELS = {
    "informasi_pemilu": "Informasi pemilu",
    "edukasi": "Edukasi pemilih",
    "kegiatan": "Berita kegiatan",
    "lainnya": "Lainnya",
}


FORMAT_LABELS = {
    "video": "video",
    "image": "gambar",
    "carousel": "album",
    "text": "teks",
    "other": "lainnya",
}
NOTHING_SENT = "belum mengirim ekspor apa pun"
TO_CALL_SHOWN = 10  # offices named in the email; the workbook lists them all
FOLLOW_UP_SHEET = "Kantor perlu ditindaklanjuti"  # Excel allows 31 characters in a sheet name


def deciding_words(reason: str | None) -> list[str]:
    """The keywords in a ``content_category_reason`` (``kegiatan: gelar (awal judul),
    rapat koordinasi (judul)`` -> ``['gelar', 'rapat koordinasi']``)."""
    if not reason or ":" not in reason:
        return []
    words = reason.split(":", 1)[1]
    return [w.split(" (")[0].strip() for w in words.split(", ") if w.split(" (")[0].strip()]


def spoken_list(items: list[str]) -> str:
    """``A``, ``A dan B``, ``A, B dan C``: a list as it is said in Indonesian."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " dan " + items[-1]


def follow_up(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per office with every reason to call it this week, worst first.

    ``rows`` are the office's cadence rows (one per platform). An office that posted
    nothing or sent no export counts two for each such platform, a day with too many
    uploads and over-tagged posts one each; ties go by name."""
    offices: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        offices.setdefault(r["office_name"], []).append(r)
    out = []
    for name, platforms in offices.items():
        label = lambda r: PLATFORM_LABELS[r["platform"]]  # noqa: E731
        no_post = [
            label(r)
            for r in platforms
            if r["data_status"] == "reported" and not r["met_weekly_minimum"]
        ]
        missing = [label(r) for r in platforms if r["data_status"] == "missing"]
        crowded = [r for r in platforms if (r["overposting_days"] or 0) > 0]
        tagged = sum(r["overtagged_posts"] or 0 for r in platforms)
        reasons = []
        if missing and len(missing) == len(platforms):
            reasons.append(NOTHING_SENT)
        elif missing:
            reasons.append(f"ekspor {spoken_list(missing)} belum dikirim")
        if no_post:
            reasons.append(f"tidak memposting di {spoken_list(no_post)}")
        for r in sorted(crowded, key=lambda r: -r["max_posts_in_a_day"]):
            reasons.append(f"{r['max_posts_in_a_day']} unggahan dalam sehari di {label(r)}")
        if tagged:
            reasons.append(f"{tagged} postingan dengan tagar berlebih")
        if reasons:
            score = 2 * (len(no_post) + len(missing)) + (1 if crowded else 0) + (1 if tagged else 0)
            out.append(
                {
                    "office_name": name,
                    "reasons": reasons,
                    "reason_text": "; ".join(reasons),
                    "score": score,
                }
            )
    return sorted(out, key=lambda o: (-o["score"], o["office_name"]))


DATA_QUALITY_SHOWN = 10  # lines in the email; the workbook's "Kualitas data" sheet has all


def file_label(relative_path: str) -> str:
    """A file as its office knows it: the path inside the office folder, a ZIP member
    as ``export.zip › Content.csv``."""
    parts = relative_path.split("/")
    inside = "/".join(parts[2:]) if len(parts) >= 3 else relative_path
    return inside.replace("::", " › ")


def _rows_said(rows: list[int]) -> str:
    rows = sorted(set(r for r in rows if r is not None))
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in rows[:5])
    return f" (baris {shown}{' …' if len(rows) > 5 else ''})"


def data_quality(
    con: duckdb.DuckDBPyConnection, office_code: str, scope: str, week: str, office_filter: str
) -> list[dict[str, Any]]:
    """One line per file with every problem medsos found in it this week, in Indonesian:
    ``{office_name, file, severity ('ditolak'|'ditahan'|'peringatan'), text, ...}``,
    rejected files first. A file in a misnamed office folder is shown to the province of
    the office the folder most likely means (and the line says so); files that name no
    office at all go to the province whose code starts the folder name, and all of them
    to KPU RI."""
    from medsos.report.reasons import Office, explain, likely_office, office_folder
    from medsos.validate import messages_id

    pesan = messages_id()
    files_filter = (
        "f.office_code in (select office_code from core.offices o where " + office_filter + ")"
    )
    lines: dict[str, dict[str, Any]] = {}

    def line(path: str, office_name: str | None, severity: str) -> dict[str, Any]:
        entry = lines.setdefault(
            path,
            {
                "relative_path": path,
                "file": file_label(path),
                "office_name": office_name,
                "severity": severity,
                "parts": [],
            },
        )
        if severity == "ditolak":
            entry["severity"] = "ditolak"
        elif severity == "ditahan" and entry["severity"] == "peringatan":
            entry["severity"] = "ditahan"
        return entry

    for r in _rows(
        con,
        f"""select f.relative_path, f.status_reason, o.office_name from raw.files f
            join core.offices o using (office_code)
            where f.status = 'rejected' and f.delivery_week = ? and {files_filter}
            order by o.office_name, f.relative_path""",
        [week, office_code],
    ):
        line(r["relative_path"], r["office_name"], "ditolak")["parts"].append(
            "ditolak: " + explain(r["status_reason"], r["relative_path"])
        )

    # files that name no office: placed by the office their folder most likely means
    offices = [
        Office(*o)
        for o in con.execute(
            "select office_code, office_name, province_code from core.offices"
        ).fetchall()
    ]
    by_code = {o.office_code: o for o in offices}
    in_scope = {
        r[0]
        for r in con.execute(
            f"select office_code from core.offices o where {office_filter}", [office_code]
        ).fetchall()
    }
    for r in _rows(
        con,
        """select f.relative_path, f.status_reason from raw.files f
           where f.status = 'rejected' and f.office_code is null
             and (f.delivery_week = ? or f.delivery_week is null
                  or f.delivery_week not in (select iso_week from core.calendar_weeks))
           order by f.relative_path""",
        [week],
    ):
        folder = office_folder(r["relative_path"])
        guess = likely_office(folder, offices) if folder else None
        if scope == "province":
            if guess is not None:
                shown = guess.province_code == office_code and guess.office_code in in_scope
            else:
                shown = folder is not None and folder.startswith(f"{office_code}.")
            if not shown:
                continue
        text = "ditolak: " + explain(r["status_reason"], r["relative_path"])
        entry = line(r["relative_path"], guess.office_name if guess else None, "ditolak")
        # the whole path: the folder is what is wrong, and where the admin must look
        entry["file"] = r["relative_path"].replace("::", " › ")
        misnamed_office = "office code" in (r["status_reason"] or "") or "names no KPU office" in (
            r["status_reason"] or ""
        )
        if guess is not None and misnamed_office:
            week_folder = r["relative_path"].split("/")[0]
            text += (
                f"; kemungkinan maksudnya {guess.office_name} ({guess.office_code}): pindahkan berkas ke "
                f"folder {week_folder}/{guess.office_code}/"
            )
            entry.update(placed_office=guess.office_name, folder=folder)
            if scope == "national" and by_code.get(guess.province_code):
                entry["placed_province"] = by_code[guess.province_code].office_name
        entry["parts"].append(text)

    for table, severity, verb in (
        ("raw.quarantine", "ditahan", "ditahan, tidak dihitung"),
        ("raw.row_warnings", "peringatan", "tetap dimuat, dengan peringatan"),
    ):
        for r in _rows(
            con,
            f"""select q.source_file, o.office_name, q.check_name, q.column_name,
                       any_value(q.message) as message, count(*) as rows,
                       list(q.source_row order by q.source_row) as row_numbers
                from {table} q join raw.files f on f.relative_path = q.source_file
                join core.offices o on o.office_code = f.office_code
                where f.delivery_week = ? and {files_filter}
                group by all order by o.office_name, q.source_file, rows desc""",
            [week, office_code],
        ):
            if r["check_name"] == "parse":
                what = f"nilai tidak terbaca di kolom '{r['column_name']}'"
            else:
                what = pesan.get(f"{r['check_name']}:{r['column_name']}") or r["message"]
            line(r["source_file"], r["office_name"], severity)["parts"].append(
                f"{r['rows']} baris {verb}: {what}{_rows_said(r['row_numbers'])}"
            )

    for r in _rows(
        con,
        f"""select r.source_file, o.office_name, r.expectation, r.column_name, f.rows_in_file
            from raw.validation_file_results r join raw.files f on f.relative_path = r.source_file
            join core.offices o on o.office_code = f.office_code
            where r.dataset = 'files' and r.severity = 'warning' and f.delivery_week = ? and {files_filter}
              and r.run_id = f.run_id
            order by o.office_name, r.source_file""",
        [week, office_code],
    ):
        if r["column_name"] == "rows_vs_recent":
            what = (
                f"berisi {r['rows_in_file']} baris, lebih dari 10 kali biasanya; periksa rentang tanggal "
                "dan akun ekspornya"
            )
        else:
            what = pesan.get(f"{r['expectation']}:{r['column_name']}") or r["expectation"]
        line(r["source_file"], r["office_name"], "peringatan")["parts"].append(
            f"peringatan: {what}"
        )

    order = {"ditolak": 0, "ditahan": 1, "peringatan": 2}
    out = sorted(
        lines.values(),
        key=lambda e: (order[e["severity"]], e["office_name"] or "~", e["relative_path"]),
    )
    for e in out:
        e["text"] = "; ".join(e["parts"])
    return out


@dataclass
class Summary:
    office_code: str  # who receives it: a provincial office, or 00 for KPU RI
    office_name: str
    scope: str  # 'province' | 'national'
    week: str
    week_label: str
    headline: list[dict[str, Any]] = field(default_factory=list)
    below_minimum: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    overposting: list[dict[str, Any]] = field(default_factory=list)
    overtagged: list[dict[str, Any]] = field(default_factory=list)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    content_mix: list[dict[str, Any]] = field(default_factory=list)
    format_mix: list[dict[str, Any]] = field(default_factory=list)  # video, gambar, album, teks
    campaign_hashtag_pct: float | None = None  # posts with an official campaign tag, % of posts
    handles_off_pattern: list[dict[str, Any]] = field(
        default_factory=list
    )  # accounts not named as the province asks
    top_offices: list[dict[str, Any]] = field(default_factory=list)
    bottom_offices: list[dict[str, Any]] = field(default_factory=list)
    top_tied_not_shown: int = 0  # offices beyond the three shown that share the third's rank
    bottom_tied_not_shown: int = 0
    # one line per file with a problem this week, rejected first (see data_quality)
    data_quality: list[dict[str, Any]] = field(default_factory=list)
    offices_evaluated: int = 0
    # one entry per office to call, worst first: {office_name, reasons: [...], score}
    to_call: list[dict[str, Any]] = field(default_factory=list)
    offices_reported: int = 0  # offices that sent at least one export for the week
    chart_series: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[tuple[str, list[str], list[tuple]]] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"Ringkasan Medsos {self.office_name} — Minggu {self.week} ({self.week_label})"


def _table(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]
) -> tuple[list[str], list[tuple]]:
    rel = con.execute(sql, params)
    cols = [d[0] for d in rel.description]
    return cols, rel.fetchall()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rel = con.execute(sql, params)
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def recipients_of_summaries(con: duckdb.DuckDBPyConnection, week: str) -> list[tuple[str, str]]:
    """(office_code, scope) for every summary that has data this week."""
    provinces = [
        r[0]
        for r in con.execute(
            "select distinct province_code from marts.province_weekly where iso_week = ? order by 1",
            [week],
        ).fetchall()
    ]
    national = con.execute(
        "select count(*) from marts.national_weekly where iso_week = ?", [week]
    ).fetchall()[0][0]
    out = [(p, "province") for p in provinces]
    if national:
        out.append(("00", "national"))
    return out


def week_tables(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, str]:
    """The week's rows of the tables every summary reads, copied once per connection into
    temporary tables: 39 summaries then read a few thousand rows each time instead of
    scanning the whole history (a read-only connection may still hold temporary tables)."""
    weeks.parse_week(week)  # a week name, nothing else, goes into the table names
    slug = week.replace("-", "_")
    names = {
        "cadence": f"temp.report_cadence_{slug}",
        "posts": f"temp.report_posts_{slug}",
        "engagement": f"temp.report_engagement_{slug}",
    }
    sources = {
        "cadence": "marts.weekly_cadence",
        "posts": "core.posts",
        "engagement": "marts.weekly_engagement",
    }
    for key, name in names.items():
        con.execute(
            f"create temp table if not exists {name.split('.')[1]} as "
            f"select * from {sources[key]} where iso_week = ?",
            [week],
        )
    return names


def gather(con: duckdb.DuckDBPyConnection, office_code: str, scope: str, week: str) -> Summary:
    name = con.execute(
        "select office_name from core.offices where office_code = ?", [office_code]
    ).fetchall()[0][0]
    s = Summary(office_code, name, scope, week, weeks.week_label(week))
    tables = week_tables(con, week)
    prev = weeks.shift(week, -1)
    four = [weeks.shift(week, -i) for i in range(4, 0, -1)]
    if scope == "province":
        table, where, p = "marts.province_weekly", "province_code = ?", [office_code]
        office_filter = "o.province_code = ? and o.level in ('kabupaten', 'kota')"
    else:
        table, where, p = "marts.national_weekly", "true", []
        office_filter = "o.level = 'provinsi' and ? = '00'"

    s.headline = _rows(
        con,
        f"""
        with w as (select * from {table} where {where})
        select cur.platform, cur.offices_expected, cur.offices_reported, cur.offices_missing,
               cur.offices_met_minimum, cur.pct_offices_met_minimum, cur.posting_activity_pct,
               last.posting_activity_pct as last_week_pct,
               (select round(avg(x.posting_activity_pct), 1) from w as x
                 where x.platform = cur.platform and x.iso_week in (?, ?, ?, ?)) as four_week_avg_pct
        from w as cur
        left join w as last on last.platform = cur.platform and last.iso_week = ?
        where cur.iso_week = ?
        order by case cur.platform when 'all' then 0 when 'instagram' then 1 when 'facebook' then 2
                 when 'x' then 3 when 'youtube' then 4 else 5 end
        """,
        [*p, *four, prev, week],
    )
    for h in s.headline:
        h["label"] = PLATFORM_LABELS[h["platform"]]
        h["change"] = (
            None
            if h["last_week_pct"] is None
            else round(h["posting_activity_pct"] - h["last_week_pct"], 1)
        )
    all_row = next((h for h in s.headline if h["platform"] == "all"), None)
    s.offices_evaluated = all_row["offices_expected"] if all_row else 0

    cadence = f"""
        select c.*, o.level from {tables["cadence"]} c join core.offices o using (office_code)
        where c.iso_week = ? and {office_filter}
    """
    s.to_call = follow_up(_rows(con, f"select * from ({cadence})", [week, office_code]))
    s.offices_reported = _rows(
        con,
        f"select count(distinct office_code) as n from ({cadence}) where data_status = 'reported'",
        [week, office_code],
    )[0]["n"]
    if s.offices_reported == 0:
        # nothing arrived: this week's figures are unknown, not 0 %
        for h in s.headline:
            h["posting_activity_pct"], h["change"] = None, None
    s.below_minimum = _rows(
        con,
        f"""select platform, string_agg(office_name, ', ' order by office_name) as offices, count(*) as n
            from ({cadence}) where data_status = 'reported' and not met_weekly_minimum
            group by platform order by platform""",
        [week, office_code],
    )
    for b in s.below_minimum:
        b["label"] = PLATFORM_LABELS[b["platform"]]
    s.missing = _rows(
        con,
        f"""select office_name, string_agg(platform, ', ' order by platform) as platforms
            from ({cadence}) where data_status = 'missing'
            group by office_name order by office_name""",
        [week, office_code],
    )
    s.overposting = _rows(
        con,
        f"""select office_name, platform, overposting_days, max_posts_in_a_day
            from ({cadence}) where overposting_days > 0
            order by max_posts_in_a_day desc, office_name""",
        [week, office_code],
    )
    for o in s.overposting:
        o["label"] = PLATFORM_LABELS[o["platform"]]
    s.overtagged = _rows(
        con,
        f"""select office_name, sum(overtagged_posts) as posts,
                   string_agg(platform, ', ' order by platform) filter (where overtagged_posts > 0) as platforms
            from ({cadence}) group by office_name having sum(overtagged_posts) > 0
            order by posts desc, office_name""",
        [week, office_code],
    )
    s.top_posts = _rows(
        con,
        f"""select o.office_name, p.platform, p.caption, p.permalink, p.interactions, p.views,
                   p.content_category
            from {tables["posts"]} p join core.offices o using (office_code)
            where p.iso_week = ? and {office_filter} and p.interactions is not null
            order by p.interactions desc, p.post_id limit 5""",
        [week, office_code],
    )
    for t in s.top_posts:
        t["label"] = PLATFORM_LABELS[t["platform"]]
        caption = " ".join((t["caption"] or "").split())
        t["caption_short"] = caption[:120] + ("…" if len(caption) > 120 else "")
    mix = _rows(
        con,
        f"""select sum(posts_informasi_pemilu) as informasi_pemilu, sum(posts_edukasi) as edukasi,
                   sum(posts_kegiatan) as kegiatan, sum(posts_lainnya) as lainnya
            from ({cadence})""",
        [week, office_code],
    )[0]
    total = sum(v or 0 for v in mix.values())
    # the words that decided the most posts of each category (content_category_reason),
    # so a reader can see why posts were counted as they were, and contest it
    reasons = con.execute(
        f"""select p.content_category, p.content_category_reason from {tables["posts"]} p
            join core.offices o using (office_code) where p.iso_week = ? and {office_filter}""",
        [week, office_code],
    ).fetchall()
    deciding: dict[str, dict[str, int]] = {}
    for category, reason in reasons:
        for word in deciding_words(reason):
            counts = deciding.setdefault(category, {})
            counts[word] = counts.get(word, 0) + 1
    s.content_mix = [
        {
            "label": CATEGORY_LABELS[k],
            "posts": v or 0,
            "pct": round(100 * (v or 0) / total, 1) if total else 0.0,
            "words": [
                w
                for w, _ in sorted(deciding.get(k, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            ],
        }
        for k, v in mix.items()
    ]
    formats = _rows(
        con,
        f"""select sum(posts_video) as video, sum(posts_image) as image, sum(posts_carousel) as carousel,
                   sum(posts_text) as text, sum(posts_other_format) as other,
                   sum(posts_with_campaign_hashtag) as tagged, sum(posts) as posts
            from ({cadence})""",
        [week, office_code],
    )[0]
    posts_total = formats.pop("posts") or 0
    tagged = formats.pop("tagged") or 0
    s.format_mix = [
        {"label": FORMAT_LABELS[k], "posts": v or 0, "pct": round(100 * (v or 0) / posts_total, 1)}
        for k, v in formats.items()
        if v and posts_total
    ]
    s.campaign_hashtag_pct = round(100 * tagged / posts_total, 1) if posts_total else None
    s.handles_off_pattern = _rows(
        con,
        f"""select c.office_name, a.platform, a.handle from ({cadence}) c
            join core.accounts a on a.office_code = c.office_code and a.platform = c.platform
            where a.handle_follows_pattern = false
            order by c.office_name, a.platform""",
        [week, office_code],
    )
    for h in s.handles_off_pattern:
        h["label"] = PLATFORM_LABELS[h["platform"]]
    if scope == "province" and s.offices_reported:
        ranks = _rows(
            con,
            """select office_name, rank_in_province, offices_sharing_rank, platforms_met_minimum,
                      platforms_registered, posts_reported as posts, posting_activity_pct
               from marts.office_ranks where province_code = ? and iso_week = ?
               order by rank_in_province, office_name""",
            [office_code, week],
        )
        for r in ranks:
            r["rank_text"] = f"{r['rank_in_province']}" + (
                " (seri)" if r["offices_sharing_rank"] > 1 else ""
            )
        s.top_offices = ranks[:3]
        s.bottom_offices = list(reversed(ranks[max(3, len(ranks) - 3) :]))
        # a tie across the cut: the offices left out share the last shown office's rank
        if s.top_offices:
            cut = s.top_offices[-1]["rank_in_province"]
            s.top_tied_not_shown = sum(
                1 for r in ranks[3:] if r["rank_in_province"] == cut and r not in s.bottom_offices
            )
        if s.bottom_offices:
            cut = s.bottom_offices[-1]["rank_in_province"]
            s.bottom_tied_not_shown = sum(
                1 for r in ranks[3 : len(ranks) - 3] if r["rank_in_province"] == cut
            )

    s.data_quality = data_quality(con, office_code, scope, week, office_filter)
    placed: dict[str, list[str]] = {}
    for line in s.data_quality:
        if line.get("placed_office"):
            placed.setdefault(line["placed_office"], []).append(line["folder"])
    if placed:
        # an office whose export sits in a misnamed folder did send something: say where
        for o in s.to_call:
            folders = placed.get(o["office_name"])
            if folders:
                shown = ", ".join(f"'{f}'" for f in dict.fromkeys(folders))
                said = f"ekspornya ada di folder yang salah ({shown}), belum dihitung"
                # it did send something: not "nothing at all"
                o["reasons"] = [said if r == NOTHING_SENT else r for r in o["reasons"]]
                if said not in o["reasons"]:
                    o["reasons"].append(said)
                o["reason_text"] = "; ".join(o["reasons"])
    first_chart_week = weeks.shift(week, -7)
    # a week in which no office sent anything has no point on the chart (not a fall to 0)
    s.chart_series = _rows(
        con,
        f"""with w as (select * from {table} where {where} and iso_week between ? and ?),
                 weeks_with_data as (select iso_week from w where platform <> 'all'
                                     group by iso_week having sum(offices_reported) > 0)
            select iso_week, platform, posting_activity_pct from w
            where iso_week in (select iso_week from weeks_with_data) order by iso_week""",
        [*p, first_chart_week, week],
    )
    platform_order = (
        "case platform when 'all' then 0 when 'instagram' then 1 when 'facebook' then 2 "
        "when 'x' then 3 when 'youtube' then 4 else 5 end"
    )
    s.sheets = [
        (
            FOLLOW_UP_SHEET,
            ["office_name", "reason_text", "score"],
            [(o["office_name"], o["reason_text"], o["score"]) for o in s.to_call],
        ),
        (
            "Aktivitas posting",
            *_table(
                con,
                f"select * from {table} where {where} and iso_week = ? order by {platform_order}",
                [*p, week],
            ),
        ),
    ]
    if scope == "province":
        s.sheets.append(
            (
                "Peringkat kantor",
                *_table(
                    con,
                    """select * exclude (province_code) from marts.office_ranks where province_code = ? and iso_week = ?
               order by rank_in_province, office_name""",
                    [office_code, week],
                ),
            )
        )
    s.sheets += [
        (
            "Per kantor",
            *_table(
                con,
                f"""select c.* exclude (level) from ({cadence}) c order by c.office_code, {platform_order}""",
                [week, office_code],
            ),
        ),
        (
            "Interaksi",
            *_table(
                con,
                f"""select e.* from {tables["engagement"]} e join core.offices o using (office_code)
                    where e.iso_week = ? and {office_filter} order by e.office_code, e.platform""",
                [week, office_code],
            ),
        ),
        (
            "Postingan",
            *_table(
                con,
                f"""select o.office_name, p.platform, p.published_local, p.post_type, p.content_format,
                           p.content_category, p.content_category_reason, p.hashtags, p.has_campaign_hashtag, p.views, p.likes, p.comments, p.shares, p.interactions,
                           p.caption, p.permalink
                    from {tables["posts"]} p join core.offices o using (office_code)
                    where p.iso_week = ? and {office_filter}
                    order by o.office_code, p.platform, p.published_local""",
                [week, office_code],
            ),
        ),
        (
            "Kualitas data",
            ["office_name", "file", "severity", "text"],
            [
                (
                    d["office_name"] or "(folder tidak dikenal)",
                    d["relative_path"],
                    d["severity"],
                    d["text"],
                )
                for d in s.data_quality
            ],
        ),
    ]
    return s
