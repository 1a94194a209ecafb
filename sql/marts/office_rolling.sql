-- Continuity per office, platform and ISO week, looking back from that week:
-- weeks_active_last_4 / weeks_active_last_13 = weeks in which the weekly minimum was met
-- (a missing export counts as not met); current_streak_weeks = consecutive weeks up to
-- this one that met it; longest_gap_days_13w = the longest run of days without a post in
-- the 13 weeks ending this week, counting the days since the last post (NULL when no post
-- is known).

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

post_days as (

    select distinct office_code, platform, local_date from core.posts

),

gaps as (

    select
        office_code,
        platform,
        local_date,
        local_date - lag(local_date) over (partition by office_code, platform order by local_date) as gap_days

    from post_days

),

gap_per_week as (

    select
        windows.office_code,
        windows.platform,
        windows.iso_week,
        max(gaps.gap_days) filter (where gaps.local_date >= windows.week_start - interval 84 day) as longest_gap_between_posts,
        max(gaps.local_date) as last_post_date

    from windows
    inner join gaps
        on gaps.office_code = windows.office_code
        and gaps.platform = windows.platform
        and gaps.local_date <= windows.week_start + interval 6 day
    group by all

),

final as (

    select
        windows.office_code,
        windows.office_name,
        windows.province_code,
        windows.platform,
        windows.iso_week,
        windows.week_start,
        windows.weeks_active_last_4,
        windows.weeks_in_last_4,
        windows.weeks_active_last_13,
        windows.weeks_in_last_13,
        windows.current_streak_weeks,
        gap_per_week.last_post_date,
        case
            when gap_per_week.last_post_date is not null then greatest(
                coalesce(gap_per_week.longest_gap_between_posts, 0),
                cast(windows.week_start + interval 6 day as date) - gap_per_week.last_post_date
            )
        end as longest_gap_days_13w

    from windows
    left join gap_per_week using (office_code, platform, iso_week)

)

select * from final
order by province_code, office_code, platform, iso_week
