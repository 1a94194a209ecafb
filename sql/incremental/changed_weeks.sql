-- The ISO weeks an incremental build recomputes in marts.weekly_cadence and
-- marts.office_rolling: every reporting week from the earliest one whose posting changed
-- (a post added, removed, moved to another week or day, or given another content
-- category, hashtag count, campaign hashtag or format; a delivery made or withdrawn; the
-- week starting or stopping being reported). The weeks after it are recomputed too, because office_rolling carries
-- a week into later ones (streaks, the last post before a week, 13-week windows). New
-- numbers for old posts (a YouTube export lists every video) change no week here: they
-- change marts.weekly_engagement (sql/incremental/changed_engagement_weeks.sql).

with

posting_before as (

    -- what the changed posts were before this build recomputed them
    select platform, office_code, post_id, iso_week, local_date, is_overtagged, content_category,
           has_campaign_hashtag, content_format
    from meta.posts_before

),

posting_now as (

    select platform, office_code, post_id, iso_week, local_date, is_overtagged, content_category,
           has_campaign_hashtag, content_format
    from core.posts
    semi join meta.posts_to_build using (platform, office_code, post_id)

),

posting_changes as (

    (select * from posting_before except select * from posting_now)
    union all
    (select * from posting_now except select * from posting_before)

),

delivery_weeks as (

    select delivery_week as iso_week from meta.changed_files

),

reporting_weeks as (

    select iso_week, week_start from core.reporting_weeks

),

reporting_weeks_before as (

    select iso_week from meta.reporting_weeks_before

),

weeks_in_or_out as (

    -- a week that starts or stops being reported (the first delivery withdrawn, say)
    select iso_week from reporting_weeks anti join reporting_weeks_before using (iso_week)
    union all
    select iso_week from reporting_weeks_before anti join reporting_weeks using (iso_week)

),

changed_week_starts as (

    -- a post's week from its date: a post from before the calendar (an old video) still
    -- changes the gaps and last post days of every reported week after it
    select cast(date_trunc('week', local_date) as date) as week_start from posting_changes
    union all
    select calendar.week_start
    from (select iso_week from delivery_weeks union all select iso_week from weeks_in_or_out) as weeks
    inner join core.calendar_weeks as calendar using (iso_week)

),

first_change as (

    select min(week_start) as week_start from changed_week_starts

),

weeks_to_build as (

    select reporting_weeks.iso_week, reporting_weeks.week_start
    from reporting_weeks
    inner join first_change on reporting_weeks.week_start >= first_change.week_start

)

select * from weeks_to_build
