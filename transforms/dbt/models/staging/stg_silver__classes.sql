-- one row per offering of a course in a term (OULAD module-presentation): silver/classes, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'classes') }}

),

renamed as (

    select
        cast(class_id as varchar) as class_id,
        cast(course_id as varchar) as course_id,
        cast(source as varchar) as source,
        cast(title as varchar) as class_title,
        cast(class_code as varchar) as class_code,
        cast(term_id as varchar) as term_id,
        cast(org_id as varchar) as org_id,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(length_days as bigint) as length_days,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
