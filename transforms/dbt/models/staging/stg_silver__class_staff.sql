-- one row per staff member teaching a class: silver/class_staff, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'class_staff') }}

),

renamed as (

    select
        cast(class_id as varchar) as class_id,
        cast(staff_id as varchar) as staff_id,
        cast(role as varchar) as role,
        cast(is_primary as boolean) as is_primary,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
