-- The ISO weeks an incremental build recomputes in the weekly marts: every reporting week
-- from the earliest one anything changed in. The weeks after it are recomputed too,
-- because marts.office_rolling carries a week into later ones (streaks, the last post
-- before a week, 13-week windows) and marts.weekly_engagement takes followers from the
-- 28 days before a week's end.

with

post_weeks_before as (

    -- the weeks the changed posts were in before this build recomputed them
    select iso_week from meta.post_weeks_before

),

post_weeks_now as (

    select iso_week
    from core.posts
    semi join meta.posts_to_build using (platform, office_code, post_id)

),

delivery_weeks as (

    select delivery_week as iso_week from meta.changed_files

),

day_weeks as (

    select strftime(metric_date, '%G-W%V') as iso_week from meta.days_to_build

),

reporting_weeks as (

    select iso_week, week_start from core.reporting_weeks

),

built_weeks as (

    select distinct iso_week from marts.weekly_cadence

),

weeks_in_or_out as (

    -- a week that starts or stops being reported (the first delivery withdrawn, say)
    select iso_week from reporting_weeks anti join built_weeks using (iso_week)
    union all
    select iso_week from built_weeks anti join reporting_weeks using (iso_week)

),

touched as (

    select iso_week from post_weeks_before
    union all select iso_week from post_weeks_now
    union all select iso_week from delivery_weeks
    union all select iso_week from day_weeks
    union all select iso_week from weeks_in_or_out

),

first_change as (

    select min(calendar.week_start) as week_start
    from touched
    inner join core.calendar_weeks as calendar using (iso_week)

),

weeks_to_build as (

    select reporting_weeks.iso_week, reporting_weeks.week_start
    from reporting_weeks
    inner join first_change on reporting_weeks.week_start >= first_change.week_start

)

select * from weeks_to_build
