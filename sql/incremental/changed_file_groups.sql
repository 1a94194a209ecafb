-- The office-weeks an incremental build recomputes in core.files_in_force: those with a
-- loaded export whose manifest row differs from what the last build read of it (loaded
-- or loaded again, withdrawn, rejected, saved later, its overlap described anew), or
-- that the last build had and the manifest no longer has. Which exports win for a post
-- is decided within the kind, office and week (saved_order), so the other office-weeks
-- keep their rows: a weekly build does not rewrite a year of files.

with

loaded_now as (

    select
        source_file, delivery_week, office_code, platform, export_kind, lists_posts, rows_loaded,
        file_modified_at, first_seen_at, processed_at, overlap, overlap_file
    from staging.stg_files
    where status in ('loaded', 'loaded_with_quarantine')
      and office_code is not null
      and platform is not null

),

loaded_built as (

    select
        source_file, delivery_week, office_code, platform, export_kind, lists_posts, rows_loaded,
        file_modified_at, first_seen_at, processed_at, overlap, overlap_file
    from core.files_in_force

),

-- except compares whole rows, NULL equal to NULL
changed_rows as (

    (select * from loaded_now except select * from loaded_built)
    union all
    (select * from loaded_built except select * from loaded_now)

),

changed_file_groups as (

    select distinct office_code, delivery_week
    from changed_rows

)

select * from changed_file_groups
