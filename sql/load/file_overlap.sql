-- What each loaded export is next to the other loaded exports of the same kind, office
-- and ISO week (raw.files.overlap and overlap_file), for the groups in _overlap_groups
-- (the ones a load touched). An export is compared with the one it shares the most posts
-- (or account days) with: the same ones with the same numbers (a copy in another
-- encoding), part of them (a copy cut short, a re-export of a shorter date range), all of
-- them and more, or some of them. Every post any of them lists counts, so nothing here
-- decides what loads; it tells staff what each copy was. One row per loaded export of
-- those groups; overlap is null where there is nothing to compare.

with

groups as (

    select office_code, delivery_week, export_kind from _overlap_groups

),

files as (

    select
        relative_path,
        office_code,
        delivery_week,
        export_kind,
        encoding,
        rows_quarantined,
        lists_posts,
        -- saved last first, as core.files_in_force orders them
        row_number() over (
            partition by office_code, delivery_week, export_kind
            order by file_modified_at desc nulls last, first_seen_at desc, relative_path desc
        ) as saved_order

    from raw.files
    semi join groups using (office_code, delivery_week, export_kind)
    where status in ('loaded', 'loaded_with_quarantine')

),

shared_groups as (

    -- only a group with two or more exports has anything to compare
    select office_code, delivery_week, export_kind
    from files
    group by all
    having count(*) > 1

),

compared_files as (

    select * from files semi join shared_groups using (office_code, delivery_week, export_kind)

),

post_items as (

    select
        source_file as relative_path,
        'post' as unit,
        post_id as item,
        struct_pack(published_at, views, reach, impressions, likes, comments, shares, saves,
                    duration_seconds, watch_time_hours) as numbers

    from raw.post_snapshots
    where source_file in (select relative_path from compared_files where lists_posts)

),

day_items as (

    select
        source_file as relative_path,
        'day' as unit,
        cast(metric_date as varchar) as item,
        struct_pack(followers, followers_gained, followers_lost) as numbers

    from raw.account_daily
    where source_file in (select relative_path from compared_files where not lists_posts)

),

items as (

    -- an export that lists posts is compared by its posts, one of account figures by its days
    select * from post_items
    union all
    select * from day_items

),

cut_files as (

    -- copies cut off mid-row (an interrupted download): their last row is in quarantine
    select distinct source_file as relative_path
    from raw.quarantine
    where source_file in (select relative_path from compared_files)
      and message like 'the file ends in the middle of a row%'

),

listed as (

    select relative_path, count(*) as items, any_value(unit) as unit
    from items
    group by all

),

pairs as (

    select
        mine.relative_path,
        theirs.relative_path as other_file,
        count(*) as shared,
        count(*) filter (where mine.numbers is not distinct from theirs.numbers) as same_numbers

    from items as mine
    inner join items as theirs
        on mine.unit = theirs.unit
       and mine.item = theirs.item
       and mine.relative_path <> theirs.relative_path
    inner join compared_files as mine_file on mine_file.relative_path = mine.relative_path
    inner join compared_files as their_file
        on their_file.relative_path = theirs.relative_path
       and their_file.office_code = mine_file.office_code
       and their_file.delivery_week = mine_file.delivery_week
       and their_file.export_kind = mine_file.export_kind
    group by all

),

closest as (

    -- the export each one shares the most with (then the bigger one, then the one saved
    -- first: a copy is described against its original)
    select
        pairs.*,
        mine.items as my_items,
        theirs.items as their_items,
        mine.unit

    from pairs
    inner join listed as mine on mine.relative_path = pairs.relative_path
    inner join listed as theirs on theirs.relative_path = pairs.other_file
    inner join compared_files as other on other.relative_path = pairs.other_file
    qualify row_number() over (
        partition by pairs.relative_path
        order by pairs.shared desc, theirs.items desc, other.saved_order desc
    ) = 1

),

described as (

    select
        closest.relative_path,
        closest.other_file,
        case
            when shared = my_items and shared = their_items
                then 'the same ' || shared || ' ' || unit || if(shared = 1, '', 's') || ' as ' || other_file
            when shared = my_items and mine.saved_order < other.saved_order
                     and closest.relative_path in (select relative_path from cut_files)
                then shared || ' of the ' || their_items || ' ' || unit || 's of ' || other_file
                     || ', saved later: cut short (its last row is in raw.quarantine); the '
                     || unit || 's only ' || other_file || ' lists (' || (their_items - shared)
                     || ') keep their numbers from it'
            when shared = my_items and mine.saved_order < other.saved_order
                     and my_items + coalesce(mine.rows_quarantined, 0) >= their_items
                then shared || ' of the ' || their_items || ' ' || unit || 's of ' || other_file
                     || ', saved later; its other rows are in raw.quarantine, so those '
                     || unit || 's keep their numbers from ' || other_file
            when shared = my_items and mine.saved_order < other.saved_order
                then shared || ' of the ' || their_items || ' ' || unit || 's of ' || other_file
                     || ', saved later: a part of it (a shorter date range, or a copy cut at the end of a row); the '
                     || unit || 's only ' || other_file || ' lists (' || (their_items - shared)
                     || ') keep their numbers from it'
            when shared = my_items
                then shared || ' of the ' || their_items || ' ' || unit || 's of ' || other_file
                     || ', saved before it'
            when shared = their_items
                then if(their_items = 1, 'the one ' || unit, 'all ' || their_items || ' ' || unit || 's')
                     || ' of ' || other_file || ' and ' || (my_items - shared) || ' more'
            else shared || ' of its ' || my_items || ' ' || unit || 's also in ' || other_file
        end
        || case
            when same_numbers = shared then ', with the same numbers'
            when mine.saved_order < other.saved_order
                then ', ' || (shared - same_numbers) || ' with other numbers, which count (saved later)'
            else ', ' || (shared - same_numbers) || ' with other numbers; those of ' || other_file
                 || ' count (saved later)'
        end
        || case
            -- UTF-8 with or without its byte-order mark reads the same
            when regexp_replace(mine.encoding, '-sig$', '') is distinct from regexp_replace(other.encoding, '-sig$', '')
                then '; read as ' || coalesce(mine.encoding, '?') || ', the other as '
                     || coalesce(other.encoding, '?')
            else ''
        end as overlap

    from closest
    inner join compared_files as mine on mine.relative_path = closest.relative_path
    inner join compared_files as other on other.relative_path = closest.other_file

),

final as (

    select
        files.relative_path,
        case
            when described.overlap is not null then described.overlap
            when compared_files.relative_path is not null and listed.relative_path is null
                then 'lists nothing; what the other exports of its kind, office and week list counts as it is'
        end as overlap,
        described.other_file as overlap_file

    from files
    left join described using (relative_path)
    left join compared_files using (relative_path)
    left join listed using (relative_path)

)

select * from final
