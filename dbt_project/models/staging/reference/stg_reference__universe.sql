-- One row per followed ticker; a blank group is 'unclassified' (as assets/universe.py reads it).
with source as (
    select * from {{ ref('universe') }}
),

renamed as (
    select
        upper(trim(ticker))                                  as ticker,
        trim(name)                                           as company_name,
        coalesce(nullif(trim(group_name), ''), 'unclassified') as group_name,
        trim(exchange)                                       as exchange,
        coalesce(nullif(trim(currency), ''), 'USD')          as currency
    from source
)

select * from renamed
