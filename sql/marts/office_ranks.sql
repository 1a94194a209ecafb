-- Ranks of regency/city offices within their province for each ISO week: by posting
-- activity (share of the office's registered platforms on which it met the weekly
-- minimum), then by posts on the platforms that reported. Rank 1 is the most active
-- office; offices with the same activity and posts share a rank (1, 1, 3), and
-- offices_sharing_rank says how many share it.
--   platforms_registered   platforms the office is evaluated on
--   platforms_missing      platforms whose export did not arrive
--   platforms_met_minimum  platforms on which it posted at least the weekly minimum
--   posts_reported         posts on the platforms whose export arrived (NULL: none arrived)
--   posting_activity_pct   platforms_met_minimum / platforms_registered x 100
--   rank_in_province       1 = most active; ties share a rank
--   offices_sharing_rank   offices with this rank this week (1 = no tie)
--   offices_in_province    regency/city offices ranked in the province this week

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
            order by posting_activity_pct desc, posts_reported desc nulls last
        ) as rank_in_province,
        count(*) over (partition by province_code, iso_week) as offices_in_province

    from per_office

),

ties as (

    select
        * exclude (offices_in_province),
        count(*) over (partition by province_code, iso_week, rank_in_province) as offices_sharing_rank,
        offices_in_province

    from ranked

)

select * from ties
order by province_code, iso_week, rank_in_province, office_code
