-- Post snapshots as loaded from the exports, renamed and cast; one row per post per file.

with

source as (

    select * from raw.post_snapshots

),

renamed as (

    select

        ---------- ids
        platform,
        office_code,
        account_handle,
        account_id,
        post_id,

        ---------- timestamps
        published_at,
        published_local,
        cast(published_local as date) as published_local_date,
        publish_time_precision,
        snapshot_at,

        ---------- text
        post_type,
        caption,
        permalink,

        ---------- numerics
        views,
        reach,
        impressions,
        likes,
        comments,
        shares,
        saves,
        duration_seconds,
        watch_time_hours,
        metric_definition,

        ---------- lineage
        source_file,
        source_sheet,
        source_row,
        delivery_week,
        run_id

    from source

)

select * from renamed
