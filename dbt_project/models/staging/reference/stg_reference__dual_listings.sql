{{ config(tags=['spark']) }}
-- One row per ADR and ratio period of the dual_listings seed: the ratio applies from
-- effective_from up to (not including) the next row's effective_from for the same ADR.
with source as (
    select * from {{ ref('dual_listings') }}
),

renamed as (
    select
        upper(trim(adr_ticker))                as adr_ticker,
        upper(trim(home_ticker))               as home_ticker,
        upper(trim(home_exchange))             as home_exchange,
        upper(trim(home_currency))             as home_currency,
        cast(shares_per_ads as double)         as shares_per_ads,
        cast(effective_from as date)           as effective_from
    from source
)

select
    *,
    lead(effective_from) over (partition by adr_ticker order by effective_from) as effective_to
from renamed
