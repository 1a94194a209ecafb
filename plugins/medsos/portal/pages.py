"""What the portal's pages read from the published copy of the warehouse (never the live
warehouse file, which the weekly run holds): a province's activity and trend, its
office table, one office's weeks and posts, and the week's email."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

import duckdb

from medsos import weeks
from medsos.config import Settings
from medsos.warehouse import open_published

PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok")
PLATFORM_LABELS = {
    "all": "Semua platform",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X",
    "youtube": "YouTube",
    "tiktok": "TikTok",
}

# the office table: column -> (heading, SQL expression); sortable by any of them
OFFICE_COLUMNS = {
    "kantor": ("Kantor", "office_name"),
    "kode": ("Kode", "office_code"),
    "platform": ("Platform", "platform"),
    "ekspor": ("Ekspor", "case data_status when 'missing' then 'tidak ada' else 'ada' end"),
    "postingan": ("Postingan", "posts"),
    "minimum": ("Memenuhi minimum", "met_weekly_minimum"),
    "hari_berlebih": ("Hari posting berlebih", "overposting_days"),
    "maks_sehari": ("Maks. sehari", "max_posts_in_a_day"),
    "tagar_berlebih": ("Postingan tagar berlebih", "overtagged_posts"),
}


class NoPublishedCopy(RuntimeError):
    pass


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    try:
        return open_published(settings)
    except FileNotFoundError as exc:
        raise NoPublishedCopy(str(exc)) from exc


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    rel = con.execute(sql, params or [])
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def latest_week(con: duckdb.DuckDBPyConnection) -> str | None:
    got = con.execute("select max(iso_week) from marts.weekly_cadence").fetchall()[0][0]
    return got


def published_weeks(con: duckdb.DuckDBPyConnection, n: int = 12) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select distinct iso_week from marts.weekly_cadence order by 1 desc limit ?", [n]
        ).fetchall()
    ]


def province_activity(con, province: str, week: str) -> dict[str, Any]:
    """This week's activity per platform and the 8-week trend of 'all platforms'."""
    if province == "00":
        table, where, params = "marts.national_weekly", "true", []
    else:
        table, where, params = "marts.province_weekly", "province_code = ?", [province]
    current = rows(
        con,
        f"""select platform, offices_expected, offices_reported, offices_missing,
                                   offices_met_minimum, posting_activity_pct, posts
                            from {table} where {where} and iso_week = ?
                            order by case platform when 'all' then 0 else 1 end, platform""",
        [*params, week],
    )
    for r in current:
        r["label"] = PLATFORM_LABELS.get(r["platform"], r["platform"])
    trend = rows(
        con,
        f"""select iso_week, posting_activity_pct, posts from {table}
                          where {where} and platform = 'all' and iso_week between ? and ?
                          order by iso_week""",
        [*params, weeks.shift(week, -7), week],
    )
    top = max([t["posting_activity_pct"] or 0 for t in trend] + [100])
    for t in trend:
        t["bar"] = round(100 * (t["posting_activity_pct"] or 0) / top)
    return {"current": current, "trend": trend}


def office_table(
    con,
    province: str,
    week: str,
    sort: str = "kantor",
    descending: bool = False,
    platform: str | None = None,
) -> tuple[list[str], list[tuple]]:
    """One row per office and registered platform: posts, missing export, over-posting,
    over-tagging. ``sort`` is a key of OFFICE_COLUMNS (anything else sorts by office)."""
    key = sort if sort in OFFICE_COLUMNS else "kantor"
    order = OFFICE_COLUMNS[key][1]
    direction = "desc" if descending else "asc"
    select = ", ".join(f"{expr} as {name}" for name, (_, expr) in OFFICE_COLUMNS.items())
    where = "c.iso_week = ?"
    params: list[Any] = [week]
    if province != "00":
        where += " and c.province_code = ? and o.level in ('kabupaten', 'kota')"
        params.append(province)
    else:
        where += " and o.level = 'provinsi'"
    if platform in PLATFORMS:
        where += " and c.platform = ?"
        params.append(platform)
    rel = con.execute(
        f"""select {select} from marts.weekly_cadence c join core.offices o using (office_code, office_name)
            where {where}
            order by {order} {direction} nulls last, office_code, platform""",
        params,
    )
    return [OFFICE_COLUMNS[c][0] for c in OFFICE_COLUMNS], rel.fetchall()


def provinces(con, week: str) -> list[dict[str, Any]]:
    return rows(
        con,
        """select province_code, province_office_name, offices_expected, offices_reported,
                               offices_missing, offices_met_minimum, posting_activity_pct, posts
                        from marts.province_weekly where iso_week = ? and platform = 'all'
                        order by province_code""",
        [week],
    )


def office_weeks(con, office: str, week: str, n: int = 8) -> dict[str, dict[str, dict[str, Any]]]:
    """week -> platform -> its cadence row, for the ``n`` weeks up to ``week``."""
    got = rows(
        con,
        """select iso_week, platform, data_status, posts, met_weekly_minimum, overposting_days,
                              overtagged_posts
                       from marts.weekly_cadence where office_code = ? and iso_week between ? and ?""",
        [office, weeks.shift(week, -(n - 1)), week],
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for r in got:
        out.setdefault(r["iso_week"], {})[r["platform"]] = r
    return out


POST_COLUMNS = (
    "platform",
    "published_local",
    "post_type",
    "content_category",
    "hashtags",
    "views",
    "likes",
    "comments",
    "shares",
    "interactions",
    "caption",
    "permalink",
)


def office_posts(con, office: str, week: str) -> tuple[list[str], list[tuple]]:
    from medsos.report.workbook import COLUMN_LABELS

    rel = con.execute(
        f"""select {", ".join(POST_COLUMNS)} from core.posts
            where office_code = ? and iso_week = ? order by published_local, platform""",
        [office, week],
    )
    return [COLUMN_LABELS.get(c, c) for c in POST_COLUMNS], rel.fetchall()


def loaded_copies(con, office: str, landing: Path | None = None) -> dict[str, str]:
    """sha256 -> path of the office's files the warehouse loaded and that are still in the
    landing zone (a copy of one of them is set aside, as the weekly run does)."""
    got = con.execute(
        """select sha256, relative_path from raw.files
           where office_code = ? and status in ('loaded', 'loaded_with_quarantine')
           order by first_seen_at, relative_path""",
        [office],
    ).fetchall()
    out: dict[str, str] = {}
    for sha, rel in got:
        if landing is None or (landing / rel.split("::", 1)[0]).is_file():
            out.setdefault(sha, rel)
    return out


def recent_rows(con, office: str) -> dict[str, float]:
    """'office|platform' -> median rows of the account's last four loaded exports that
    list posts: what the weekly run compares a new file's rows with."""
    return {
        f"{o}|{p}": m
        for o, p, m in con.execute(
            """select office_code, platform, median(rows_in_file) from (
               select office_code, platform, rows_in_file,
                      row_number() over (partition by office_code, platform
                                         order by delivery_week desc, relative_path desc) as n
               from raw.files where status in ('loaded', 'loaded_with_quarantine') and lists_posts
                 and office_code = ?
           ) where n <= 4 group by all""",
            [office],
        ).fetchall()
    }


def email_html(settings: Settings, code: str, week: str) -> str | None:
    """The week's summary email for a province (or 00, KPU RI) as the email renders it,
    the chart inline."""
    from medsos.report.chart import activity_chart_png
    from medsos.report.render import chart_title, render

    summary = _week_summary(settings, code, week)
    if summary is None:
        return None
    png = activity_chart_png(summary.chart_series, chart_title(summary))
    html, _ = render(summary, chart_src="data:image/png;base64," + base64.b64encode(png).decode())
    return html


def email_workbook(settings: Settings, code: str, week: str) -> bytes | None:
    """The workbook the week's email carries, built by the email's own code."""
    from medsos.report.workbook import build_workbook

    summary = _week_summary(settings, code, week)
    return None if summary is None else build_workbook(summary.sheets)


def _week_summary(settings: Settings, code: str, week: str):
    """The week's summary for ``code`` as the email gathers it, or None for a week the
    published copy does not hold."""
    from medsos.report.summary import gather

    con = connect(settings)
    try:
        known = con.execute(
            "select count(*) from marts.weekly_cadence where iso_week = ?", [week]
        ).fetchall()[0][0]
        if not known:
            return None
        return gather(con, code, "national" if code == "00" else "province", week)
    finally:
        con.close()


# --------------------------------------------------------------------------- downloads


def _cell(v: Any) -> Any:
    if v is True:
        return "ya"
    if v is False:
        return "tidak"
    return "" if v is None else v


def csv_bytes(header: list[str], data: list[tuple]) -> bytes:
    """UTF-8 with a BOM (Excel opens it right), yes/no as ya/tidak. A text starting with
    = + - @ is kept as the platform wrote it; a quote in front keeps Excel from running it."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    for r in data:
        w.writerow([_guard(_cell(v)) for v in r])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _guard(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def xlsx_bytes(sheet: str, header: list[str], data: list[tuple]) -> bytes:
    from medsos.report.workbook import build_workbook

    return build_workbook([(sheet, header, data)])
