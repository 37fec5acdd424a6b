-- one row per catalogue course: silver/courses, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'courses') }}

),

renamed as (

    select
        cast(course_id as varchar) as course_id,
        cast(source as varchar) as source,
        cast(title as varchar) as course_title,
        cast(course_code as varchar) as course_code,
        cast(org_id as varchar) as org_id,
        cast(subjects as varchar[]) as subjects,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
