-- Account-level daily figures per office and platform; where several exports cover the
-- same day, the most recent export wins (platforms revise their last days).

with

daily as (

    select * from staging.stg_account_daily

),

live_files as (

    select source_file
    from core.files_in_force
    where is_in_force

),

latest as (

    select daily.*
    from daily
    inner join live_files using (source_file)
    qualify row_number() over (
        partition by platform, office_code, metric_date
        order by snapshot_at desc, source_file desc
    ) = 1

)

select * from latest
