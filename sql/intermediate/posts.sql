-- One row per post: its latest snapshot (the numbers of the newest export that showed
-- it), the local ISO week and day it was published, hashtag count and content category.
-- content_category (informasi_pemilu, edukasi, kegiatan, lainnya) and
-- content_category_reason (the words that decided it, e.g. "kegiatan: rapat koordinasi
-- (judul), dihadiri") come from core.post_categories (medsos/content.py, rules in
-- evaluation.toml). has_campaign_hashtag: the caption carries an official campaign tag.
-- content_format: video (video, reel, short, live), image, carousel, text or other.
-- Built incrementally like core.post_snapshots, for the posts in meta.posts_to_build.

with

posts_to_build as (

    select * from meta.posts_to_build

),

snapshots as (

    -- picked by row id from a scan of the keys alone: joined whole, a year of snapshots
    -- was read with every caption; by row id, only the row groups holding the posts (a
    -- weekly build's lie together at the end of the table) are read whole
    select *
    from core.post_snapshots
    where snapshot_rank = 1
      and rowid in (select rowid from core.post_snapshots semi join posts_to_build using (platform, office_code, post_id))  -- incremental only

),

latest as (

    select * exclude (snapshot_rank)
    from snapshots

),

settings as (

    select * from core.evaluation_settings

),

categories as (

    -- written by medsos/content.py for the same posts just before this model runs
    select platform, office_code, post_id, content_category, content_category_reason
    from core.post_categories
    semi join posts_to_build using (platform, office_code, post_id)  -- incremental only

),

campaign as (

    select coalesce(list(hashtag), []::varchar[]) as campaign_hashtags from core.campaign_hashtags

),

final as (

    select
        latest.* exclude (snapshots_seen),
        published_local_date as local_date,
        len(regexp_extract_all(coalesce(latest.caption, ''), '#[A-Za-z0-9_]+')) as hashtags,
        len(regexp_extract_all(coalesce(latest.caption, ''), '#[A-Za-z0-9_]+'))
            > settings.overtagged_hashtags_per_post as is_overtagged,
        categories.content_category,
        categories.content_category_reason,
        -- at least one of the official campaign hashtags (evaluation.toml, hashtags.campaign)
        -- among the caption's hashtags as written (any script, casefolded); read here, not
        -- in a CTE of its own: joining a year's posts to their own hashtags cost seconds
        -- (a tag written twice needs no list_distinct: list_has_any asks for any in common)
        list_has_any(
            list_transform(
                regexp_extract_all(coalesce(latest.caption, ''), '#([\pL\pN_]+)', 1), lambda tag: lower(tag)
            ),
            campaign.campaign_hashtags
        ) as has_campaign_hashtag,
        -- the format an evaluator counts: reels, shorts and lives are videos; a story or an
        -- unknown type is 'other'
        case
            when latest.post_type in ('video', 'reel', 'short', 'live') then 'video'
            when latest.post_type in ('image', 'carousel', 'text') then latest.post_type
            else 'other'
        end as content_format,
        case
            when latest.likes is null and latest.comments is null and latest.shares is null then null
            else coalesce(latest.likes, 0) + coalesce(latest.comments, 0) + coalesce(latest.shares, 0)
        end as interactions,
        latest.snapshots_seen

    from latest
    cross join settings
    cross join campaign
    inner join categories using (platform, office_code, post_id)

)

select * from final
-- stored in order of publication: a weekly build replaces the posts of the last weeks,
-- which then lie together at the end of the table instead of in every part of it
order by iso_week, platform, office_code, post_id
