-- Posting activity per province, platform and ISO week over the province's regency/city
-- offices, as provinces report it ("rata-rata 96 persen"). Definitions in
-- core.activity_rollup: posting_activity_pct = offices that met the weekly minimum /
-- offices expected x 100; the platform = 'all' row averages the platforms.

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
