{{ config(tags=['spark']) }}
-- One row per followed ticker, from raw.universe (the file ADRPULSE_UNIVERSE names, loaded by
-- assets/reference.py); a blank group is 'unclassified', as the loader already writes it.
with source as (
    select * from {{ source('raw', 'universe') }}
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
