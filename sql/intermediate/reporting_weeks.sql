-- The ISO weeks the weekly tables cover: from the first week an export was delivered
-- and loaded for (a file since withdrawn or rejected does not stretch the tables back),
-- up to the week being reported (or the last delivery week if that is later).

with

bounds as (

    select
        least(
            coalesce(min(week_start), settings.report_through_week_start),
            settings.report_through_week_start
        ) as first_week_start,
        greatest(
            coalesce(max(week_start), settings.report_through_week_start),
            settings.report_through_week_start
        ) as last_week_start

    from core.evaluation_settings as settings
    left join core.files_in_force as files on true
    left join core.calendar_weeks as calendar on calendar.iso_week = files.delivery_week
    group by settings.report_through_week_start

),

reporting as (

    select calendar.*
    from core.calendar_weeks as calendar
    cross join bounds
    where calendar.week_start between bounds.first_week_start and bounds.last_week_start

)

select * from reporting
