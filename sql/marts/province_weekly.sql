-- Posting activity per province, platform and ISO week over the province's regency/city
-- offices, as provinces report it. posting_activity_pct = offices that met the weekly
-- minimum / offices expected x 100 (an office whose export is missing did not meet it).
-- The platform = 'all' row: posting_activity_pct is the mean over platforms; offices_*
-- count offices (reported = every platform reported, missing = any platform missing,
-- met_minimum = minimum met on every platform it has).

with

cadence as (

    select weekly_cadence.*
    from marts.weekly_cadence
    inner join core.offices using (office_code)
    where offices.level in ('kabupaten', 'kota')

),

per_platform as (

    select
        province_code,
        platform,
        iso_week,
        week_start,
        count(*) as offices_expected,
        count(*) filter (where data_status = 'reported') as offices_reported,
        count(*) filter (where data_status = 'missing') as offices_missing,
        count(*) filter (where met_weekly_minimum) as offices_met_minimum,
        round(100.0 * count(*) filter (where met_weekly_minimum) / count(*), 1) as posting_activity_pct,
        sum(posts) as posts

    from cadence
    group by all

),

per_office as (

    select
        province_code,
        office_code,
        iso_week,
        week_start,
        bool_and(data_status = 'reported') as reported_all,
        bool_or(data_status = 'missing') as missing_any,
        bool_and(coalesce(met_weekly_minimum, false)) as met_all

    from cadence
    group by all

),

all_platforms as (

    select
        per_office.province_code,
        'all' as platform,
        per_office.iso_week,
        per_office.week_start,
        count(*) as offices_expected,
        count(*) filter (where reported_all) as offices_reported,
        count(*) filter (where missing_any) as offices_missing,
        count(*) filter (where met_all) as offices_met_minimum,
        platforms.posting_activity_pct,
        platforms.posts

    from per_office
    inner join (
        select province_code, iso_week, round(avg(posting_activity_pct), 1) as posting_activity_pct, sum(posts) as posts
        from per_platform
        group by all
    ) as platforms using (province_code, iso_week)
    group by all

),

unioned as (

    select * from per_platform
    union all
    select * from all_platforms

),

final as (

    select
        unioned.province_code,
        province.office_name as province_office_name,
        unioned.* exclude (province_code)

    from unioned
    inner join core.offices as province on province.office_code = unioned.province_code

)

select * from final
order by province_code, iso_week, platform
