-- Posting activity rolled up per evaluating office, platform and ISO week: a provincial
-- office evaluates its regency/city offices, KPU RI (00) the provincial offices.
-- posting_activity_pct = offices that met the weekly minimum / offices expected x 100
-- (a missing export does not meet it). platform = 'all': posting_activity_pct is the mean
-- over platforms; offices_* count offices (reported = every platform reported, missing =
-- any platform missing, met_minimum = minimum met on every platform it has).

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
