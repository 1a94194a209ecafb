-- Posting activity of the 38 provincial offices per platform and ISO week, which KPU RI
-- evaluates. Same definitions as marts.province_weekly (see core.activity_rollup).

with

rollup as (

    select * exclude (evaluator_code) from core.activity_rollup where evaluator_code = '00'

)

select * from rollup
order by iso_week, platform
