-- one row per forum post: silver/forum_posts, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'forum_posts') }}

),

renamed as (

    select
        cast(post_id as varchar) as post_id,
        cast(thread_id as varchar) as thread_id,
        cast(parent_post_id as varchar) as parent_post_id,
        cast(class_id as varchar) as class_id,
        cast(author_id as varchar) as author_id,
        cast(author_role as varchar) as author_role,
        cast(created_at as timestamptz) as created_at,
        cast(title as varchar) as post_title,
        cast(body as varchar) as body,
        cast(language as varchar) as language,
        cast(source as varchar) as source,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
