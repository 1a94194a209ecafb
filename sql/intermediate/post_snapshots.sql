-- Every snapshot of every post from every loaded export, with the local ISO week of
-- publication. History for trends and for engagement received during a week.
-- snapshot_rank 1 is the snapshot whose numbers count (core.posts): the latest one; of
-- two exports taken at the same time (the same delivery week), the one saved later
-- (core.files_in_force). Built incrementally: only the posts in meta.posts_to_build
-- (all of them in a full build) are computed again.

with

posts_to_build as (

    select * from meta.posts_to_build

),

snapshots as (

    select *
    from staging.stg_post_snapshots
    semi join posts_to_build using (platform, office_code, post_id)  -- incremental only

),

-- the rank is taken over the keys alone and joined back: a window over every column of
-- a year's snapshots (captions included) spilled and took twice as long. A snapshot is
-- one row per post, export time and file (validation keeps the first of any copies).
-- The keys are a scan of their own, not a select from snapshots: DuckDB would keep a
-- CTE read twice whole, captions included (8.6 s against 5.1 s on a year).
snapshot_keys as (

    select platform, office_code, post_id, snapshot_at, source_file, source_row
    from staging.stg_post_snapshots
    semi join posts_to_build using (platform, office_code, post_id)  -- incremental only

),

live_files as (

    select source_file, file_modified_at, first_seen_at
    from core.files_in_force
    where is_in_force

),

ranked as (

    select
        platform, office_code, post_id, snapshot_at, source_file,
        row_number() over (
            partition by platform, office_code, post_id
            order by snapshot_at desc, live_files.file_modified_at desc nulls last,
                     live_files.first_seen_at desc, source_file desc, source_row desc
        ) as snapshot_rank,
        count(*) over (partition by platform, office_code, post_id) as snapshots_seen
    from snapshot_keys
    inner join live_files using (source_file)

),

placed as (

    select
        snapshots.*,
        strftime(published_local_date, '%G-W%V') as iso_week,
        ranked.snapshot_rank,
        -- counted in the same window as the rank: core.posts needs no second pass over
        -- a year of snapshots to count them
        ranked.snapshots_seen
    from snapshots
    inner join ranked using (platform, office_code, post_id, snapshot_at, source_file)

)

select * from placed
-- stored in order of publication: a weekly build replaces the posts of the last weeks,
-- which then lie together at the end of the table instead of in every part of it
order by iso_week, platform, office_code, post_id
