-- one row per academic session (school year, term, semester): silver/terms, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'terms') }}

),

renamed as (

    select
        cast(term_id as varchar) as term_id,
        cast(source as varchar) as source,
        cast(title as varchar) as term_title,
        cast(term_type as varchar) as term_type,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(parent_term_id as varchar) as parent_term_id,
        cast(school_year as varchar) as school_year,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
