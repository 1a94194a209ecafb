"""Gather one summary's numbers from the marts (read-only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medsos import weeks

if TYPE_CHECKING:  # the chart worker imports this package: no DuckDB there
    import duckdb

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


@dataclass(frozen=True)
class _Scope:
    """How a kind of summary picks its offices and its rows of the weekly marts."""

    mart: str  # the headline's, chart's and "Aktivitas posting" rows
    mart_key: str  # the mart's column naming the summary a row belongs to
    key: str  # the same over ``core.offices o``
    office_filter: str  # the offices a summary speaks about (over ``core.offices o``)


SCOPES = {
    "province": _Scope(
        "marts.province_weekly",
        "province_code",
        "o.province_code",
        "o.level in ('kabupaten', 'kota')",
    ),
    # KPU RI's summary is about the provincial offices; its code is 00
    "national": _Scope("marts.national_weekly", "'00'", "'00'", "o.level = 'provinsi'"),
}
PLATFORM_ORDER = (
    "case platform when 'all' then 0 when 'instagram' then 1 when 'facebook' then 2 "
    "when 'x' then 3 when 'youtube' then 4 else 5 end"
)
CODES = "(select unnest(?::varchar[]))"  # the summaries asked for, one list parameter


def _split(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]
) -> tuple[list[str], dict[str, list[tuple]]]:
    """A query whose first column names the summary each row belongs to: its other
    columns' names, and its rows per summary (in the query's order, without that column)."""
    rel = con.execute(sql, params)
    cols = [d[0] for d in rel.description][1:]
    out: dict[str, list[tuple]] = {}
    for r in rel.fetchall():
        out.setdefault(r[0], []).append(r[1:])
    return cols, out


def _split_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    cols, rows = _split(con, sql, params)
    return {k: [dict(zip(cols, r, strict=True)) for r in v] for k, v in rows.items()}


def _data_quality(
    con: duckdb.DuckDBPyConnection, sc: _Scope, scope: str, week: str, codes: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per summary, one line per file with every problem medsos found in it this week, in
    Indonesian: ``{office_name, file, severity ('ditolak'|'ditahan'|'peringatan'), text,
    ...}``, rejected files first. A file in a misnamed office folder is shown to the
    province of the office the folder most likely means (and the line says so); files
    that name no office at all go to the province whose code starts the folder name, and
    all of them to KPU RI."""
    from medsos.report.reasons import Office, explain, likely_office, office_folder
    from medsos.validate import messages_id

    pesan = messages_id()
    offices_in = f"{sc.office_filter} and {sc.key} in {CODES}"
    lines: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in codes}

    def line(code: str, path: str, office_name: str | None, severity: str) -> dict[str, Any]:
        entry = lines[code].setdefault(
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

    _, rejected = _split(
        con,
        f"""select {sc.key}, f.relative_path, f.status_reason, o.office_name from raw.files f
            join core.offices o using (office_code)
            where f.status = 'rejected' and f.delivery_week = ? and {offices_in}
            order by 1, o.office_name, f.relative_path""",
        [week, codes],
    )
    for code, found in rejected.items():
        for path, reason, office_name in found:
            line(code, path, office_name, "ditolak")["parts"].append(
                "ditolak: " + explain(reason, path)
            )

    # files that name no office: placed by the office their folder most likely means
    offices = [
        Office(*o)
        for o in con.execute(
            "select office_code, office_name, province_code from core.offices"
        ).fetchall()
    ]
    by_code = {o.office_code: o for o in offices}
    _, members = _split(
        con, f"select {sc.key}, o.office_code from core.offices o where {offices_in}", [codes]
    )
    in_scope = {code: {m[0] for m in found} for code, found in members.items()}
    for path, reason in con.execute(
        """select f.relative_path, f.status_reason from raw.files f
           where f.status = 'rejected' and f.office_code is null
             and (f.delivery_week = ? or f.delivery_week is null
                  or f.delivery_week not in (select iso_week from core.calendar_weeks))
           order by f.relative_path""",
        [week],
    ).fetchall():
        folder = office_folder(path)
        guess = likely_office(folder, offices) if folder else None
        text = "ditolak: " + explain(reason, path)
        misnamed_office = "office code" in (reason or "") or "names no KPU office" in (reason or "")
        if guess is not None and misnamed_office:
            week_folder = path.split("/")[0]
            text += (
                f"; kemungkinan maksudnya {guess.office_name} ({guess.office_code}): pindahkan berkas ke "
                f"folder {week_folder}/{guess.office_code}/"
            )
        for code in codes:
            if scope == "province":
                if guess is not None:
                    shown = guess.province_code == code and guess.office_code in in_scope.get(
                        code, set()
                    )
                else:
                    shown = folder is not None and folder.startswith(f"{code}.")
                if not shown:
                    continue
            entry = line(code, path, guess.office_name if guess else None, "ditolak")
            # the whole path: the folder is what is wrong, and where the admin must look
            entry["file"] = path.replace("::", " › ")
            if guess is not None and misnamed_office:
                entry.update(placed_office=guess.office_name, folder=folder)
                if scope == "national" and by_code.get(guess.province_code):
                    entry["placed_province"] = by_code[guess.province_code].office_name
            entry["parts"].append(text)

    for table, severity, verb in (
        ("raw.quarantine", "ditahan", "ditahan, tidak dihitung"),
        ("raw.row_warnings", "peringatan", "tetap dimuat, dengan peringatan"),
    ):
        found_rows = _split_rows(
            con,
            f"""select {sc.key} as summary_code, q.source_file, o.office_name, q.check_name,
                       q.column_name, any_value(q.message) as message, count(*) as rows,
                       list(q.source_row order by q.source_row) as row_numbers
                from {table} q join raw.files f on f.relative_path = q.source_file
                join core.offices o on o.office_code = f.office_code
                where f.delivery_week = ? and {offices_in}
                group by all
                order by summary_code, o.office_name, q.source_file, rows desc, q.check_name,
                         q.column_name""",
            [week, codes],
        )
        for code, problems in found_rows.items():
            for r in problems:
                if r["check_name"] == "parse":
                    what = f"nilai tidak terbaca di kolom '{r['column_name']}'"
                else:
                    what = pesan.get(f"{r['check_name']}:{r['column_name']}") or r["message"]
                line(code, r["source_file"], r["office_name"], severity)["parts"].append(
                    f"{r['rows']} baris {verb}: {what}{_rows_said(r['row_numbers'])}"
                )

    for code, warnings in _split_rows(
        con,
        f"""select {sc.key} as summary_code, r.source_file, o.office_name, r.expectation,
                   r.column_name, f.rows_in_file
            from raw.validation_file_results r join raw.files f on f.relative_path = r.source_file
            join core.offices o on o.office_code = f.office_code
            where r.dataset = 'files' and r.severity = 'warning' and f.delivery_week = ?
              and {offices_in} and r.run_id = f.run_id
            order by summary_code, o.office_name, r.source_file, r.expectation, r.column_name""",
        [week, codes],
    ).items():
        for r in warnings:
            if r["column_name"] == "rows_vs_recent":
                what = (
                    f"berisi {r['rows_in_file']} baris, lebih dari 10 kali biasanya; periksa rentang "
                    "tanggal dan akun ekspornya"
                )
            else:
                what = pesan.get(f"{r['expectation']}:{r['column_name']}") or r["expectation"]
            line(code, r["source_file"], r["office_name"], "peringatan")["parts"].append(
                f"peringatan: {what}"
            )

    order = {"ditolak": 0, "ditahan": 1, "peringatan": 2}
    out = {}
    for code, entries in lines.items():
        out[code] = sorted(
            entries.values(),
            key=lambda e: (order[e["severity"]], e["office_name"] or "~", e["relative_path"]),
        )
        for e in out[code]:
            e["text"] = "; ".join(e["parts"])
    return out


def gather(con: duckdb.DuckDBPyConnection, office_code: str, scope: str, week: str) -> Summary:
    """One summary (the portal's email page): ``gather_week`` for one office."""
    return gather_week(con, week, [(office_code, scope)])[0]


def gather_week(
    con: duckdb.DuckDBPyConnection, week: str, targets: list[tuple[str, str]] | None = None
) -> list[Summary]:
    """The summaries of ``week`` for ``targets``, (office_code, scope) pairs (by default
    every summary with data, as ``recipients_of_summaries`` lists them), in that order.

    Each section is read for every summary of a scope in one query and split by summary
    in Python: the 39 summaries of a national week cost about 25 queries instead of 39
    times 18, which made most of the weekly report's time."""
    if targets is None:
        targets = recipients_of_summaries(con, week)
    done: dict[tuple[str, str], Summary] = {}
    for scope in dict.fromkeys(scope for _, scope in targets):
        if scope not in SCOPES:
            raise ValueError(f"unknown summary scope {scope!r}; expected one of {list(SCOPES)}")
        codes = list(dict.fromkeys(code for code, s in targets if s == scope))
        for code, summary in _gather_scope(con, week, scope, codes).items():
            done[(code, scope)] = summary
    return [done[t] for t in targets]


def _gather_scope(
    con: duckdb.DuckDBPyConnection, week: str, scope: str, codes: list[str]
) -> dict[str, Summary]:
    sc = SCOPES[scope]
    names = dict(
        con.execute(
            "select office_code, office_name from core.offices "
            "where office_code in (select unnest(?::varchar[]))",
            [codes],
        ).fetchall()
    )
    unknown = [c for c in codes if c not in names]
    if unknown:
        raise ValueError(f"no KPU office with the code {', '.join(unknown)} in core.offices")
    label = weeks.week_label(week)
    summaries = {c: Summary(c, names[c], scope, week, label) for c in codes}
    tables = week_tables(con, week)
    prev = weeks.shift(week, -1)
    four = [weeks.shift(week, -i) for i in range(4, 0, -1)]
    mart = f"select {sc.mart_key} as summary_code, * from {sc.mart} where {sc.mart_key} in {CODES}"
    offices_in = f"{sc.office_filter} and {sc.key} in {CODES}"

    headlines = _split_rows(
        con,
        f"""
        with w as ({mart})
        select cur.summary_code, cur.platform, cur.offices_expected, cur.offices_reported,
               cur.offices_missing, cur.offices_met_minimum, cur.pct_offices_met_minimum,
               cur.posting_activity_pct, last.posting_activity_pct as last_week_pct,
               (select round(avg(x.posting_activity_pct), 1) from w as x
                 where x.summary_code = cur.summary_code and x.platform = cur.platform
                   and x.iso_week in (?, ?, ?, ?)) as four_week_avg_pct
        from w as cur
        left join w as last on last.summary_code = cur.summary_code
             and last.platform = cur.platform and last.iso_week = ?
        where cur.iso_week = ?
        order by cur.summary_code, case cur.platform when 'all' then 0 when 'instagram' then 1
                 when 'facebook' then 2 when 'x' then 3 when 'youtube' then 4 else 5 end
        """,
        [codes, *four, prev, week],
    )
    # in the mart's order (office, platform): the order a follow-up's reasons name platforms
    cadence = f"""
        select {sc.key} as summary_code, c.*, o.level from {tables["cadence"]} c
        join core.offices o using (office_code)
        where c.iso_week = ? and {offices_in}
    """
    on_cadence = [week, codes]
    cadence_rows = _split_rows(
        con, f"select * from ({cadence}) order by summary_code, office_code, platform", on_cadence
    )
    reported = _split_rows(
        con,
        f"""select summary_code, count(distinct office_code) as n from ({cadence})
            where data_status = 'reported' group by summary_code""",
        on_cadence,
    )
    below_minimum = _split_rows(
        con,
        f"""select summary_code, platform, string_agg(office_name, ', ' order by office_name) as offices,
                   count(*) as n
            from ({cadence}) where data_status = 'reported' and not met_weekly_minimum
            group by summary_code, platform order by summary_code, platform""",
        on_cadence,
    )
    missing = _split_rows(
        con,
        f"""select summary_code, office_name, string_agg(platform, ', ' order by platform) as platforms
            from ({cadence}) where data_status = 'missing'
            group by summary_code, office_name order by summary_code, office_name""",
        on_cadence,
    )
    overposting = _split_rows(
        con,
        f"""select summary_code, office_name, platform, overposting_days, max_posts_in_a_day
            from ({cadence}) where overposting_days > 0
            order by summary_code, max_posts_in_a_day desc, office_name, platform""",
        on_cadence,
    )
    overtagged = _split_rows(
        con,
        f"""select summary_code, office_name, sum(overtagged_posts) as posts,
                   string_agg(platform, ', ' order by platform) filter (where overtagged_posts > 0) as platforms
            from ({cadence}) group by summary_code, office_name having sum(overtagged_posts) > 0
            order by summary_code, posts desc, office_name""",
        on_cadence,
    )
    top_posts = _split_rows(
        con,
        f"""select {sc.key} as summary_code, o.office_name, p.platform, p.caption, p.permalink,
                   p.interactions, p.views, p.content_category
            from {tables["posts"]} p join core.offices o using (office_code)
            where p.iso_week = ? and {offices_in} and p.interactions is not null
            qualify row_number() over (
                partition by {sc.key} order by p.interactions desc, p.post_id) <= 5
            order by summary_code, p.interactions desc, p.post_id""",
        [week, codes],
    )
    counts = _split_rows(
        con,
        f"""select summary_code,
                   sum(posts_informasi_pemilu) as informasi_pemilu, sum(posts_edukasi) as edukasi,
                   sum(posts_kegiatan) as kegiatan, sum(posts_lainnya) as lainnya,
                   sum(posts_video) as video, sum(posts_image) as image, sum(posts_carousel) as carousel,
                   sum(posts_text) as text, sum(posts_other_format) as other,
                   sum(posts_with_campaign_hashtag) as tagged, sum(posts) as posts
            from ({cadence}) group by summary_code""",
        on_cadence,
    )
    # the words that decided the most posts of each category (content_category_reason),
    # so a reader can see why posts were counted as they were, and contest it
    _, reasons = _split(
        con,
        f"""select {sc.key}, p.content_category, p.content_category_reason from {tables["posts"]} p
            join core.offices o using (office_code) where p.iso_week = ? and {offices_in}""",
        [week, codes],
    )
    handles = _split_rows(
        con,
        f"""select c.summary_code, c.office_name, a.platform, a.handle from ({cadence}) c
            join core.accounts a on a.office_code = c.office_code and a.platform = c.platform
            where a.handle_follows_pattern = false
            order by c.summary_code, c.office_name, a.platform""",
        on_cadence,
    )
    ranks: dict[str, list[dict[str, Any]]] = {}
    rank_sheet: tuple[list[str], dict[str, list[tuple]]] = ([], {})
    if scope == "province":
        ranks = _split_rows(
            con,
            f"""select province_code, office_name, rank_in_province, offices_sharing_rank,
                       platforms_met_minimum, platforms_registered, posts_reported as posts,
                       posting_activity_pct
                from marts.office_ranks where province_code in {CODES} and iso_week = ?
                order by province_code, rank_in_province, office_name""",
            [codes, week],
        )
        rank_sheet = _split(
            con,
            f"""select province_code, * exclude (province_code) from marts.office_ranks
                where province_code in {CODES} and iso_week = ?
                order by province_code, rank_in_province, office_name""",
            [codes, week],
        )
    quality = _data_quality(con, sc, scope, week, codes)
    # a week in which no office sent anything has no point on the chart (not a fall to 0)
    charts = _split_rows(
        con,
        f"""with w as ({mart} and iso_week between ? and ?),
                 weeks_with_data as (select summary_code, iso_week from w where platform <> 'all'
                                     group by summary_code, iso_week having sum(offices_reported) > 0)
            select w.summary_code, w.iso_week, w.platform, w.posting_activity_pct from w
            join weeks_with_data d on d.summary_code = w.summary_code and d.iso_week = w.iso_week
            order by w.summary_code, w.iso_week, w.platform""",
        [codes, weeks.shift(week, -7), week],
    )
    activity_sheet = _split(
        con,
        f"select * from ({mart} and iso_week = ?) order by summary_code, {PLATFORM_ORDER}",
        [codes, week],
    )
    office_sheet = _split(
        con,
        f"""select c.summary_code, c.* exclude (summary_code, level) from ({cadence}) c
            order by c.summary_code, c.office_code, {PLATFORM_ORDER}""",
        on_cadence,
    )
    engagement_sheet = _split(
        con,
        f"""select {sc.key}, e.* from {tables["engagement"]} e join core.offices o using (office_code)
            where e.iso_week = ? and {offices_in} order by 1, e.office_code, e.platform""",
        [week, codes],
    )
    posts_sheet = _split(
        con,
        f"""select {sc.key}, o.office_name, p.platform, p.published_local, p.post_type,
                   p.content_format, p.content_category, p.content_category_reason, p.hashtags,
                   p.has_campaign_hashtag, p.views, p.likes, p.comments, p.shares, p.interactions,
                   p.caption, p.permalink
            from {tables["posts"]} p join core.offices o using (office_code)
            where p.iso_week = ? and {offices_in}
            order by 1, o.office_code, p.platform, p.published_local, p.post_id""",
        [week, codes],
    )
    empty_counts = dict.fromkeys(
        (
            "informasi_pemilu",
            "edukasi",
            "kegiatan",
            "lainnya",
            "video",
            "image",
            "carousel",
            "text",
            "other",
            "tagged",
            "posts",
        )
    )

    for code, s in summaries.items():
        s.headline = headlines.get(code, [])
        for h in s.headline:
            h["label"] = PLATFORM_LABELS[h["platform"]]
            h["change"] = (
                None
                if h["last_week_pct"] is None
                else round(h["posting_activity_pct"] - h["last_week_pct"], 1)
            )
        all_row = next((h for h in s.headline if h["platform"] == "all"), None)
        s.offices_evaluated = all_row["offices_expected"] if all_row else 0
        s.to_call = follow_up(cadence_rows.get(code, []))
        s.offices_reported = reported[code][0]["n"] if code in reported else 0
        if s.offices_reported == 0:
            # nothing arrived: this week's figures are unknown, not 0 %
            for h in s.headline:
                h["posting_activity_pct"], h["change"] = None, None
        s.below_minimum = below_minimum.get(code, [])
        for b in s.below_minimum:
            b["label"] = PLATFORM_LABELS[b["platform"]]
        s.missing = missing.get(code, [])
        s.overposting = overposting.get(code, [])
        for o in s.overposting:
            o["label"] = PLATFORM_LABELS[o["platform"]]
        s.overtagged = overtagged.get(code, [])
        s.top_posts = top_posts.get(code, [])
        for t in s.top_posts:
            t["label"] = PLATFORM_LABELS[t["platform"]]
            caption = " ".join((t["caption"] or "").split())
            t["caption_short"] = caption[:120] + ("…" if len(caption) > 120 else "")
        summed = counts[code][0] if code in counts else dict(empty_counts)
        mix = {k: summed[k] for k in ("informasi_pemilu", "edukasi", "kegiatan", "lainnya")}
        total = sum(v or 0 for v in mix.values())
        deciding: dict[str, dict[str, int]] = {}
        for category, reason in reasons.get(code, []):
            for word in deciding_words(reason):
                tally = deciding.setdefault(category, {})
                tally[word] = tally.get(word, 0) + 1
        s.content_mix = [
            {
                "label": CATEGORY_LABELS[k],
                "posts": v or 0,
                "pct": round(100 * (v or 0) / total, 1) if total else 0.0,
                "words": [
                    w
                    for w, _ in sorted(deciding.get(k, {}).items(), key=lambda kv: (-kv[1], kv[0]))[
                        :3
                    ]
                ],
            }
            for k, v in mix.items()
        ]
        formats = {k: summed[k] for k in ("video", "image", "carousel", "text", "other")}
        posts_total = summed["posts"] or 0
        tagged = summed["tagged"] or 0
        s.format_mix = [
            {
                "label": FORMAT_LABELS[k],
                "posts": v or 0,
                "pct": round(100 * (v or 0) / posts_total, 1),
            }
            for k, v in formats.items()
            if v and posts_total
        ]
        s.campaign_hashtag_pct = round(100 * tagged / posts_total, 1) if posts_total else None
        s.handles_off_pattern = handles.get(code, [])
        for h in s.handles_off_pattern:
            h["label"] = PLATFORM_LABELS[h["platform"]]
        if scope == "province" and s.offices_reported:
            _rank(s, ranks.get(code, []))
        s.data_quality = quality[code]
        _point_to_misplaced_exports(s)
        s.chart_series = charts.get(code, [])
        s.sheets = [
            (
                FOLLOW_UP_SHEET,
                ["office_name", "reason_text", "score"],
                [(o["office_name"], o["reason_text"], o["score"]) for o in s.to_call],
            ),
            ("Aktivitas posting", activity_sheet[0], activity_sheet[1].get(code, [])),
        ]
        if scope == "province":
            s.sheets.append(("Peringkat kantor", rank_sheet[0], rank_sheet[1].get(code, [])))
        s.sheets += [
            ("Per kantor", office_sheet[0], office_sheet[1].get(code, [])),
            ("Interaksi", engagement_sheet[0], engagement_sheet[1].get(code, [])),
            ("Postingan", posts_sheet[0], posts_sheet[1].get(code, [])),
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
    return summaries


def _rank(s: Summary, ranks: list[dict[str, Any]]) -> None:
    """The province's three best and three last offices, and how many more share the
    rank at either cut."""
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


def _point_to_misplaced_exports(s: Summary) -> None:
    """An office whose export sits in a misnamed folder did send something: its
    follow-up says where, instead of "nothing at all"."""
    placed: dict[str, list[str]] = {}
    for line in s.data_quality:
        if line.get("placed_office"):
            placed.setdefault(line["placed_office"], []).append(line["folder"])
    for o in s.to_call:
        folders = placed.get(o["office_name"])
        if folders:
            shown = ", ".join(f"'{f}'" for f in dict.fromkeys(folders))
            said = f"ekspornya ada di folder yang salah ({shown}), belum dihitung"
            o["reasons"] = [said if r == NOTHING_SENT else r for r in o["reasons"]]
            if said not in o["reasons"]:
                o["reasons"].append(said)
            o["reason_text"] = "; ".join(o["reasons"])
