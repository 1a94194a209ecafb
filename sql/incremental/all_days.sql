-- The account days a full build computes: every office, platform and day with a figure.

with

daily as (

    select platform, office_code, metric_date
    from staging.stg_account_daily

),

all_days as (

    select distinct platform, office_code, metric_date
    from daily

)

select * from all_days
