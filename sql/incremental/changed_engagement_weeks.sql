-- The ISO weeks an incremental build recomputes in marts.weekly_engagement: the weeks
-- recomputed in marts.weekly_cadence (engagement reads them), every week a changed post
-- was or is published in (new numbers for an old post change its week's totals), and
-- every week whose follower count a changed account day can be (a week takes it from the
-- 28 days before its end).

with

cadence_weeks as (

    select iso_week from meta.weeks_to_build

),

post_weeks_before as (

    select iso_week from meta.posts_before

),

post_weeks_now as (

    select iso_week
    from core.posts
    semi join meta.posts_to_build using (platform, office_code, post_id)

),

changed_days as (

    select distinct metric_date from meta.days_to_build

),

follower_weeks as (

    select calendar.iso_week
    from changed_days
    inner join core.calendar_weeks as calendar
        on changed_days.metric_date between calendar.week_start - interval 28 day
                                         and calendar.week_start + interval 6 day

),

touched as (

    select iso_week from cadence_weeks
    union select iso_week from post_weeks_before
    union select iso_week from post_weeks_now
    union select iso_week from follower_weeks

),

engagement_weeks_to_build as (

    select iso_week, week_start
    from core.reporting_weeks
    semi join touched using (iso_week)

)

select * from engagement_weeks_to_build
