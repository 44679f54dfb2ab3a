{{ config(tags=['spark']) }}
-- One row per ticker and snapshotted session: the valuation fields Yahoo reported, the close of
-- that session and the upside to the analysts' consensus target from it.
with snapshots as (
    select * from {{ ref('stg_analysts__valuation_snapshots') }}
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

bars as (
    select ticker, session_date, close_price from {{ ref('stg_prices__daily_bars') }}
),

final as (
    select
        snapshots.ticker,
        coalesce(universe.group_name, 'unclassified')          as group_name,
        snapshots.session_date,
        snapshots.fetched_at,
        snapshots.market_cap,
        snapshots.trailing_pe,
        snapshots.forward_pe,
        snapshots.price_to_sales,
        snapshots.price_to_book,
        snapshots.ev_to_ebitda,
        snapshots.dividend_yield,
        snapshots.target_mean_price,
        snapshots.recommendation_mean,
        snapshots.analyst_count,
        bars.close_price,
        snapshots.target_mean_price / bars.close_price - 1     as upside_to_target,
        snapshots.null_field_count,
        snapshots.invalid_fields
    from snapshots
    left join universe
        on universe.ticker = snapshots.ticker
    left join bars
        on bars.ticker = snapshots.ticker
        and bars.session_date = snapshots.session_date
)

select * from final
