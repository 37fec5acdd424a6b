-- one row per student enrolled in a class: silver/enrollments, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'enrollments') }}

),

renamed as (

    select
        cast(class_id as varchar) as class_id,
        cast(student_id as varchar) as student_id,
        cast(source as varchar) as source,
        cast(status as varchar) as status,
        cast(registered_at as timestamptz) as registered_at,
        cast(unregistered_at as timestamptz) as unregistered_at,
        cast(begin_date as date) as begin_date,
        cast(end_date as date) as end_date,
        cast(is_primary as boolean) as is_primary,
        cast(final_result as varchar) as final_result,
        cast(num_prev_attempts as bigint) as num_prev_attempts,
        cast(studied_credits as bigint) as studied_credits,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
