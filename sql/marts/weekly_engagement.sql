-- Public interaction per office, platform and ISO week of publication, from each post's
-- latest snapshot. interactions = likes + comments + shares.
-- engagement_rate_per_view = interactions / views; engagement_rate_per_follower =
-- interactions / followers at the end of the week. Each rate is NULL when its
-- denominator is unknown or zero. Counts are NULL for weeks whose export is missing.
-- Built incrementally: only the weeks in meta.engagement_weeks_to_build (all in a full build).

with

cadence as (

    select office_code, office_name, province_code, platform, iso_week, week_start, data_status
    from marts.weekly_cadence
    semi join meta.engagement_weeks_to_build using (iso_week)

),

posts as (

    select *
    from core.posts
    semi join meta.engagement_weeks_to_build using (iso_week)

),

weekly as (

    select
        office_code,
        platform,
        iso_week,
        count(*) as posts,
        sum(views) as views,
        sum(reach) as reach,
        sum(impressions) as impressions,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(shares) as shares,
        sum(saves) as saves,
        sum(interactions) as interactions

    from posts
    group by all

),

followers as (

    select
        cadence.office_code,
        cadence.platform,
        cadence.iso_week,
        arg_max(daily.followers, daily.metric_date) as followers

    from cadence
    inner join core.account_daily as daily
        on daily.office_code = cadence.office_code
        and daily.platform = cadence.platform
        and daily.metric_date <= cadence.week_start + interval 6 day
        -- a follower count older than a month says little about this week
        and daily.metric_date >= cadence.week_start - interval 28 day
        and daily.followers is not null
    group by all

),

final as (

    select
        cadence.*,
        case when cadence.data_status = 'reported' then coalesce(weekly.posts, 0) end as posts,
        case when cadence.data_status = 'reported' then weekly.views end as views,
        case when cadence.data_status = 'reported' then weekly.reach end as reach,
        case when cadence.data_status = 'reported' then weekly.impressions end as impressions,
        case when cadence.data_status = 'reported' then weekly.likes end as likes,
        case when cadence.data_status = 'reported' then weekly.comments end as comments,
        case when cadence.data_status = 'reported' then weekly.shares end as shares,
        case when cadence.data_status = 'reported' then weekly.saves end as saves,
        case when cadence.data_status = 'reported' then weekly.interactions end as interactions,
        followers.followers,
        case
            when cadence.data_status = 'reported' and weekly.views > 0
                then round(weekly.interactions / weekly.views, 4)
        end as engagement_rate_per_view,
        case
            when cadence.data_status = 'reported' and followers.followers > 0
                then round(weekly.interactions / followers.followers, 4)
        end as engagement_rate_per_follower

    from cadence
    left join weekly using (office_code, platform, iso_week)
    left join followers using (office_code, platform, iso_week)

)

select * from final
order by province_code, office_code, platform, iso_week
