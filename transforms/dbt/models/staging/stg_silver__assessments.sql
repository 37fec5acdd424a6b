-- one row per assessment (assignment, quiz, exam): silver/assessments, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'assessments') }}

),

renamed as (

    select
        cast(assessment_id as varchar) as assessment_id,
        cast(class_id as varchar) as class_id,
        cast(source as varchar) as source,
        cast(assessment_type as varchar) as assessment_type,
        cast(title as varchar) as assessment_title,
        cast(due_at as timestamptz) as due_at,
        cast(due_day as bigint) as due_day,
        cast(weight as double) as weight,
        cast(max_score as double) as max_score,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
