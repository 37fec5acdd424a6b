-- one row per organisation (district, school, department): silver/orgs, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'orgs') }}

),

renamed as (

    select
        cast(org_id as varchar) as org_id,
        cast(source as varchar) as source,
        cast(name as varchar) as org_name,
        cast(org_type as varchar) as org_type,
        cast(parent_org_id as varchar) as parent_org_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
