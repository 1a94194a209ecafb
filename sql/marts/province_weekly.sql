-- Posting activity per province, platform and ISO week over the province's regency/city
-- offices, as provinces report it ("rata-rata 96 persen"). Definitions in
-- core.activity_rollup (each column's meaning is listed there): on a platform's row
-- posting_activity_pct = offices that met the weekly minimum / offices expected x 100; on
-- the platform = 'all' row it is the mean of the five platforms' figures, while
-- offices_met_minimum and pct_offices_met_minimum count the offices that met it on every
-- platform.

with

rollup as (

    select * from core.activity_rollup where evaluator_code <> '00'

),

final as (

    select
        rollup.evaluator_code as province_code,
        province.office_name as province_office_name,
        rollup.* exclude (evaluator_code)

    from rollup
    inner join core.offices as province on province.office_code = rollup.evaluator_code

)

select * from final
order by province_code, iso_week, platform
