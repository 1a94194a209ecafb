-- The ISO weeks a full build computes in the weekly marts (cadence, rolling and
-- engagement): every reporting week.

with

reporting_weeks as (

    select iso_week, week_start from core.reporting_weeks

)

select * from reporting_weeks
