{{ config(tags=['spark']) }}
-- One row per date of the imported daily risk factors (raw.daily_factors, written by
-- `adrpulse import-factors` from a file in the Fama-French CSV layout), already fractions.
-- has_five_factors says whether RMW and CMA are known for the date (a 5-factor file gave it).
with source as (
    select * from {{ source('raw', 'daily_factors') }}
),

renamed as (
    select
        factor_date,
        cast(mkt_rf as double)                   as mkt_rf,
        cast(smb as double)                      as smb,
        cast(hml as double)                      as hml,
        cast(rmw as double)                      as rmw,
        cast(cma as double)                      as cma,
        cast(rf as double)                       as rf,
        rmw is not null and cma is not null      as has_five_factors,
        fetch_id
    from source
)

select * from renamed
