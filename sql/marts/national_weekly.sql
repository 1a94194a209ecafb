-- Posting activity of the 38 provincial offices per platform and ISO week, which KPU RI
-- evaluates. Same definitions as marts.province_weekly, over provincial offices with a
-- registered account on the platform.

with

cadence as (

    select weekly_cadence.*
    from marts.weekly_cadence
    inner join core.offices using (office_code)
    where offices.level = 'provinsi'

),

per_platform as (

    select
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
        select iso_week, round(avg(posting_activity_pct), 1) as posting_activity_pct, sum(posts) as posts
        from per_platform
        group by all
    ) as platforms using (iso_week)
    group by all

),

final as (

    select * from per_platform
    union all
    select * from all_platforms

)

select * from final
order by iso_week, platform
