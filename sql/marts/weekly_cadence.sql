-- Posting cadence per office, platform and ISO week (Monday-Sunday, office local time),
-- for every office with a registered account on that platform (from the week its
-- active_from date falls in), weeks without posts included. data_status is 'missing' when the office delivered no usable export for
-- that platform and week: then the counts are NULL (unknown), never 0.
-- met_weekly_minimum: posts >= min_posts_per_week (evaluation.toml, default 1); for a
-- missing week, true when posts_seen_in_other_exports reach it, else NULL.
-- posts_informasi_pemilu / _edukasi / _kegiatan / _lainnya: posts per content category
-- (core.posts.content_category; why each post got its category: content_category_reason).
-- posts_with_campaign_hashtag: posts carrying at least one official campaign tag
-- (evaluation.toml, hashtags.campaign); campaign_hashtag_share: that share of the
-- week's posts (NULL without posts). posts_video / _image / _carousel / _text /
-- _other_format: the format mix (reels, shorts and lives count as video; stories and
-- unknown types as other). handle_follows_pattern: every registered handle of the
-- office on the platform follows its province's pattern (evaluation.toml,
-- accounts.handle_patterns; NULL where the province sets none).
-- Built incrementally: only the weeks in meta.weeks_to_build (all in a full build).

with

settings as (

    select * from core.evaluation_settings

),

offices as (

    select * from core.offices

),

accounts as (

    -- an account opened mid-year is evaluated from the week it started, not before
    select
        office_code,
        platform,
        min(active_from) as active_from,
        bool_and(handle_follows_pattern) as handle_follows_pattern
    from core.accounts
    group by all

),

weeks_to_build as (

    select iso_week from meta.weeks_to_build

),

reporting_weeks as (

    select iso_week, week_start
    from core.reporting_weeks
    semi join weeks_to_build using (iso_week)

),

grid as (

    select accounts.office_code, accounts.platform, reporting_weeks.iso_week, reporting_weeks.week_start
    from accounts
    inner join reporting_weeks
        on accounts.active_from is null
        or reporting_weeks.week_start + interval 6 day >= accounts.active_from

),

deliveries as (

    select office_code, platform, delivery_week as iso_week
    from core.deliveries
    semi join weeks_to_build on weeks_to_build.iso_week = core.deliveries.delivery_week

),

posts as (

    select office_code, platform, iso_week, local_date, is_overtagged, content_category,
           has_campaign_hashtag, content_format
    from core.posts
    semi join weeks_to_build using (iso_week)

),

posts_per_day as (

    select office_code, platform, iso_week, local_date, count(*) as posts_that_day
    from posts
    group by all

),

days as (

    select
        posts_per_day.office_code,
        posts_per_day.platform,
        posts_per_day.iso_week,
        count(*) as active_days,
        max(posts_that_day) as max_posts_in_a_day,
        count(*) filter (where posts_that_day > settings.overposting_posts_per_day) as overposting_days

    from posts_per_day
    cross join settings
    group by all

),

weekly_posts as (

    select
        office_code,
        platform,
        iso_week,
        count(*) as posts,
        count(*) filter (where is_overtagged) as overtagged_posts,
        count(*) filter (where content_category = 'informasi_pemilu') as posts_informasi_pemilu,
        count(*) filter (where content_category = 'edukasi') as posts_edukasi,
        count(*) filter (where content_category = 'kegiatan') as posts_kegiatan,
        count(*) filter (where content_category = 'lainnya') as posts_lainnya,
        count(*) filter (where has_campaign_hashtag) as posts_with_campaign_hashtag,
        count(*) filter (where content_format = 'video') as posts_video,
        count(*) filter (where content_format = 'image') as posts_image,
        count(*) filter (where content_format = 'carousel') as posts_carousel,
        count(*) filter (where content_format = 'text') as posts_text,
        count(*) filter (where content_format = 'other') as posts_other_format

    from posts
    group by all

),

final as (

    select
        grid.office_code,
        offices.office_name,
        offices.province_code,
        grid.platform,
        grid.iso_week,
        grid.week_start,
        case when deliveries.office_code is null then 'missing' else 'reported' end as data_status,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts, 0) end as posts,
        case when deliveries.office_code is not null then coalesce(days.active_days, 0) end as active_days,
        case when deliveries.office_code is not null then coalesce(days.max_posts_in_a_day, 0) end as max_posts_in_a_day,
        case when deliveries.office_code is not null then coalesce(days.overposting_days, 0) end as overposting_days,
        case when deliveries.office_code is not null then coalesce(weekly_posts.overtagged_posts, 0) end as overtagged_posts,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_informasi_pemilu, 0) end as posts_informasi_pemilu,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_edukasi, 0) end as posts_edukasi,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_kegiatan, 0) end as posts_kegiatan,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_lainnya, 0) end as posts_lainnya,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_with_campaign_hashtag, 0) end as posts_with_campaign_hashtag,
        case when deliveries.office_code is not null and weekly_posts.posts > 0
            then round(weekly_posts.posts_with_campaign_hashtag / weekly_posts.posts, 4) end as campaign_hashtag_share,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_video, 0) end as posts_video,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_image, 0) end as posts_image,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_carousel, 0) end as posts_carousel,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_text, 0) end as posts_text,
        case when deliveries.office_code is not null then coalesce(weekly_posts.posts_other_format, 0) end as posts_other_format,
        accounts.handle_follows_pattern,
        -- a week whose export is missing still met the minimum when the office's other
        -- exports show enough posts published in it (what the office did counts); with
        -- fewer seen it is unknown (NULL), since the missing export may list more
        case
            when deliveries.office_code is not null
                then coalesce(weekly_posts.posts, 0) >= settings.min_posts_per_week
            when weekly_posts.posts >= settings.min_posts_per_week
                then true
        end as met_weekly_minimum,
        -- posts of a missing week that other exports happened to show; a lower bound only
        case when deliveries.office_code is null then coalesce(weekly_posts.posts, 0) end as posts_seen_in_other_exports

    from grid
    inner join offices using (office_code)
    inner join accounts using (office_code, platform)
    cross join settings
    left join deliveries using (office_code, platform, iso_week)
    left join weekly_posts using (office_code, platform, iso_week)
    left join days using (office_code, platform, iso_week)

)

select * from final
order by province_code, office_code, platform, iso_week
