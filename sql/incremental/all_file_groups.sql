-- The office-weeks a full build computes in core.files_in_force: every office and
-- delivery week with a file in the manifest.

with

files as (

    select office_code, delivery_week
    from staging.stg_files
    where office_code is not null

),

all_file_groups as (

    select distinct office_code, delivery_week
    from files

)

select * from all_file_groups
