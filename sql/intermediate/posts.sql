-- One row per post: its latest snapshot (the numbers of the newest export that showed
-- it), the local ISO week and day it was published, hashtag count and content category.
-- Built incrementally like core.post_snapshots, for the posts in meta.posts_to_build.

with

posts_to_build as (

    select * from meta.posts_to_build

),

snapshots as (

    select *
    from core.post_snapshots
    semi join posts_to_build using (platform, office_code, post_id)

),

latest as (

    select * exclude (snapshot_rank)
    from snapshots
    where snapshot_rank = 1

),

settings as (

    select * from core.evaluation_settings

),

lexicon as (

    select * from core.content_lexicon

),

caption_words as (

    -- the caption as ' word word … ': a keyword matches whole words by a plain substring
    -- test, which costs a fraction of one regular expression per post and keyword
    select
        platform,
        office_code,
        post_id,
        ' ' || trim(regexp_replace(lower(coalesce(caption, '')), '[^[:alnum:]]+', ' ', 'g')) || ' ' as words

    from latest

),

keyword_hits as (

    select
        caption_words.platform,
        caption_words.office_code,
        caption_words.post_id,
        lexicon.category,
        lexicon.priority,
        count(*) as hits

    from caption_words
    inner join lexicon
        on contains(caption_words.words, lexicon.keyword_match)
    group by all

),

best_category as (

    select platform, office_code, post_id, category
    from keyword_hits
    qualify row_number() over (
        partition by platform, office_code, post_id order by hits desc, priority asc
    ) = 1

),

history as (

    select platform, office_code, post_id, count(*) as snapshots_seen
    from snapshots
    group by all

),

final as (

    select
        latest.*,
        published_local_date as local_date,
        len(regexp_extract_all(coalesce(latest.caption, ''), '#[A-Za-z0-9_]+')) as hashtags,
        len(regexp_extract_all(coalesce(latest.caption, ''), '#[A-Za-z0-9_]+'))
            > settings.overtagged_hashtags_per_post as is_overtagged,
        coalesce(best_category.category, 'lainnya') as content_category,
        case
            when latest.likes is null and latest.comments is null and latest.shares is null then null
            else coalesce(latest.likes, 0) + coalesce(latest.comments, 0) + coalesce(latest.shares, 0)
        end as interactions,
        history.snapshots_seen

    from latest
    cross join settings
    left join best_category using (platform, office_code, post_id)
    left join history using (platform, office_code, post_id)

)

select * from final
-- stored in order of publication: a weekly build replaces the posts of the last weeks,
-- which then lie together at the end of the table instead of in every part of it
order by iso_week, platform, office_code, post_id
