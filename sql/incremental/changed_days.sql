-- The account days (office, platform, day) an incremental build recomputes: every day a
-- changed file covers now, and every day it covered at the last build
-- (core.account_daily.covering_files: a withdrawn file's rows are gone from staging).
-- Each day's figures come only from the files covering it, so recomputing these days
-- gives the rows a full build would give.

with

changed_files as (

    select source_file from meta.changed_files

),

days_now as (

    select platform, office_code, metric_date
    from staging.stg_account_daily
    semi join changed_files using (source_file)

),

covering_before as (

    select platform, office_code, metric_date, unnest(covering_files) as source_file
    from core.account_daily

),

days_before as (

    select platform, office_code, metric_date
    from covering_before
    semi join changed_files using (source_file)

),

changed_days as (

    select * from days_now
    union
    select * from days_before

)

select * from changed_days
