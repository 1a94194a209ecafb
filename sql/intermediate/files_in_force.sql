-- Every file that loaded, and whether it is in force: of several files for the same
-- office, ISO week and export, the one saved last wins (first seen, then path, break
-- ties); the others are kept, marked superseded, with the file that replaced them.

with

files as (

    select * from staging.stg_files

),

loaded as (

    select *
    from files
    where status in ('loaded', 'loaded_with_quarantine')
      and office_code is not null
      and platform is not null

),

ordered as (

    select
        *,
        row_number() over (
            partition by office_code, delivery_week, export_kind
            order by file_modified_at desc nulls last, first_seen_at desc, source_file desc
        ) as file_rank,
        first_value(source_file) over (
            partition by office_code, delivery_week, export_kind
            order by file_modified_at desc nulls last, first_seen_at desc, source_file desc
        ) as newest_file

    from loaded

),

final as (

    select
        source_file,
        delivery_week,
        office_code,
        platform,
        export_kind,
        lists_posts,
        rows_loaded,
        file_modified_at,
        first_seen_at,
        processed_at,
        file_rank = 1 as is_in_force,
        case when file_rank > 1 then newest_file end as superseded_by

    from ordered

)

select * from final
