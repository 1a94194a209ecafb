-- Ranks of regency/city offices within their province for each ISO week: by platforms
-- on which the weekly minimum was met, then by posts on the platforms that reported. rank 1 is the most active office.

with

cadence as (

    select weekly_cadence.*
    from marts.weekly_cadence
    inner join core.offices using (office_code)
    where offices.level in ('kabupaten', 'kota')

),

per_office as (

    select
        province_code,
        office_code,
        office_name,
        iso_week,
        week_start,
        count(*) as platforms_registered,
        count(*) filter (where data_status = 'missing') as platforms_missing,
        count(*) filter (where met_weekly_minimum) as platforms_met_minimum,
        -- posts on the platforms whose export arrived; NULL when none did (unknown, not 0)
        sum(posts) as posts_reported,
        round(100.0 * count(*) filter (where met_weekly_minimum) / count(*), 1) as posting_activity_pct

    from cadence
    group by all

),

ranked as (

    select
        *,
        rank() over (
            partition by province_code, iso_week
            order by platforms_met_minimum desc, posts_reported desc nulls last
        ) as rank_in_province,
        count(*) over (partition by province_code, iso_week) as offices_in_province

    from per_office

)

select * from ranked
order by province_code, iso_week, rank_in_province, office_code
