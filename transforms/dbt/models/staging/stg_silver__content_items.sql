-- one row per piece of course content (page, video, quiz, forum, ...): silver/content_items, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'content_items') }}

),

renamed as (

    select
        cast(content_id as varchar) as content_id,
        cast(class_id as varchar) as class_id,
        cast(source as varchar) as source,
        cast(content_type as varchar) as content_type,
        cast(title as varchar) as content_title,
        cast(module as varchar) as module,
        cast(week as bigint) as week,
        cast(week_to as bigint) as week_to,
        cast(url as varchar) as url,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
