{{ config(tags=['spark']) }}
-- One row per ticker the project knows: every universe member with its group, plus every ticker
-- with bars in raw.daily_bars but not in the universe (e.g. from `adrpulse import-prices`) in the
-- group 'unclassified'. Models that group or select tickers read this, not the seed, so such a
-- ticker is counted as unclassified instead of silently dropped.
-- Each ticker's first and last stored bar come along (null for a universe ticker without prices):
-- the event study's exclusion reasons say from them what is missing. They are read from
-- int_daily_returns, whose rows run from a ticker's first to its last bar on XNYS sessions, so a
-- bar dated on a holiday (which has no session and no return) does not count.
with universe as (
    select ticker, company_name, group_name from {{ ref('stg_reference__universe') }}
),

priced_tickers as (
    select
        ticker,
        min(session_date)   as first_bar_date,
        max(session_date)   as last_bar_date
    from {{ ref('int_daily_returns') }}
    group by ticker
),

members as (
    select
        universe.ticker,
        universe.company_name,
        universe.group_name,
        true                   as is_in_universe
    from universe
    union all
    select
        priced_tickers.ticker,
        cast(null as {{ text_type() }}) as company_name,
        'unclassified'         as group_name,
        false                  as is_in_universe
    from priced_tickers
    where priced_tickers.ticker not in (select ticker from universe)
),

final as (
    select
        members.*,
        priced_tickers.ticker is not null  as has_prices,
        priced_tickers.first_bar_date,
        priced_tickers.last_bar_date
    from members
    left join priced_tickers
        on priced_tickers.ticker = members.ticker
)

select * from final
