-- one row per skill: silver/skills, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'skills') }}

),

renamed as (

    select
        cast(skill_id as varchar) as skill_id,
        cast(name as varchar) as skill_name,
        cast(description as varchar) as skill_description,
        cast(class_id as varchar) as class_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
