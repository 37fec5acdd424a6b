-- one row per student per assessment: silver/assessment_results, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'assessment_results') }}

),

renamed as (

    select
        cast(assessment_id as varchar) as assessment_id,
        cast(student_id as varchar) as student_id,
        cast(class_id as varchar) as class_id,
        cast(source as varchar) as source,
        cast(submitted_at as timestamptz) as submitted_at,
        cast(submitted_day as bigint) as submitted_day,
        cast(score as double) as score,
        cast(is_banked as boolean) as is_banked,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
