-- Account-level daily figures as loaded from the exports, renamed and cast.

with

source as (

    select * from raw.account_daily

),

renamed as (

    select

        ---------- ids
        platform,
        office_code,
        account_handle,

        ---------- timestamps
        metric_date,
        snapshot_at,

        ---------- numerics
        followers,
        followers_gained,
        followers_lost,
        metric_definition,

        ---------- lineage
        source_file,
        source_sheet,
        source_row,
        delivery_week

    from source

)

select * from renamed
