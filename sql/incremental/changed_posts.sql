-- The posts an incremental build recomputes: every post with a snapshot in a file whose
-- standing changed since the last build (meta.changed_files). Everything else
-- core.post_snapshots and core.posts hold about a post comes from its own snapshots, so
-- recomputing just these posts gives the tables a full build would give.

with

changed_files as (

    select source_file from meta.changed_files

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
