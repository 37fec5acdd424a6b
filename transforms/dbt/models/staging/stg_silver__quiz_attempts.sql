-- one row per attempt at a quiz: silver/quiz_attempts, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'quiz_attempts') }}

),

renamed as (

    select
        cast(attempt_id as varchar) as attempt_id,
        cast(student_id as varchar) as student_id,
        cast(class_id as varchar) as class_id,
        cast(quiz_id as varchar) as quiz_id,
        cast(source as varchar) as source,
        cast(attempt_number as bigint) as attempt_number,
        cast(started_at as timestamptz) as started_at,
        cast(submitted_at as timestamptz) as submitted_at,
        cast(score as double) as score,
        cast(max_score as double) as max_score,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
