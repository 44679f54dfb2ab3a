-- One row per ticker the project knows: every universe member with its group, plus every ticker
-- with bars in raw.daily_bars but not in the universe (e.g. from `adrpulse import-prices`) in the
-- group 'unclassified'. Models that group or select tickers read this, not the seed, so such a
-- ticker is counted as unclassified instead of silently dropped.
with universe as (
    select ticker, company_name, group_name from {{ ref('stg_reference__universe') }}
),

priced_tickers as (
    select distinct ticker from {{ ref('stg_prices__daily_bars') }}
),

final as (
    select
        universe.ticker,
        universe.company_name,
        universe.group_name,
        true                   as is_in_universe
    from universe
    union all
    select
        priced_tickers.ticker,
        cast(null as varchar)  as company_name,
        'unclassified'         as group_name,
        false                  as is_in_universe
    from priced_tickers
    where priced_tickers.ticker not in (select ticker from universe)
)

select * from final
