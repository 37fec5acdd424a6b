-- one row per student: silver/students, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'students') }}

),

renamed as (

    select
        cast(student_id as varchar) as student_id,
        cast(source as varchar) as source,
        cast(org_id as varchar) as org_id,
        cast(grade_level as varchar) as grade_level,
        cast(birth_year as bigint) as birth_year,
        cast(gender as varchar) as gender,
        cast(region as varchar) as region,
        cast(highest_education as varchar) as highest_education,
        cast(imd_band as varchar) as imd_band,
        cast(age_band as varchar) as age_band,
        cast(has_disability as boolean) as has_disability,
        cast(first_seen_at as timestamptz) as first_seen_at,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
