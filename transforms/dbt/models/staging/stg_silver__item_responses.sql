-- one row per item answered within an attempt: silver/item_responses, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'item_responses') }}

),

renamed as (

    select
        cast(attempt_id as varchar) as attempt_id,
        cast(item_id as varchar) as item_id,
        cast(answered_date as date) as answered_date,
        cast(answered_at as timestamptz) as answered_at,
        cast(student_id as varchar) as student_id,
        cast(class_id as varchar) as class_id,
        cast(quiz_id as varchar) as quiz_id,
        cast(response as varchar) as response,
        cast(is_correct as boolean) as is_correct,
        cast(score as double) as score,
        cast(duration_s as double) as duration_s,
        cast(source as varchar) as source,
        cast(statement_id as varchar) as statement_id,
        cast(is_voided as boolean) as is_voided,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
