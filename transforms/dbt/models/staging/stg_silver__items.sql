-- one row per quiz question: silver/items, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'items') }}

),

renamed as (

    select
        cast(item_id as varchar) as item_id,
        cast(quiz_id as varchar) as quiz_id,
        cast(class_id as varchar) as class_id,
        cast(item_type as varchar) as item_type,
        cast(stem as varchar) as stem,
        cast(option_ids as varchar[]) as option_ids,
        cast(option_texts as varchar[]) as option_texts,
        cast(correct_option_ids as varchar[]) as correct_option_ids,
        cast(skill_ids as varchar[]) as skill_ids,
        cast(max_score as double) as max_score,
        cast(position as bigint) as position,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
