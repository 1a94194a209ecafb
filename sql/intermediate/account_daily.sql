-- Account-level daily figures, one row per office, platform and day. Several exports can
-- cover the same day (a follower history and an overview, or overlapping downloads):
-- each figure comes from the most recent export that has it (of two delivered for the
-- same week, the one saved later), because platforms revise their last days and not
-- every export carries every figure; a day a later export lacks keeps its figures from
-- the earlier one. covering_files lists every loaded export that covered the day. Built
-- incrementally: only the days in meta.days_to_build (all of them in a full build) are
-- computed again.

with

days_to_build as (

    select * from meta.days_to_build

),

daily as (

    select *
    from staging.stg_account_daily
    semi join days_to_build using (platform, office_code, metric_date)

),

live_files as (

    select source_file, file_modified_at, first_seen_at
    from core.files_in_force
    where is_in_force

),

in_force as (

    select
        daily.*,
        -- most recent export first; of two taken at the same time (the same delivery
        -- week), the one saved later; the file name breaks ties so re-runs agree
        struct_pack(
            at := snapshot_at,
            saved := coalesce(live_files.file_modified_at, timestamptz '1970-01-01 00:00:00+00'),
            seen := live_files.first_seen_at,
            file := source_file,
            line := source_row
        ) as recency

    from daily
    inner join live_files using (source_file)

),

merged as (

    select
        platform,
        office_code,
        metric_date,
        arg_max(account_handle, recency) filter (where account_handle is not null) as account_handle,
        arg_max(followers, recency) filter (where followers is not null) as followers,
        arg_max(followers_gained, recency) filter (where followers_gained is not null) as followers_gained,
        arg_max(followers_lost, recency) filter (where followers_lost is not null) as followers_lost,
        arg_max(metric_definition, recency) filter (where followers is not null) as followers_definition,
        arg_max(metric_definition, recency) filter (where followers_gained is not null) as followers_gained_definition,
        max(snapshot_at) as snapshot_at,
        arg_max(source_file, recency) as source_file,
        count(*) as exports_covering_day,
        list_sort(list(distinct source_file)) as covering_files

    from in_force
    group by platform, office_code, metric_date

)

select * from merged
