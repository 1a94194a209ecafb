-- Every loaded export, and the rule for exports that overlap. Of several exports of the
-- same kind, office and ISO week (a correction, a re-export of a shorter date range, a
-- copy cut short by an interrupted download) every one is in force: every post and
-- account day any of them lists counts, with the numbers of its latest snapshot; where
-- two of them list the same post or day, the one saved later wins (saved_order 1 = the
-- export saved last). A post missing from a later export keeps its last known numbers: it
-- leaves the tables only when every file that listed it has left the landing zone
-- (withdrawn) or was rejected. overlap says what the export is next to the others of
-- its kind, office and week. Built incrementally by office and delivery week.

with

files as (

    select * from staging.stg_files

),

-- the office-weeks to compute (all of them in a full build; in a weekly build those
-- whose files changed, sql/incremental/changed_file_groups.sql)
groups_to_build as (

    select office_code, delivery_week from meta.file_groups_to_build

),

loaded as (

    select *
    from files
    semi join groups_to_build using (office_code, delivery_week)
    where status in ('loaded', 'loaded_with_quarantine')
      and office_code is not null
      and platform is not null

),

ordered as (

    select
        *,
        -- saved last first; first seen, then path, break ties
        row_number() over (
            partition by office_code, delivery_week, export_kind
            order by file_modified_at desc nulls last, first_seen_at desc, source_file desc
        ) as saved_order,
        count(*) over (partition by office_code, delivery_week, export_kind) as exports_of_the_kind

    from loaded

),

final as (

    select
        source_file,
        delivery_week,
        office_code,
        platform,
        export_kind,
        lists_posts,
        rows_loaded,
        file_modified_at,
        first_seen_at,
        processed_at,
        -- every loaded export counts (the column stays for queries written before)
        true as is_in_force,
        -- 1 = saved last of the exports of its kind, office and week: its numbers win
        -- for the posts and days it lists
        saved_order,
        -- how many loaded exports of this kind the office delivered for the week
        exports_of_the_kind,
        -- what the export is next to another of its kind, office and week, and which one
        overlap,
        overlap_file

    from ordered

)

select * from final
