-- Posting activity rolled up per evaluating office, platform and ISO week: a provincial
-- office evaluates its regency/city offices, KPU RI (00) the provincial offices.
-- Each column means one thing on every row; "the row's platforms" is the row's platform,
-- or all five on the platform = 'all' row.
--   offices_expected          offices evaluated (registered on the row's platforms)
--   offices_reported          offices whose export arrived for every one of the row's platforms
--   offices_missing           offices with at least one of the row's exports missing
--   offices_met_minimum       offices that met the weekly minimum on every one of the row's platforms
--   pct_offices_met_minimum   offices_met_minimum / offices_expected x 100
--   posting_activity_pct      the figure provinces report ("aktivitas posting rata-rata"):
--                             per platform the share of offices that met the minimum there
--                             (a missing export does not meet it); on the 'all' row the mean
--                             of the platforms' shares, which is not a share of offices
--   posts                     posts on the row's platforms, in the exports that arrived

with

evaluated as (

    select
        case when offices.level = 'provinsi' then '00' else offices.province_code end as evaluator_code,
        weekly_cadence.*

    from marts.weekly_cadence
    inner join core.offices using (office_code)
    where offices.level in ('provinsi', 'kabupaten', 'kota')

),

per_platform as (

    select
        evaluator_code,
        platform,
        iso_week,
        week_start,
        count(*) as offices_expected,
        count(*) filter (where data_status = 'reported') as offices_reported,
        count(*) filter (where data_status = 'missing') as offices_missing,
        count(*) filter (where met_weekly_minimum) as offices_met_minimum,
        round(100.0 * count(*) filter (where met_weekly_minimum) / count(*), 1) as pct_offices_met_minimum,
        round(100.0 * count(*) filter (where met_weekly_minimum) / count(*), 1) as posting_activity_pct,
        sum(posts) as posts

    from evaluated
    group by all

),

per_office as (

    select
        evaluator_code,
        office_code,
        iso_week,
        week_start,
        bool_and(data_status = 'reported') as reported_all,
        bool_or(data_status = 'missing') as missing_any,
        bool_and(coalesce(met_weekly_minimum, false)) as met_all

    from evaluated
    group by all

),

platform_means as (

    select
        evaluator_code,
        iso_week,
        round(avg(posting_activity_pct), 1) as posting_activity_pct,
        sum(posts) as posts

    from per_platform
    group by all

),

all_platforms as (

    select
        per_office.evaluator_code,
        'all' as platform,
        per_office.iso_week,
        per_office.week_start,
        count(*) as offices_expected,
        count(*) filter (where reported_all) as offices_reported,
        count(*) filter (where missing_any) as offices_missing,
        count(*) filter (where met_all) as offices_met_minimum,
        round(100.0 * count(*) filter (where met_all) / count(*), 1) as pct_offices_met_minimum,
        any_value(platform_means.posting_activity_pct) as posting_activity_pct,
        any_value(platform_means.posts) as posts

    from per_office
    inner join platform_means using (evaluator_code, iso_week)
    group by per_office.evaluator_code, per_office.iso_week, per_office.week_start

),

unioned as (

    select * from per_platform
    union all
    select * from all_platforms

)

select * from unioned
