-- one row per voided xAPI statement: silver/statement_voids, renamed and cast (nothing else).
with source as (

    select * from {{ source('silver', 'statement_voids') }}

),

renamed as (

    select
        cast(voided_statement_id as varchar) as voided_statement_id,
        cast(voiding_statement_id as varchar) as voiding_statement_id,
        cast(voided_at as timestamptz) as voided_at,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
