-- The ISO weeks a full build computes in marts.weekly_engagement: every reporting week.

with

reporting_weeks as (

    select iso_week, week_start from core.reporting_weeks

)

select * from reporting_weeks
