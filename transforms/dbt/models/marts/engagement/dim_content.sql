-- One row per piece of course content (page, video, resource, quiz, forum, ...).
with content as (

    select * from {{ ref('stg_silver__content_items') }}

),

items as (

    select quiz_id, count(*) as n_items from {{ ref('stg_silver__items') }} group by quiz_id

),

videos as (

    select video_id, max(to_s) as max_watched_time_s from {{ ref('int_video_views') }} group by video_id

),

final as (

    select
        content.content_id,
        content.class_id,
        content.content_type,
        content.content_title,
        coalesce(content.module, 'unassigned') as module,
        content.week,
        content.week_to,
        content.url,
        content.source,
        items.n_items,
        videos.max_watched_time_s,
        {{ curated_at() }} as curated_at
    from content
    left join items on items.quiz_id = content.content_id
    left join videos on videos.video_id = content.content_id

)

select * from final
