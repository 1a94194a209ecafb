-- The posts an incremental build recomputes: every post with a snapshot in a file whose
-- standing changed since the last build (newly loaded, loaded again, withdrawn, rejected,
-- superseded, or back in force). Everything else core.post_snapshots and core.posts hold
-- about a post comes from its own snapshots, so recomputing just these posts gives the
-- tables a full build would give.

with

files_before as (

    select source_file, is_in_force, processed_at
    from meta.files_in_force_before

),

files_now as (

    select source_file, is_in_force, processed_at
    from core.files_in_force

),

changed_files as (

    select source_file
    from files_now
    full outer join files_before using (source_file)
    where files_now.is_in_force is distinct from files_before.is_in_force
       or files_now.processed_at is distinct from files_before.processed_at

),

snapshots_now as (

    select platform, office_code, post_id
    from staging.stg_post_snapshots
    semi join changed_files using (source_file)

),

snapshots_before as (

    select platform, office_code, post_id
    from core.post_snapshots
    semi join changed_files using (source_file)

),

changed_posts as (

    select * from snapshots_now
    union
    select * from snapshots_before

)

select * from changed_posts
