-- The posts a full build computes: every post that has a snapshot at all.

with

snapshots as (

    select platform, office_code, post_id
    from staging.stg_post_snapshots

),

all_posts as (

    select distinct platform, office_code, post_id
    from snapshots

)

select * from all_posts
