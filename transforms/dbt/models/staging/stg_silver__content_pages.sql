-- one row per course page with readable text: silver/content_pages, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'content_pages') }}

),

renamed as (

    select
        cast(content_id as varchar) as content_id,
        cast(class_id as varchar) as class_id,
        cast(title as varchar) as content_title,
        cast(module as varchar) as module,
        cast(week as bigint) as week,
        cast(source_format as varchar) as source_format,
        cast(body_text as varchar) as body_text,
        cast(word_count as bigint) as word_count,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
