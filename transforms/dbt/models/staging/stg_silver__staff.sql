-- one row per teacher, aide or administrator: silver/staff, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'staff') }}

),

renamed as (

    select
        cast(staff_id as varchar) as staff_id,
        cast(source as varchar) as source,
        cast(role as varchar) as role,
        cast(org_id as varchar) as org_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
