-- Continuity per office, platform and ISO week, looking back from that week:
-- weeks_active_last_4 / weeks_active_last_13 = weeks in which the weekly minimum was met
-- (a missing export counts as not met); current_streak_weeks = consecutive weeks up to
-- this one that met it; longest_gap_days_13w = the longest run of days without a post in
-- the 13 weeks ending this week, counting the days since the last post (NULL when no post
-- is known). Built incrementally for the weeks in meta.weeks_to_build (all in a full
-- build), each still looking back over every earlier week.

with

cadence as (

    select
        office_code,
        office_name,
        province_code,
        platform,
        iso_week,
        week_start,
        coalesce(met_weekly_minimum, false) as met,
        row_number() over (partition by office_code, platform order by week_start) as week_index

    from marts.weekly_cadence

),

windows as (

    select
        *,
        count(*) filter (where met) over last_4 as weeks_active_last_4,
        count(*) over last_4 as weeks_in_last_4,
        count(*) filter (where met) over last_13 as weeks_active_last_13,
        count(*) over last_13 as weeks_in_last_13,
        week_index - coalesce(
            max(case when not met then week_index end) over (
                partition by office_code, platform order by week_start
                rows between unbounded preceding and current row
            ),
            0
        ) as current_streak_weeks

    from cadence
    window
        last_4 as (partition by office_code, platform order by week_start rows between 3 preceding and current row),
        last_13 as (partition by office_code, platform order by week_start rows between 12 preceding and current row)

),

output_weeks as (

    select *
    from windows
    semi join meta.weeks_to_build using (iso_week)

),

earliest_window as (

    -- the first day any week to build looks back to (a Monday)
    select min(week_start) - interval 84 day as since from output_weeks

),

post_days as (

    -- the post days those weeks look at, and before them each account's last post day
    -- (the gap to a week's first post and the last post of a quiet account start there):
    -- a weekly build reads 13 weeks of posts, not the whole history
    select distinct office_code, platform, local_date
    from core.posts
    where local_date >= (select since from earliest_window)

    union

    select office_code, platform, max(local_date) as local_date
    from core.posts
    where local_date < (select since from earliest_window)
    group by office_code, platform

),

gaps as (

    select
        office_code,
        platform,
        local_date,
        local_date - lag(local_date) over (partition by office_code, platform order by local_date) as gap_days

    from post_days

),

gaps_per_week as (

    -- one row per office, platform and week with posts: the week's longest gap (ending on
    -- one of its post days) and its last post day
    select
        office_code,
        platform,
        date_trunc('week', local_date) as week_start,
        max(gap_days) as longest_gap,
        max(local_date) as last_post_date

    from gaps
    group by all

),

gap_per_week as (

    -- the 13 weeks ending each week are 13 rows at most, so this join grows with the
    -- weeks of history, not with their square
    select
        output_weeks.office_code,
        output_weeks.platform,
        output_weeks.iso_week,
        max(gaps_per_week.longest_gap) as longest_gap_between_posts

    from output_weeks
    inner join gaps_per_week
        on gaps_per_week.office_code = output_weeks.office_code
        and gaps_per_week.platform = output_weeks.platform
        and gaps_per_week.week_start between output_weeks.week_start - interval 84 day and output_weeks.week_start
    group by all

),

last_post as (

    -- the last post day up to the end of each week, however long ago
    select
        output_weeks.office_code,
        output_weeks.platform,
        output_weeks.iso_week,
        gaps_per_week.last_post_date

    from output_weeks
    asof inner join gaps_per_week
        on gaps_per_week.office_code = output_weeks.office_code
        and gaps_per_week.platform = output_weeks.platform
        and gaps_per_week.week_start <= output_weeks.week_start

),

final as (

    select
        output_weeks.office_code,
        output_weeks.office_name,
        output_weeks.province_code,
        output_weeks.platform,
        output_weeks.iso_week,
        output_weeks.week_start,
        output_weeks.weeks_active_last_4,
        output_weeks.weeks_in_last_4,
        output_weeks.weeks_active_last_13,
        output_weeks.weeks_in_last_13,
        output_weeks.current_streak_weeks,
        last_post.last_post_date,
        case
            when last_post.last_post_date is not null then greatest(
                coalesce(gap_per_week.longest_gap_between_posts, 0),
                cast(output_weeks.week_start + interval 6 day as date) - last_post.last_post_date
            )
        end as longest_gap_days_13w

    from output_weeks
    left join gap_per_week using (office_code, platform, iso_week)
    left join last_post using (office_code, platform, iso_week)

)

select * from final
order by province_code, office_code, platform, iso_week
