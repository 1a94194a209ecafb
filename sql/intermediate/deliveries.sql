-- Which office delivered a usable export for which platform and ISO week (the week
-- folder it was dropped in). An office-platform-week without a row here is "missing".

with

files as (

    select * from staging.stg_files

),

usable as (

    select
        office_code,
        platform,
        delivery_week,
        count(*) as files,
        sum(rows_loaded) as rows_loaded

    from files
    where status in ('loaded', 'loaded_with_quarantine')
      and office_code is not null
      and platform is not null
    group by all

)

select * from usable
