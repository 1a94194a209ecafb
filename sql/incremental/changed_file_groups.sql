-- The office-weeks an incremental build recomputes in core.files_in_force: those with a
-- loaded export whose manifest row differs from what the last build read of it (loaded
-- or loaded again, withdrawn, rejected, saved later, its overlap described anew), or
-- that the last build had and the manifest no longer has. Which exports win for a post
-- is decided within the kind, office and week (saved_order), so the other office-weeks
-- keep their rows: a weekly build does not rewrite a year of files.
-- The rows are matched by file (one join on the path) and then compared whole, NULL
-- equal to NULL: on a year of files that costs about half of comparing every column of
-- both sides as sets (except), and finds the same office-weeks.

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

-- a file only on one side, or on both with any column different
changed_rows as (

    select
        loaded_now.source_file is not null as is_loaded_now,
        loaded_built.source_file is not null as was_built,
        loaded_now.office_code as office_code_now,
        loaded_now.delivery_week as delivery_week_now,
        loaded_built.office_code as office_code_built,
        loaded_built.delivery_week as delivery_week_built

    from loaded_now
    full outer join loaded_built
        on loaded_now.source_file = loaded_built.source_file
    where loaded_now.source_file is null
       or loaded_built.source_file is null
       or (
            loaded_now.delivery_week, loaded_now.office_code, loaded_now.platform,
            loaded_now.export_kind, loaded_now.lists_posts, loaded_now.rows_loaded,
            loaded_now.file_modified_at, loaded_now.first_seen_at, loaded_now.processed_at,
            loaded_now.overlap, loaded_now.overlap_file
          ) is distinct from (
            loaded_built.delivery_week, loaded_built.office_code, loaded_built.platform,
            loaded_built.export_kind, loaded_built.lists_posts, loaded_built.rows_loaded,
            loaded_built.file_modified_at, loaded_built.first_seen_at, loaded_built.processed_at,
            loaded_built.overlap, loaded_built.overlap_file
          )

),

-- the office-week of each side of a changed file (a file that moved changes both)
changed_file_groups as (

    select office_code_now as office_code, delivery_week_now as delivery_week
    from changed_rows
    where is_loaded_now

    union

    select office_code_built as office_code, delivery_week_built as delivery_week
    from changed_rows
    where was_built

)

select * from changed_file_groups
