-- The files whose standing changed since the last build: newly loaded, loaded again,
-- withdrawn, rejected, or back in force. Everything an incremental build recomputes
-- (posts, account days, weeks) is found from these files: a post's numbers depend only
-- on the loaded files that list it and on when each was saved, which changes only
-- when the file is loaded again.

with

files_before as (

    select source_file, delivery_week, is_in_force, processed_at
    from meta.files_in_force_before

),

files_now as (

    select source_file, delivery_week, is_in_force, processed_at
    from core.files_in_force
    -- only the office-weeks just recomputed (meta.files_in_force_before holds those)
    semi join meta.file_groups_to_build using (office_code, delivery_week)

),

changed_files as (

    select
        source_file,
        coalesce(files_now.delivery_week, files_before.delivery_week) as delivery_week

    from files_now
    full outer join files_before using (source_file)
    where files_now.is_in_force is distinct from files_before.is_in_force
       or files_now.processed_at is distinct from files_before.processed_at

)

select * from changed_files
