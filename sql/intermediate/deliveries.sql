-- Which office delivered a usable export for which platform and ISO week (the week
-- folder it was dropped in). Only exports that list posts count: a follower history or
-- a YouTube totals file says nothing about what was posted. An office-platform-week
-- without a row here is "missing".

with

files as (

    select * from core.files_in_force

),

usable as (

    select
        office_code,
        platform,
        delivery_week,
        count(*) as files,
        sum(rows_loaded) as rows_loaded

    from files
    where is_in_force
      and lists_posts
    group by all

)

select * from usable
